#pragma once
// Detection's options: the node's [detect] section, and the keys of a
// [[camera]] table that say what a camera detects and where (`detect`,
// `[[camera.zone]]`, `[[camera.mask]]`). app/config.h reads both.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/config.h"
#include "detect/objects.h"
#include "detect/picture.h"

namespace vigil::detect {

// [detect]: the worker pool every camera shares.
struct DetectConfig {
  int fps = 5;            // frames analysed per second and camera
  int workers = 0;        // threads that decode and analyse; 0: one per 2 cores, at least 1
  int sensitivity = 5;    // motion, 1 (only large, strong changes) .. 10 (small, faint ones)
  std::string model;      // the object model; empty: ObjectDetector::defaultModelPath()
};
inline constexpr std::string_view kDetectConfigKeys[] = {"fps", "workers", "sensitivity", "model"};
Status readDetectConfig(const ConfigTable& table, DetectConfig& out);
// `workers`, or when 0 one per 2 cores (at least 1).
int workerCount(const DetectConfig& config);

// A polygon of a camera's picture where motion counts (include) or does
// not (ignore). With at least one include zone, motion outside all of
// them does not count either.
struct Zone {
  enum class Kind { kInclude, kIgnore };
  std::string name;
  Polygon polygon;
  Kind kind = Kind::kInclude;
  bool operator==(const Zone&) const = default;
};

// A privacy mask: blacked out before detection sees the picture; with
// `all`, also in local live view and recording (issue 16 item 5).
struct Mask {
  enum class Applies { kShared, kAll };
  std::string name;
  Polygon polygon;
  Applies applies = Applies::kShared;
  bool operator==(const Mask&) const = default;
};

// What one camera detects: objects of `labels` (motion only finds where
// to look), or, with `detect = ["motion"]`, motion itself (no object
// stage; its events are "motion"). Neither: detection is off for it.
struct CameraDetectConfig {
  std::vector<Label> labels;
  bool motionOnly = false;
  // The labels the household's screens announce (`notify_labels`); none:
  // every label (a camera announces only what it detects).
  std::optional<std::vector<Label>> notify;
  std::vector<Zone> zones;
  std::vector<Mask> masks;

  bool enabled() const { return motionOnly || !labels.empty(); }
  // Whether a new event of `label` is announced on the household's screens.
  bool notifies(Label label) const;
  bool operator==(const CameraDetectConfig&) const = default;
};
inline constexpr std::string_view kCameraDetectConfigKeys[] = {"detect", "notify_labels", "zone", "mask"};
Status readCameraDetectConfig(const ConfigTable& table, CameraDetectConfig& out);

// What the names and polygons of zones and masks must be, in the config
// file and the API alike: a name of 1 to 64 characters without control
// characters, unique among the camera's zones (or its masks), and 3 to 64
// points.
inline constexpr size_t kMinPolygonPoints = 3;
inline constexpr size_t kMaxPolygonPoints = 64;
bool isValidAreaName(std::string_view name);

}  // namespace vigil::detect

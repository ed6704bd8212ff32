#pragma once
// Detection's options: the node's [detect] section, and the keys of a
// [[camera]] table that say what a camera detects and where (`detect`,
// `[[camera.zone]]`, `[[camera.mask]]`). app/config.h reads both.

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
};

// A privacy mask: blacked out before detection sees the picture; with
// `all`, also in local live view and recording (issue 16 item 5).
struct Mask {
  enum class Applies { kShared, kAll };
  std::string name;
  Polygon polygon;
  Applies applies = Applies::kShared;
};

// What one camera detects: objects of `labels` (motion only finds where
// to look), or, with `detect = ["motion"]`, motion itself (no object
// stage; its events are "motion"). Neither: detection is off for it.
struct CameraDetectConfig {
  std::vector<Label> labels;
  bool motionOnly = false;
  std::vector<Zone> zones;
  std::vector<Mask> masks;

  bool enabled() const { return motionOnly || !labels.empty(); }
};
inline constexpr std::string_view kCameraDetectConfigKeys[] = {"detect", "zone", "mask"};
Status readCameraDetectConfig(const ConfigTable& table, CameraDetectConfig& out);

}  // namespace vigil::detect

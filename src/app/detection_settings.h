#pragma once
// Each camera's detection settings in effect (design/DETECT.md, "Settings
// from the UI"): what its owner set in the UI, kept in events.db, over
// what the config file says, except that the file's privacy masks always
// apply too (a mask written in the file is never lifted from the UI); a
// change is kept first, then handed to whatever applies it (the pipeline,
// the event trackers). Thread-safe.

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "app/config.h"
#include "base/mutex.h"
#include "detect/event_store.h"
#include "http/detection_settings_routes.h"

namespace vigil::app {

class DetectionSettings {
 public:
  using Current = http::DetectionSettingsRoutesContext::Current;
  // `masksChanged`: the privacy masks differ from those in effect before.
  using Apply =
      std::function<void(const std::string& camera, const detect::CameraDetectConfig& config, bool masksChanged)>;

  // Reads what the owner set for `cameras` and puts it in their `detect`,
  // so that the node starts with the settings in effect. Settings kept for
  // a camera no longer in the file are left alone (it may come back).
  static Result<std::unique_ptr<DetectionSettings>> load(detect::EventStore& store,
                                                         std::vector<ConfiguredCamera>& cameras);

  // Before the first set(): what applies a change (called under no lock of ours).
  void onChange(Apply apply) { apply_ = std::move(apply); }

  // NotFound for a camera the node does not have.
  Result<Current> get(const std::string& camera) const EXCLUDES(mutex_);
  // Keeps `config` (none: back to the file's), then applies it.
  Status set(const std::string& camera, const std::optional<detect::CameraDetectConfig>& config) EXCLUDES(mutex_);

 private:
  struct Camera {
    detect::CameraDetectConfig fromFile;
    std::optional<detect::CameraDetectConfig> fromOwner;
    // The owner's, with the file's masks it does not have; else the file's.
    detect::CameraDetectConfig inEffect() const;
  };
  DetectionSettings(detect::EventStore& store, std::map<std::string, Camera> cameras)
      : store_(store), cameras_(std::move(cameras)) {}

  detect::EventStore& store_;
  Apply apply_;
  mutable Mutex mutex_;
  std::map<std::string, Camera> cameras_ GUARDED_BY(mutex_);
};

}  // namespace vigil::app

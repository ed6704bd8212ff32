#include "app/detection_settings.h"

#include <fmt/format.h>

#include <algorithm>

namespace vigil::app {

detect::CameraDetectConfig DetectionSettings::Camera::inEffect() const {
  if (!fromOwner) return fromFile;
  detect::CameraDetectConfig config = *fromOwner;
  for (const detect::Mask& m : fromFile.masks) {
    if (std::find(config.masks.begin(), config.masks.end(), m) == config.masks.end()) config.masks.push_back(m);
  }
  return config;
}

Result<std::unique_ptr<DetectionSettings>> DetectionSettings::load(detect::EventStore& store,
                                                                   std::vector<ConfiguredCamera>& cameras) {
  auto kept = store.cameraSettings();
  if (!kept) return kept.status();
  std::map<std::string, Camera> known;
  for (ConfiguredCamera& c : cameras) {
    Camera& camera = known[c.camera.id];
    camera.fromFile = c.detect;
    if (auto it = kept->find(c.camera.id); it != kept->end()) {
      camera.fromOwner = it->second;
      c.detect = camera.inEffect();
    }
  }
  return std::unique_ptr<DetectionSettings>(new DetectionSettings(store, std::move(known)));
}

Result<DetectionSettings::Current> DetectionSettings::get(const std::string& camera) const {
  MutexLock lock(mutex_);
  auto it = cameras_.find(camera);
  if (it == cameras_.end()) return Status::notFound(fmt::format("no camera \"{}\" on this node", camera));
  const Camera& c = it->second;
  return Current{.config = c.inEffect(), .setByOwner = c.fromOwner.has_value()};
}

Status DetectionSettings::set(const std::string& camera, const std::optional<detect::CameraDetectConfig>& config) {
  detect::CameraDetectConfig inEffect;
  bool masksChanged = false;
  {
    MutexLock lock(mutex_);
    auto it = cameras_.find(camera);
    if (it == cameras_.end()) return Status::notFound(fmt::format("no camera \"{}\" on this node", camera));
    Camera& c = it->second;
    const std::vector<detect::Mask> before = c.inEffect().masks;
    VIGIL_RETURN_IF_ERROR(store_.setCameraSettings(camera, config));
    c.fromOwner = config;
    inEffect = c.inEffect();
    masksChanged = inEffect.masks != before;
  }
  if (apply_) apply_(camera, inEffect, masksChanged);
  return Status::ok();
}

}  // namespace vigil::app

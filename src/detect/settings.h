#pragma once
// A camera's detection settings as JSON, the form the API and events.db
// keep them in (design/DETECT.md, "Settings from the UI"):
//   {"labels": ["person", ...], "notify": ["person", ...],
//    "zones": [{"name", "kind": "include"|"ignore", "polygon": [[x, y], ...]}],
//    "masks": [{"name", "applies": "shared"|"all", "polygon": [[x, y], ...]}]}
// the same rules as the config file's `detect`, `notify_labels`,
// `[[camera.zone]]` and `[[camera.mask]]` (detect/config.h).

#include <nlohmann/json.hpp>
#include <string_view>

#include "base/status.h"
#include "detect/config.h"

namespace vigil::detect {

// At most this many zones, and as many masks, per camera from the API.
inline constexpr size_t kMaxAreasPerCamera = 16;

// InvalidArgument naming the field at fault ("zones[1].polygon: ...").
// `labels` is required (["motion"] alone: motion events only); the rest
// may be left out (none). `notify` left
// out or null: every label.
Result<CameraDetectConfig> parseCameraDetectJson(std::string_view json);
nlohmann::json cameraDetectJson(const CameraDetectConfig& config);

}  // namespace vigil::detect

#pragma once
// A camera's detection settings, set by its owner (the node's admins) in
// the UI over what the config file says (design/DETECT.md, "Settings from
// the UI"):
//   GET    /api/v1/cameras/{id}/detection  {"labels", "notify", "zones", "masks" (detect/settings.h),
//                                           "source": "file"|"owner"}
//   PUT    /api/v1/cameras/{id}/detection  the same keys but source: kept and in effect from the next
//                                          picture analysed; answers what is now in effect
//   DELETE /api/v1/cameras/{id}/detection  back to the config file's; answers them
// Admins only. Each change is a `detection_change` audit row (AUDIT.md).
// 400 naming the field at fault, 413 for a body over 64 KiB, 404 for a
// camera of a node below (its owner sets them there) or none at all.

#include <functional>
#include <optional>
#include <string>

#include "access/audit.h"
#include "detect/config.h"
#include "http/server.h"

namespace vigil::http {

struct DetectionSettingsRoutesContext {
  struct Current {
    detect::CameraDetectConfig config;
    bool setByOwner = false;  // false: the config file's
  };
  // NotFound for a camera this node does not have.
  std::function<Result<Current>(const std::string& camera)> get;
  // Keeps and applies `config`; none: back to the file's.
  std::function<Status(const std::string& camera, const std::optional<detect::CameraDetectConfig>& config)> set;
  access::AuditLog* audit = nullptr;
};

void addDetectionSettingsRoutes(HttpServer& server, DetectionSettingsRoutesContext context);

}  // namespace vigil::http

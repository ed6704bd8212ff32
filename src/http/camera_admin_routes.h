#pragma once
// Cameras added, changed and deleted by the node's admins (design/CAMERAS.md):
//   GET    /api/v1/cameras/{id}   its [[camera]] keys, credentials left out
//                                 ("has_password"), "managed_by": "file"|"ui", "enabled"
//   POST   /api/v1/cameras        a [[camera]] table as JSON (+ "enabled", default
//                                 true): checked, kept, started; 201 with GET's answer
//   PUT    /api/v1/cameras/{id}   the whole table again (+ "enabled"): a password
//                                 left out is kept; applied at once
//   DELETE /api/v1/cameras/{id}?recordings=keep|delete   stopped and forgotten
//   POST   /api/v1/cameras/probe  {"url"} or {"address", "username", "password"}
//                                 (+ "sub_url"): what the camera sends, with a preview
// (GET /api/v1/cameras itself is camera_routes.h.) Admins only. 400 naming
// the key at fault, 409 for a camera of the config file ("edit the file")
// or an id taken, 413 for a body over 64 KiB.

#include <functional>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "http/server.h"

namespace vigil::http {

struct CameraAdminRoutesContext {
  struct By {
    std::string user;
    std::string client;
  };
  std::function<Result<nlohmann::json>(const std::string& id)> get;
  std::function<Result<nlohmann::json>(nlohmann::json table, bool enabled, const By& by)> add;
  std::function<Result<nlohmann::json>(const std::string& id, nlohmann::json table, std::optional<bool> enabled,
                                       const By& by)>
      update;
  std::function<Status(const std::string& id, bool deleteRecordings, const By& by)> remove;
  // The probe's body, checked (parseCameraProbe); its answer as JSON.
  struct Probe {
    std::string url;      // a full rtsp:// URL; or
    std::string address;  // a host or host:port, tried on the usual paths
    std::string subUrl;   // with url: the sub stream too
    std::string username;
    std::string password;
  };
  std::function<Result<nlohmann::json>(const Probe& probe)> probe;
};

// A camera table of a POST or PUT body: the object with "enabled" taken
// out. InvalidArgument naming the field at fault.
struct CameraBody {
  nlohmann::json table;
  std::optional<bool> enabled;
};
Result<CameraBody> parseCameraBody(std::string_view body);
Result<CameraAdminRoutesContext::Probe> parseCameraProbe(std::string_view body);

void addCameraAdminRoutes(HttpServer& server, CameraAdminRoutesContext context);

}  // namespace vigil::http

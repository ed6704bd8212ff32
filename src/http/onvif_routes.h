#pragma once
// ONVIF (design/ONVIF.md, "The API"):
//   POST /api/v1/onvif/discover   admin: {"user"?, "password"?, "timeout_ms"? 500..10000, default 2000}:
//                                 one WS-Discovery Probe; {"devices": [{"endpoint_reference", "address",
//                                 "xaddrs", "name", "hardware"}]}, and with a user each device's
//                                 describeDevice() fields too (or its "error" and "reason")
//   POST /api/v1/onvif/probe      admin: {"address", "user"?, "password"?}: {"address", "manufacturer",
//                                 "model", "firmware", "serial", "ptz", "main_url", "sub_url",
//                                 "snapshot_url", "profiles": [{"token", "name", "encoding", "width",
//                                 "height", "ptz", "stream_url", "snapshot_url"}]}
//   GET  /api/v1/cameras/{id}/ptz  whoever may watch the camera: {"presets": [{"token", "name"}]}
//   POST /api/v1/cameras/{id}/ptz  the same: {"action": "move"|"stop"|"goto"|"set_preset",
//                                 "pan"?, "tilt"?, "zoom"? (-1..1, move), "preset" (goto),
//                                 "name" (set_preset)}; {} or {"preset": token} for set_preset
// A device's errors: 422 {"error", "reason": "wrong_password"} for a user
// or password the device refused, 502 "unreachable" / "bad_answer" (not
// SOAP, too large, a DOCTYPE), 504 "timeout", 409 "fault" (a SOAP fault,
// no PTZ). A camera without an `onvif` address: 409 "no_onvif". Each call
// is an audit row (onvif_discover, onvif_probe, ptz); a second discovery
// while one runs: 429.

#include <functional>
#include <optional>
#include <string>

#include "access/audit.h"
#include "onvif/client.h"
#include "onvif/discovery.h"
#include "http/server.h"

namespace vigil::http {

// A camera's ONVIF device: its device service and the camera's credentials.
struct OnvifCamera {
  std::string deviceUrl;
  onvif::Credentials credentials;
};

struct OnvifRouteOptions {
  onvif::DiscoveryOptions discovery;  // its timeout is the default of timeout_ms
  // The ONVIF device of a camera of this node; nullopt for a camera without one.
  std::function<std::optional<OnvifCamera>(const std::string& camera)> camera;
  access::AuditLog* audit = nullptr;
  std::chrono::milliseconds callTimeout{5000};  // each SOAP call
};

void addOnvifRoutes(HttpServer& server, OnvifRouteOptions options);

}  // namespace vigil::http

#pragma once
// Device sessions for a TV (design/AUDIT.md "Device sessions for a TV";
// access/device_pairing.h):
//   POST /api/v1/devices/pair  (no body, or {}) -> 201 {"code" ("KXTR-MPWD", to show),
//                          "pairing" (the TV's secret: it alone fetches the session),
//                          "expires_at","poll_ms"}; 429 when too many codes wait  (public)
//   POST /api/v1/devices/pair/wait {"pairing"} -> {"state":"waiting","expires_at"}, or
//                          once confirmed {"state":"paired", and what /me gives} + the
//                          device session's cookie vigil_session (this once); 410 once
//                          the code expired; 404 for a pairing unknown or done with  (public)
//   POST /api/v1/devices   {"code","name"}: confirms a TV's code, naming the TV: a device
//                          session of the caller's -> 201, the session as the sessions
//                          list has it; 404 no TV shows the code, 409 expired or used,
//                          429 + Retry-After after too many wrong codes              (user)
//   GET  /api/v1/devices   the device sessions, as the sessions list has them, newest
//                          first: one's own; an admin's, everyone's                  (user)
// A device session is ended (revoked) like any session: DELETE /api/v1/sessions/{id}.

#include "access/accounts.h"
#include "access/device_pairing.h"
#include "base/config.h"
#include "http/server.h"

namespace vigil::http {

void addDeviceRoutes(HttpServer& server, access::Accounts& accounts, access::DevicePairing& pairing,
                     const NodeConfig& node);

}  // namespace vigil::http

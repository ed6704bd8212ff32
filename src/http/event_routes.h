#pragma once
// POST /api/v1/cameras/{id}/events {"action": "open"|"close", "label"?}:
// opens or closes a camera's event by hand, for cameras with
// record = "events" (design/STORAGE.md, Record modes), until detection
// opens them. Operators and admins; each change is written to the audit
// log with the user, the camera and the label.
//
// Answers 200 {"camera", "event": "open"|"closed"}; 400 naming the field
// of a bad body; 404 for a camera the user cannot see or that does not
// exist; 409 when the camera is not in events mode, or the event is
// already open (open) or not open (close).

#include <functional>
#include <string>

#include "access/audit.h"
#include "base/status.h"
#include "http/server.h"

namespace vigil::http {

// Opens (true) or closes (false) the event of a camera: NotFound,
// FailedPrecondition as above.
using EventControl = std::function<Status(const std::string& camera, bool open)>;

void addEventRoutes(HttpServer& server, EventControl control, access::AuditLog& audit);

}  // namespace vigil::http

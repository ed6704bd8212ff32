#pragma once
// One-key alarms (design/ALARMS.md). Errors are {"error": "..."}.
//   POST /api/v1/alarms              user: {"kind": "intrusion"|"fire"|"medical"|"other", "note"?, "cameras"?}
//                                    -> 201 {"id"}; 409 on a node without a parent link
//   GET  /api/v1/alarms?state=open|acknowledged|closed&limit=100
//                                    user: {"alarms": [newest first], "cursor"}
//   GET  /api/v1/alarms?since=CURSOR&limit=100
//                                    user: {"alarms": [changed after CURSOR, oldest change first], "cursor"}:
//                                    poll with the cursor of the previous answer (a desk's live list)
//   GET  /api/v1/alarms/{id}         user: the alarm with its "history" here
// A viewer reads only the alarms raised at this node; operators and admins
// also those that came from below.
//   POST /api/v1/alarms/{id}/ack     operator, at a desk: first wins; 409 {"error", "acknowledged_by"}
//   POST /api/v1/alarms/{id}/assign  operator: {"to"}
//   POST /api/v1/alarms/{id}/notes   operator: {"text"}
//   POST /api/v1/alarms/{id}/close   operator: {"outcome"}
// The desk's routes answer 403 on the node that raised the alarm, 409 on
// a closed one (ack: on an acknowledged one), 404 for an unknown id; they
// answer the alarm as GET does.
// A raise and each desk action are audited once done (design/AUDIT.md,
// alarm_raise and alarm_desk).
//
// An alarm: {"id", "node", "node_path", "kind", "note", "cameras",
// "state", "raised_at", "delivered_at", "acknowledged_by",
// "acknowledged_at", "assigned_to", "assigned_at", "notes": [{"by", "at",
// "text"}], "closed_by", "closed_at", "outcome", "escalated_to",
// "origin": raised here, "received_from": the child it came from or null,
// "delivery": "stored"|"sent"|"delivered" on the origin (else null),
// "change": the cursor of its last change}. Times are RFC 3339; what has
// not happened is null.

#include <functional>
#include <string_view>

#include "access/audit.h"
#include "alarm/alarms.h"
#include "http/server.h"

namespace vigil::http {

struct AlarmRouteOptions {
  alarm::Alarms* alarms = nullptr;
  access::AuditLog* audit = nullptr;
  std::function<bool(std::string_view camera)> cameraExists;  // this node's own cameras
};

void addAlarmRoutes(HttpServer& server, const AlarmRouteOptions& options);

}  // namespace vigil::http

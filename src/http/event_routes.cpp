#include "http/event_routes.h"

#include <nlohmann/json.hpp>

#include "base/log.h"
#include "http/input.h"

namespace vigil::http {

namespace {

Response setEvent(const EventControl& control, access::AuditLog& audit, const Request& req) {
  const std::string& camera = req.params.at("id");  // one the user may see (the gate)
  auto body = parseEventRequest(req.body);
  if (!body) return errorResponse(body.status());
  if (Status s = control(camera, body->open); !s.isOk()) return errorResponse(s);
  nlohmann::json detail = nlohmann::json::object();
  if (!body->label.empty()) detail["label"] = body->label;
  if (Status s = audit.record({req.principal->user, body->open ? access::audit_kind::kEventOpen : access::audit_kind::kEventClose, camera,
                               req.remoteAddress, detail.dump()});
      !s.isOk()) {
    // The event changed; only its audit row is missing. Say so loudly.
    log::error("http.event.audit_failed", {{"camera", camera}, {"user", req.principal->user}, {"error", s}});
    return errorResponse(s);
  }
  return Response::json(200, nlohmann::json{{"camera", camera}, {"event", body->open ? "open" : "closed"}}.dump());
}

}  // namespace

void addEventRoutes(HttpServer& server, EventControl control, access::AuditLog& audit) {
  server.route("POST", "/api/v1/cameras/{id}/events", {Access::kOperator, "id"},
               [control = std::move(control), &audit](const Request& req) { return setEvent(control, audit, req); });
}

}  // namespace vigil::http

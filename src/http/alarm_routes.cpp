#include "http/alarm_routes.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "http/input.h"

namespace vigil::http {

namespace {

using nlohmann::json;

constexpr size_t kMaxBodyBytes = 16 * 1024;
constexpr int64_t kDefaultLimit = 100;
constexpr int64_t kMaxLimit = 1000;

json timeJson(int64_t millis) {
  return millis == 0 ? json(nullptr) : json(WallTime::fromUnixMicros(millis * 1000).toRfc3339());
}
json textJson(const std::string& s) { return s.empty() ? json(nullptr) : json(s); }

json alarmJson(alarm::Alarms& alarms, const alarm::StoredAlarm& s) {
  const alarm::Alarm& a = s.alarm;
  json notes = json::array();
  for (const alarm::Note& n : a.notes) notes.push_back({{"by", n.by}, {"at", timeJson(n.at)}, {"text", n.text}});
  const std::string_view delivery = alarms.delivery(s);
  return {{"id", a.id},
          {"node", a.node},
          {"node_path", a.nodePath},
          {"kind", alarm::kindName(a.kind)},
          {"note", a.note},
          {"cameras", a.cameras},
          {"state", alarm::stateName(a.state())},
          {"raised_at", timeJson(a.raisedAt)},
          {"delivered_at", timeJson(a.deliveredAt)},
          {"acknowledged_by", textJson(a.acknowledgedBy)},
          {"acknowledged_at", timeJson(a.acknowledgedAt)},
          {"assigned_to", textJson(a.assignedTo)},
          {"assigned_at", timeJson(a.assignedAt)},
          {"notes", std::move(notes)},
          {"closed_by", textJson(a.closedBy)},
          {"closed_at", timeJson(a.closedAt)},
          {"outcome", textJson(a.outcome)},
          {"escalated_to", textJson(a.escalatedTo)},
          {"origin", s.fromChild.empty()},
          {"received_from", textJson(s.fromChild)},
          {"delivery", delivery.empty() ? json(nullptr) : json(delivery)},
          {"change", s.change}};
}

Response raise(alarm::Alarms& alarms, const AlarmRouteOptions& o, const Request& req) {
  if (req.body.size() > kMaxBodyBytes) return Response::error(413, "alarm: body larger than 16 KiB");
  auto body = JsonBody::parse(req.body, {"kind", "note", "cameras"});
  if (!body) return errorResponse(body.status());
  auto kindText = body->string("kind", 16);
  if (!kindText) return errorResponse(kindText.status());
  const auto kind = alarm::kindFromName(*kindText);
  if (!kind) return Response::error(400, "kind: must be intrusion, fire, medical or other");
  auto note = body->optionalString("note", 4 * alarm::kMaxTextChars);
  if (!note) return errorResponse(note.status());
  auto cameras = body->stringList("cameras", alarm::kMaxCameras);
  if (!cameras) return errorResponse(cameras.status());
  for (const std::string& c : *cameras) {
    if (!isValidId(c) || !o.cameraExists || !o.cameraExists(c)) {
      return Response::error(400, fmt::format("cameras: no camera \"{}\" on this node", isValidId(c) ? c : "?"));
    }
  }
  auto raised = alarms.raise(req.principal->user, *kind, *note, *cameras);
  if (!raised) return errorResponse(raised.status());
  // Audited once raised: an alarm is never held back by its row (its id is
  // in the row, so the row cannot come first). A failed row is the answer.
  const Status audited = o.audit->record({req.principal->user, access::audit_kind::kAlarmRaise, "", req.remoteAddress,
                                          json{{"alarm", raised->alarm.id}, {"kind", *kindText}}.dump()});
  if (!audited.isOk()) return errorResponse(audited);
  return Response::json(201, json{{"id", raised->alarm.id}}.dump());
}

// A household's own alarms are for all its users; what came from below
// (other households' alarms, with their notes: often medical) only for a
// desk's operators and admins.
bool mayRead(const Request& req, const alarm::StoredAlarm& a) {
  return a.fromChild.empty() || req.principal->hasRole(access::Role::kOperator);
}

Response list(alarm::Alarms& alarms, const Request& req) {
  auto q = parseQuery(req.query);
  if (!q) return errorResponse(q.status());
  auto limit = intParam(*q, "limit", 1, kMaxLimit, kDefaultLimit);
  if (!limit) return errorResponse(limit.status());
  auto since = intParam(*q, "since", 0, INT64_MAX, -1);
  if (!since) return errorResponse(since.status());
  std::optional<alarm::State> state;
  if (auto it = q->find("state"); it != q->end()) {
    state = alarm::stateFromName(it->second);
    if (!state) return Response::error(400, "state: must be open, acknowledged or closed");
  }
  // The cursor before the list: a change in between comes again, never lost.
  auto cursor = alarms.store().lastChange();
  if (!cursor) return errorResponse(cursor.status());
  auto found = *since >= 0 ? alarms.store().changedSince(*since, static_cast<size_t>(*limit))
                           : alarms.store().list(state, static_cast<size_t>(*limit));
  if (!found) return errorResponse(found.status());
  json out = json::array();
  int64_t next = *since >= 0 ? *since : *cursor;
  for (const alarm::StoredAlarm& a : *found) {
    next = std::max(next, a.change);  // past what is left out too, or a poll would stall on it
    if ((state && a.alarm.state() != *state) || !mayRead(req, a)) continue;
    out.push_back(alarmJson(alarms, a));
  }
  // A page of changes cut at `limit` continues from its last one.
  if (*since >= 0 && found->size() < static_cast<size_t>(*limit)) next = std::max(next, *cursor);
  return Response::json(200, json{{"alarms", std::move(out)}, {"cursor", next}}.dump());
}

Response oneAlarm(alarm::Alarms& alarms, const alarm::StoredAlarm& a, int status) {
  json j = alarmJson(alarms, a);
  auto history = alarms.store().history(a.alarm.id);
  if (!history) return errorResponse(history.status());
  json lines = json::array();
  for (const alarm::HistoryLine& h : *history) {
    lines.push_back({{"change", h.change}, {"at", h.at.toRfc3339()}, {"what", h.what}});
  }
  j["history"] = std::move(lines);
  return Response::json(status, j.dump());
}

Response get(alarm::Alarms& alarms, const Request& req) {
  const std::string& id = req.params.at("id");
  if (!alarm::isValidAlarmId(id)) return Response::error(404, "no such alarm");
  auto a = alarms.store().get(id);
  if (!a) return errorResponse(a.status());
  if (!*a || !mayRead(req, **a)) return Response::error(404, "no such alarm");
  return oneAlarm(alarms, **a, 200);
}

// A desk's action, audited once done (as a raise is): {"alarm", "action"};
// never the note's or outcome's text, which may be medical.
Response act(alarm::Alarms& alarms, access::AuditLog& audit, alarm::Action action, std::string_view name,
             const char* field, const Request& req) {
  const std::string& id = req.params.at("id");
  if (!alarm::isValidAlarmId(id)) return Response::error(404, "no such alarm");
  if (req.body.size() > kMaxBodyBytes) return Response::error(413, "alarm: body larger than 16 KiB");
  std::string text;
  if (field) {
    auto body = JsonBody::parse(req.body, {field});
    if (!body) return errorResponse(body.status());
    auto t = body->string(field, 4 * alarm::kMaxTextChars);
    if (!t) return errorResponse(t.status());
    text = std::move(*t);
  }
  auto done = alarms.act(id, req.principal->user, action, text);
  if (done) {
    const Status audited = audit.record({req.principal->user, access::audit_kind::kAlarmDesk, "", req.remoteAddress,
                                         json{{"alarm", id}, {"action", name}}.dump()});
    if (!audited.isOk()) return errorResponse(audited);
    return oneAlarm(alarms, *done, 200);
  }
  if (done.status().code() == StatusCode::kNotFound) return Response::error(404, "no such alarm");
  if (action == alarm::Action::kAcknowledge && done.status().code() == StatusCode::kFailedPrecondition) {
    auto a = alarms.store().get(id);
    if (a && *a) {
      return Response::json(409, json{{"error", done.status().message()},
                                      {"acknowledged_by", textJson((*a)->alarm.acknowledgedBy)}}
                                     .dump());
    }
  }
  return errorResponse(done.status());
}

}  // namespace

void addAlarmRoutes(HttpServer& server, const AlarmRouteOptions& options) {
  alarm::Alarms& alarms = *options.alarms;
  server.route("POST", "/api/v1/alarms", Access::kUser,
               [&alarms, options](const Request& req) { return raise(alarms, options, req); });
  server.route("GET", "/api/v1/alarms", Access::kUser, [&alarms](const Request& req) { return list(alarms, req); });
  server.route("GET", "/api/v1/alarms/{id}", Access::kUser, [&alarms](const Request& req) { return get(alarms, req); });
  struct DeskRoute {
    const char* path;
    alarm::Action action;
    const char* name;   // in the audit row
    const char* field;  // the body's one field, if any
  };
  access::AuditLog& audit = *options.audit;
  for (const DeskRoute& r : {DeskRoute{"/ack", alarm::Action::kAcknowledge, "ack", nullptr},
                             DeskRoute{"/assign", alarm::Action::kAssign, "assign", "to"},
                             DeskRoute{"/notes", alarm::Action::kNote, "note", "text"},
                             DeskRoute{"/close", alarm::Action::kClose, "close", "outcome"}}) {
    server.route("POST", std::string("/api/v1/alarms/{id}") + r.path, Access::kOperator,
                 [&alarms, &audit, r](const Request& req) { return act(alarms, audit, r.action, r.name, r.field, req); });
  }
}

}  // namespace vigil::http

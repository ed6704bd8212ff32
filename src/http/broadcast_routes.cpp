#include "http/broadcast_routes.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "base/encoding.h"
#include "http/input.h"

namespace vigil::http {

namespace {

using nlohmann::json;

constexpr int64_t kMaxListed = 100;

json timeJson(int64_t millis) {
  return millis == 0 ? json(nullptr) : json(WallTime::fromUnixMicros(millis * 1000).toRfc3339());
}

Result<json> noticeJson(alarm::Notices& notices, const alarm::StoredNotice& s) {
  const alarm::Notice& n = s.notice;
  json j = {{"id", n.id},
            {"from", n.from},
            {"direction", s.sent ? "sent" : "received"},
            {"text", n.text},
            {"priority", alarm::priorityName(n.priority)},
            {"sent_at", timeJson(n.sentAt)},
            {"expires_at", timeJson(n.expiresAt)},
            {"has_audio", n.audioBytes > 0}};
  if (n.audioBytes > 0) j["audio_type"] = n.audioType;
  if (!s.sent) {
    j["delivered_at"] = timeJson(s.deliveredAt);
    j["seen_at"] = timeJson(s.seenAt);
    return j;
  }
  auto counts = notices.store().counts(n.id);
  if (!counts) return counts.status();
  j["receipts"] = {{"targeted", counts->targeted}, {"delivered", counts->delivered}, {"seen", counts->seen}};
  return j;
}

}  // namespace

Result<alarm::NewNotice> parseBroadcastRequest(std::string_view requestBody, const std::string& user) {
  auto body = JsonBody::parse(requestBody, {"text", "priority", "to", "audio", "audio_type", "expires_at"});
  if (!body) return body.status();
  alarm::NewNotice n{.user = user};
  auto text = body->string("text", 4 * alarm::kMaxNoticeChars);
  if (!text) return text.status();
  n.text = std::move(*text);
  auto priority = body->string("priority", 16);
  if (!priority) return priority.status();
  if (!alarm::priorityFromName(*priority)) return Status::invalidArgument("priority: must be normal or urgent");
  n.priority = *alarm::priorityFromName(*priority);
  // "all", or a list of nodes.
  if (auto all = body->string("to", 8); !all || *all != "all") {
    auto to = body->stringList("to", alarm::kMaxNoticeTargets);
    if (!to || to->empty()) {
      return Status::invalidArgument(
          fmt::format("to: must be \"all\" or a list of 1 to {} node paths", alarm::kMaxNoticeTargets));
    }
    n.to = std::move(*to);
  }
  auto audio = body->optionalString("audio", kMaxBroadcastRequestBytes);
  if (!audio) return audio.status();
  if (!audio->empty()) {
    auto bytes = base64Decode(*audio);
    if (!bytes) return Status::invalidArgument("audio: must be base64");
    if (bytes->size() > alarm::kMaxAudioBytes) return Status::invalidArgument("audio: at most 1 MiB");
    n.audio = std::move(*bytes);
  }
  auto audioType = body->optionalString("audio_type", 32);
  if (!audioType) return audioType.status();
  n.audioType = std::move(*audioType);
  auto expires = body->optionalString("expires_at", 64);
  if (!expires) return expires.status();
  if (!expires->empty()) {
    auto at = WallTime::parseRfc3339(*expires);
    if (!at) return Status::invalidArgument("expires_at: must be an RFC 3339 time");
    n.expiresAt = *at;
  }
  return n;
}

namespace {

Response send(alarm::Notices& notices, access::AuditLog& audit, const Request& req) {
  if (!notices.canSend()) return Response::error(403, "a household sends no broadcasts: only a village or a tier above");
  if (req.body.size() > kMaxBroadcastRequestBytes) return Response::error(413, "broadcast: body larger than 2 MiB");
  auto n = parseBroadcastRequest(req.body, req.principal->user);
  if (!n) return errorResponse(n.status());
  auto sent = notices.send(*n);
  if (!sent) return errorResponse(sent.status());
  // Audited once sent, as an alarm is: a notice is never held back by its
  // row (its id is in it). A failed row is the answer.
  const alarm::Notice& s = sent->notice;
  const Status audited = audit.record(
      {req.principal->user, access::audit_kind::kBroadcastSend, "", req.remoteAddress,
       json{{"notice", s.id}, {"priority", alarm::priorityName(s.priority)}, {"to", s.to.empty() ? json("all") : json(s.to)},
            {"audio_bytes", s.audioBytes}}
           .dump()});
  if (!audited.isOk()) return errorResponse(audited);
  return Response::json(201, json{{"id", s.id}}.dump());
}

Response list(alarm::Notices& notices, const Request& req) {
  auto q = parseQuery(req.query);
  if (!q) return errorResponse(q.status());
  auto limit = intParam(*q, "limit", 1, kMaxListed, kMaxListed);
  if (!limit) return errorResponse(limit.status());
  auto found = notices.list(static_cast<size_t>(*limit));
  if (!found) return errorResponse(found.status());
  json out = json::array();
  for (const alarm::StoredNotice& s : *found) {
    auto j = noticeJson(notices, s);
    if (!j) return errorResponse(j.status());
    out.push_back(std::move(*j));
  }
  return Response::json(200, out.dump());
}

Response get(alarm::Notices& notices, const Request& req) {
  auto n = notices.find(req.params.at("id"));
  if (!n) return errorResponse(n.status());
  if (!*n) return Response::error(404, "no such notice");
  auto j = noticeJson(notices, **n);
  if (!j) return errorResponse(j.status());
  // Who saw it when tells when someone was at home: for the desk's
  // operators and admins, not its viewers (counts are for all).
  if ((*n)->sent && req.principal->hasRole(access::Role::kOperator)) {
    auto receipts = notices.store().receipts((*n)->notice.id);
    if (!receipts) return errorResponse(receipts.status());
    json households = json::array();
    for (const alarm::Receipt& r : *receipts) {
      households.push_back({{"node", r.household.node},
                            {"delivered_at", timeJson(r.household.deliveredAt)},
                            {"seen_at", timeJson(r.household.seenAt)}});
    }
    (*j)["households"] = std::move(households);
  }
  return Response::json(200, j->dump());
}

Response audio(alarm::Notices& notices, const Request& req) {
  auto n = notices.find(req.params.at("id"));
  if (!n) return errorResponse(n.status());
  if (!*n || (*n)->notice.audioBytes == 0) return Response::error(404, "no audio");
  auto bytes = notices.store().audio((*n)->notice.id);
  if (!bytes) return errorResponse(bytes.status());
  Response r;
  r.contentType = (*n)->notice.audioType;
  r.body.assign(bytes->begin(), bytes->end());
  return r;
}

Response seen(alarm::Notices& notices, const Request& req) {
  if (Status s = notices.seen(req.params.at("id")); !s.isOk()) {
    return s.code() == StatusCode::kNotFound ? Response::error(404, "no such notice received here") : errorResponse(s);
  }
  return Response{.status = 204, .contentType = ""};
}

}  // namespace

void addBroadcastRoutes(HttpServer& server, alarm::Notices& notices, access::AuditLog& audit) {
  server.route("POST", "/api/v1/broadcasts", Access::kOperator,
               [&notices, &audit](const Request& req) { return send(notices, audit, req); });
  server.route("GET", "/api/v1/broadcasts", Access::kUser, [&notices](const Request& req) { return list(notices, req); });
  server.route("GET", "/api/v1/broadcasts/{id}", Access::kUser, [&notices](const Request& req) { return get(notices, req); });
  server.route("GET", "/api/v1/broadcasts/{id}/audio", Access::kUser,
               [&notices](const Request& req) { return audio(notices, req); });
  server.route("POST", "/api/v1/broadcasts/{id}/seen", Access::kUser,
               [&notices](const Request& req) { return seen(notices, req); });
}

}  // namespace vigil::http

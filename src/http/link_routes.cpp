#include "http/link_routes.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <nlohmann/json.hpp>

#include "base/encoding.h"
#include "access/audit_checkpoint.h"
#include "base/log.h"
#include "http/input.h"
#include "link/checkpoint_relay.h"
#include "link/invite_code.h"

namespace vigil::http {

namespace {

using nlohmann::json;

json optionalTime(const std::optional<WallTime>& t) { return t ? json(t->toRfc3339()) : json(nullptr); }

json trafficJson(const link::Traffic& t) {
  return {{"last_seen", optionalTime(t.lastSeen)},
          {"rtt_ms", t.rttMs ? json(*t.rttMs) : json(nullptr)},
          {"bytes_in", t.bytesIn},
          {"bytes_out", t.bytesOut}};
}

json inviteJson(const link::Invite& i, WallTime now) {
  return {{"id", i.id},
          {"name", i.name},
          {"tier", i.bound ? json(tierName(i.bound->tier)) : json(nullptr)},
          {"child_id", i.bound ? i.bound->childId : ""},
          {"state", i.state(now)},
          {"created_at", i.createdAt.toRfc3339()},
          {"expires_at", i.expiresAt.toRfc3339()},
          {"used_at", optionalTime(i.usedAt)},
          {"used_by", i.usedBy},
          {"revoked_at", optionalTime(i.revokedAt)}};
}

// The last audit checkpoint the parent acknowledged, and what waits for it.
json toParentJson(link::Outbox& outbox) {
  json j = {{"checkpoint_acknowledged", nullptr}, {"outbox_pending", nullptr}};
  if (auto pending = outbox.pending(link::Peer::theParent())) j["outbox_pending"] = *pending;
  auto last = outbox.lastAcknowledged(link::Peer::theParent(), link::kCheckpointMessage);
  if (!last || !*last) return j;
  auto c = access::AuditCheckpoint::parse(std::string((*last)->body.begin(), (*last)->body.end()));
  if (c) j["checkpoint_acknowledged"] = {{"seq", c->seq}, {"head", c->head}, {"at", c->at.toRfc3339()}};
  return j;
}

json checkpointJson(const link::ChildCheckpoint& c) {
  return {{"seq", c.seq},
          {"head", c.head},
          {"at", c.at.toRfc3339()},
          {"received_at", c.receivedAt.toRfc3339()},
          {"problem", c.problem.empty() ? json(nullptr) : json(c.problem)},
          {"text", c.text}};
}

json onlineJson(std::optional<bool> online) { return online ? json(*online) : json(nullptr); }

// A child's health as its row in GET /api/v1/link shows it; null when it reported none.
json childHealthJson(link::HealthStore& health, const std::string& child) {
  auto h = health.child(child);
  if (!h || (!h->summary && h->camerasReported == 0)) return nullptr;
  json j = {{"cameras_reported", h->camerasReported}, {"cameras_reported_online", h->camerasReportedOnline},
            {"at", nullptr}, {"cameras_total", nullptr}, {"cameras_online", nullptr}};
  if (h->summary) {
    j["at"] = h->summary->at.toRfc3339();
    j["cameras_total"] = h->summary->camerasTotal;
    j["cameras_online"] = h->summary->camerasOnline;
  }
  return j;
}

json transitionJson(const link::HealthTransition& t) {
  return {{"at", t.at.toRfc3339()}, {"online", onlineJson(t.online)}, {"state", t.state}};
}

WallTime wallNow() { return SystemClock::instance().now(); }

constexpr auto kDefaultHealthRange = std::chrono::hours(24);
constexpr auto kMaxHealthRange = std::chrono::hours(24 * 400);

Response childHealth(link::LinkStore& store, link::HealthStore& health, const Request& req) {
  const std::string& id = req.params.at("id");
  auto children = store.listChildren();
  if (!children) return errorResponse(children.status());
  if (!isValidId(id) ||
      std::none_of(children->begin(), children->end(), [&](const link::ChildRecord& c) { return c.id == id; })) {
    return Response::error(404, "no such child");
  }
  auto query = parseQuery(req.query);
  if (!query) return errorResponse(query.status());
  auto range = recentTimeRange(*query, "from", "to", wallNow(), kDefaultHealthRange, kMaxHealthRange);
  if (!range) return errorResponse(range.status());
  const auto [start, end] = *range;
  auto cameras = health.history(id, start, end);
  if (!cameras) return errorResponse(cameras.status());
  json list = json::array();
  for (const link::CameraHealthHistory& c : *cameras) {
    json transitions = json::array();
    for (const link::HealthTransition& t : c.transitions) transitions.push_back(transitionJson(t));
    list.push_back({{"camera", c.camera},
                    {"online", onlineJson(c.last.online)},
                    {"state", c.last.state},
                    {"since", c.last.at.toRfc3339()},
                    {"online_seconds", c.time.onlineSeconds},
                    {"known_seconds", c.time.knownSeconds},
                    {"online_rate", c.time.rate ? json(*c.time.rate) : json(nullptr)},
                    {"transitions", std::move(transitions)},
                    {"transitions_omitted", c.omitted}});
  }
  return Response::json(200, json{{"child", id},
                                  {"from", start.toRfc3339()},
                                  {"to", end.toRfc3339()},
                                  {"health", childHealthJson(health, id)},
                                  {"cameras", std::move(list)}}
                                 .dump());
}

access::Actor actor(const Request& req) { return {req.principal->user, req.remoteAddress}; }

// http's WebSocket as a link connection's transport.
class WebSocketFrames final : public link::FrameChannel {
 public:
  explicit WebSocketFrames(std::shared_ptr<WebSocketChannel> ws) : ws_(std::move(ws)) {}
  bool send(link::FrameBytes frame) override { return ws_->sendBinary(std::move(frame)); }
  bool idle() const override { return ws_->queuedMessages() == 0; }
  void close(uint16_t code, std::string reason) override { ws_->close(code, std::move(reason)); }
  boost::asio::any_io_executor executor() const override { return ws_->executor(); }

 private:
  std::shared_ptr<WebSocketChannel> ws_;
};

Result<WebSocketSession> connect(link::ChildLinks& children, const Request& req) {
  link::ChannelBinding binding{};
  if (req.tlsChannelBinding.size() != binding.size()) {
    return Status::failedPrecondition("the link needs TLS 1.3 straight to this node (serve HTTPS, no TLS proxy)");
  }
  std::copy(req.tlsChannelBinding.begin(), req.tlsChannelBinding.end(), binding.begin());
  // Set on open, used by the other callbacks (all on the socket's loop).
  auto connection = std::make_shared<std::shared_ptr<link::ChildLinks::Connection>>();
  WebSocketSession session;
  session.onOpen = [&children, connection, binding, address = req.remoteAddress](std::shared_ptr<WebSocketChannel> ws) {
    *connection = children.accept(std::make_shared<WebSocketFrames>(std::move(ws)), binding, address);
  };
  session.onMessage = [connection](std::string_view data, bool binary) {
    if (!*connection) return;
    // Text is no link frame: the decoder refuses it like any bad frame.
    (void)binary;
    (*connection)->onMessage(std::span(reinterpret_cast<const uint8_t*>(data.data()), data.size()));
  };
  session.onDrained = [connection] {
    if (*connection) (*connection)->onDrained();
  };
  session.onClose = [connection](std::string_view) {
    if (*connection) (*connection)->onClosed();
    connection->reset();
  };
  return session;
}

Response createInvite(link::Enrolment& enrolment, const Request& req) {
  auto body = JsonBody::parse(req.body, {"name", "expires", "tier", "child_id"});
  if (!body) return errorResponse(body.status());
  auto name = body->string("name", link::kMaxNodeNameBytes);
  if (!name) return errorResponse(name.status());
  auto expires = body->optionalString("expires", 8);
  if (!expires) return errorResponse(expires.status());
  auto lifetime = expires->empty() ? Result<std::chrono::seconds>(link::kDefaultInviteLifetime)
                                   : link::parseInviteLifetime(*expires);
  if (!lifetime) return errorResponse(lifetime.status());
  auto tierText = body->optionalString("tier", 16);
  if (!tierText) return errorResponse(tierText.status());
  std::optional<Tier> tier;
  if (!tierText->empty()) {
    auto parsed = parseTier(*tierText);
    if (!parsed) return errorResponse(Status::invalidArgument("tier: household, village, township or county"));
    tier = *parsed;
  }
  auto childId = body->optionalString("child_id", 64);
  if (!childId) return errorResponse(childId.status());
  auto invite = enrolment.createInvite(actor(req), *name, *lifetime, tier, *childId);
  if (!invite) return errorResponse(invite.status());
  json j = inviteJson(invite->invite, wallNow());
  j["code"] = invite->code;
  return Response::json(201, j.dump());
}

Result<int64_t> inviteId(const Request& req) {
  const std::string& text = req.params.at("id");
  int64_t id = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (ec != std::errc() || end != text.data() + text.size() || id <= 0) {
    return Status::invalidArgument("id: must be an invitation's number");
  }
  return id;
}

Response joinHello(link::Enrolment& enrolment, const Request& req) {
  auto hello = link::parseJoinHello(req.body);
  if (!hello) return errorResponse(hello.status());
  auto answer = enrolment.hello(req.tlsChannelBinding, *hello);
  if (!answer) return errorResponse(answer.status());
  return Response::json(200, link::toJson(*answer));
}

Response join(link::Enrolment& enrolment, link::ChildLinks& children, const Request& req) {
  auto request = link::parseJoinRequest(req.body);
  if (!request) return errorResponse(request.status());
  auto child = enrolment.join(req.tlsChannelBinding, *request, req.remoteAddress);
  if (!child) {
    Response r = errorResponse(child.status());
    if (child.status().code() == StatusCode::kResourceExhausted) r.headers.emplace_back("Retry-After", "60");
    return r;
  }
  if (Status s = children.refresh(); !s.isOk()) return errorResponse(s);
  return Response::json(200, link::toJson(enrolment.self()));
}

json parentRecordJson(const link::ParentRecord& p) {
  return {{"url", p.url}, {"id", p.id}, {"name", p.name}, {"tier", tierName(p.tier)},
          {"fingerprint", link::keyFingerprint(p.key)}};
}

Response joinParent(const LinkRouteOptions& o, const Request& req) {
  auto body = JsonBody::parse(req.body, {"parent", "code"});
  if (!body) return errorResponse(body.status());
  auto url = body->string("parent", 300);
  if (!url) return errorResponse(url.status());
  auto code = body->string("code", 64);
  if (!code) return errorResponse(code.status());
  auto pinned = o.store->parent();
  if (!pinned) return errorResponse(pinned.status());
  if (*pinned) {
    // Moving to another parent stays a deliberate act at the command line.
    return Response::error(409, fmt::format("this node already has a parent: {} \"{}\" at {} (vigil link join changes it)",
                                            tierName((*pinned)->tier), (*pinned)->name, (*pinned)->url));
  }
  auto parent = o.joinParent(actor(req), *url, *code);
  if (!parent) {
    const Status& s = parent.status();
    // The admin typed the address: say why it cannot be reached (or, after
    // the join, why the config file cannot be written).
    if (s.code() == StatusCode::kUnavailable || s.code() == StatusCode::kDeadlineExceeded) {
      return Response::error(502, s.message());
    }
    return errorResponse(s);
  }
  if (o.restart) {
    o.restart();
    return Response::json(200, json{{"parent", parentRecordJson(*parent)}, {"restarting", true}}.dump());
  }
  return Response::json(200, json{{"parent", parentRecordJson(*parent)}, {"restart_needed", true}}.dump());
}

Response linkState(const LinkRouteOptions& o) {
  const link::NodeIdentity& self = o.enrolment->self();
  json j = {{"node", {{"id", self.id},
                      {"name", self.name},
                      {"tier", tierName(self.tier)},
                      {"public_key", hexEncode(self.key)},
                      {"fingerprint", link::keyFingerprint(self.key)}}},
            {"parent", nullptr},
            {"children", json::array()}};
  if (o.health) {
    auto sharesTotals = o.health->sharesTotals();
    if (!sharesTotals) return errorResponse(sharesTotals.status());
    j["node"]["shares_totals"] = *sharesTotals;
  }
  auto pinned = o.store->parent();
  if (!pinned) return errorResponse(pinned.status());
  if (auto p = o.parent ? o.parent() : std::nullopt) {
    json parent = {{"url", p->url},
                   {"id", p->id},
                   {"state", p->state},
                   {"reason", p->reason},
                   {"connected_since", optionalTime(p->connectedSince)},
                   {"attempts", p->attempts}};
    parent.update(trafficJson(p->traffic));
    parent.update(toParentJson(*o.outbox));
    if (*pinned) parent.update({{"name", (*pinned)->name}, {"tier", tierName((*pinned)->tier)}});
    j["parent"] = parent;
  } else if (*pinned) {
    // Joined since this process started (or [link] parent not set): no link until a restart.
    json parent = parentRecordJson(**pinned);
    parent.update({{"state", "restart_needed"},
                   {"reason", "joined; vigil serve connects to its parent once restarted"},
                   {"connected_since", nullptr},
                   {"attempts", 0}});
    parent.update(trafficJson(link::Traffic{}));
    j["parent"] = parent;
  }
  for (const link::ChildLinkStatus& c : o.children->status()) {
    json child = {{"id", c.id},
                  {"name", c.name},
                  {"tier", tierName(c.tier)},
                  {"state", c.state},
                  {"reason", c.reason},
                  {"address", c.address},
                  {"connected_since", optionalTime(c.connectedSince)}};
    child.update(trafficJson(c.traffic));
    if (o.health) child["health"] = childHealthJson(*o.health, c.id);
    j["children"].push_back(child);
  }
  return Response::json(200, j.dump());
}

}  // namespace

void addLinkRoutes(HttpServer& server, const LinkRouteOptions& o) {
  link::Enrolment& enrolment = *o.enrolment;
  link::ChildLinks& children = *o.children;
  server.route("GET", "/api/v1/link", Access::kAdmin, [o](const Request&) { return linkState(o); });
  server.route("POST", "/api/v1/link/invites", Access::kAdmin,
               [&enrolment](const Request& req) { return createInvite(enrolment, req); });
  server.route("GET", "/api/v1/link/invites", Access::kAdmin, [&enrolment](const Request&) {
    auto invites = enrolment.invites();
    if (!invites) return errorResponse(invites.status());
    json list = json::array();
    const WallTime now = wallNow();
    for (const link::Invite& i : *invites) list.push_back(inviteJson(i, now));
    return Response::json(200, list.dump());
  });
  server.route("DELETE", "/api/v1/link/invites/{id}", Access::kAdmin, [&enrolment](const Request& req) {
    auto id = inviteId(req);
    if (!id) return errorResponse(id.status());
    return errorResponse(enrolment.revokeInvite(actor(req), *id));
  });
  // The owner's switch: this node's totals go to the tiers above (design/UPTIME.md, "Overview").
  if (o.health) server.route("PUT", "/api/v1/link/totals", Access::kAdmin, [store = o.health](const Request& req) {
    auto body = JsonBody::parse(req.body, {"shared"});
    if (!body) return errorResponse(body.status());
    auto shared = body->optionalBool("shared");
    if (!shared) return errorResponse(shared.status());
    if (!*shared) return Response::error(400, "shared: true or false is required");
    if (Status s = store->setSharesTotals(**shared); !s.isOk()) return errorResponse(s);
    log::info("link.totals_shared", {{"shared", **shared}, {"by", req.principal->user}});
    return Response::json(200, json{{"shares_totals", **shared}}.dump());
  });
  server.route("DELETE", "/api/v1/link/children/{id}", Access::kAdmin, [&enrolment, &children](const Request& req) {
    const std::string& id = req.params.at("id");
    if (!isValidId(id)) return Response::error(404, "no such child");
    const Status removed = enrolment.removeChild(actor(req), id);
    if (removed.code() == StatusCode::kNotFound) return errorResponse(removed);
    // Its link ends at once, even if the audit row failed (then the answer).
    const Status ended = children.refresh();
    return errorResponse(removed.isOk() ? ended : removed);
  });
  if (o.joinParent) {
    server.route("POST", "/api/v1/link/parent", Access::kAdmin, [o](const Request& req) { return joinParent(o, req); });
  }
  server.route("GET", "/api/v1/link/children/{id}/checkpoints", Access::kAdmin, [store = o.store](const Request& req) {
    const std::string& id = req.params.at("id");
    if (!isValidId(id)) return Response::error(404, "no such child");
    auto kept = store->childCheckpoints(id);
    if (!kept) return errorResponse(kept.status());
    json list = json::array();
    for (const link::ChildCheckpoint& c : *kept) list.push_back(checkpointJson(c));
    return Response::json(200, list.dump());
  });
  if (o.health) {
    server.route("GET", "/api/v1/link/children/{id}/health", Access::kAdmin,
                 [store = o.store, health = o.health](const Request& req) { return childHealth(*store, *health, req); });
  }
  server.route("POST", "/api/v1/link/join/hello", Access::kNode,
               [&enrolment](const Request& req) { return joinHello(enrolment, req); });
  server.route("POST", "/api/v1/link/join", Access::kNode,
               [&enrolment, &children](const Request& req) { return join(enrolment, children, req); });
  server.webSocket("/api/v1/link/connect", Access::kNode,
                   [&children](const Request& req) { return connect(children, req); });
}

}  // namespace vigil::http

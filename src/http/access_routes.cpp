#include "http/access_routes.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <functional>
#include <nlohmann/json.hpp>

#include "access/rights_watch.h"
#include "base/config.h"
#include "http/input.h"
#include "http/remote_looks_audit.h"

namespace vigil::http {

// SameSite=Strict: a browser never sends it with a request another site
// starts. A login's has no Max-Age: the server decides when the session
// ends. Secure over HTTPS, so the browser never sends it in clear.
std::string sessionCookie(std::string_view token, bool secure, bool device) {
  constexpr int kDeviceCookieSeconds = 400 * 24 * 60 * 60;
  return fmt::format("vigil_session={}; HttpOnly; SameSite=Strict; Path=/{}{}", token,
                     device ? fmt::format("; Max-Age={}", kDeviceCookieSeconds) : "", secure ? "; Secure" : "");
}

nlohmann::json principalJson(const access::Principal& p, const NodeConfig& node) {
  nlohmann::json j{{"user", p.user},
                   {"role", access::roleName(p.role)},
                   {"cameras", p.cameras},
                   {"node", node.id.empty() ? nlohmann::json(nullptr) : nlohmann::json(node.id)},
                   {"tier", tierName(node.tier)}};
  if (!p.device.empty()) j["device"] = p.device;
  return j;
}

nlohmann::json sessionJson(const access::SessionRecord& s, const access::Principal& asker) {
  return {{"id", s.id},
          {"user", s.userId},
          {"created_at", s.createdAt.toRfc3339()},
          {"last_seen_at", s.lastSeenAt.toRfc3339()},
          {"expires_at", s.expiresAt.toRfc3339()},
          {"client", s.client},
          {"user_agent", s.userAgent},
          {"device", s.device.empty() ? nlohmann::json(nullptr) : nlohmann::json(s.device)},
          {"current", s.id == asker.sessionId}};
}

namespace {

constexpr size_t kMaxAuditRows = 10000;
// What the store cannot filter by (a row's detail: ?remote=true; whether
// a camera exists) is picked out of at most this many of the newest rows
// that match the store's filters.
constexpr size_t kAuditScan = 20000;
constexpr size_t kMaxCamerasPerUser = 1000;

const char* kClearCookie = "vigil_session=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0";

nlohmann::json auditRowJson(const access::AuditRow& r) {
  nlohmann::json detail = nlohmann::json::parse(r.detail, nullptr, false);
  return {{"seq", r.seq},       {"at", r.at.toRfc3339()}, {"user", r.user},
          {"action", r.action}, {"camera", r.camera},     {"client", r.client},
          {"detail", detail.is_discarded() ? nlohmann::json(r.detail) : detail},
          {"hash", r.hash}};
}

// A failed password check: while throttled, 429 with Retry-After.
Response throttledError(access::Accounts& accounts, const Status& status, const std::string& user,
                        const std::string& client) {
  Response r = errorResponse(status);
  if (status.code() == StatusCode::kResourceExhausted) {
    const auto wait = accounts.retryAfter(user, client);
    r.headers.emplace_back("Retry-After", std::to_string(std::max<int64_t>(1, wait.count())));
  }
  return r;
}

Response login(access::Accounts& accounts, const NodeConfig& node, const Request& req) {
  auto body = parseLoginRequest(req.body);
  if (!body) return errorResponse(body.status());
  const auto agent = req.headers.find("user-agent");
  auto result = accounts.login(body->user, body->password, req.remoteAddress,
                               agent == req.headers.end() ? std::string_view() : agent->second, body->device);
  if (!result) return throttledError(accounts, result.status(), isValidId(body->user) ? body->user : "", req.remoteAddress);
  nlohmann::json j = principalJson(result->principal, node);
  j["token"] = result->token;
  j["expires_at"] = result->expiresAt.toRfc3339();
  Response r = Response::json(200, j.dump());
  r.headers.emplace_back("Set-Cookie", sessionCookie(result->token, req.secure, !body->device.empty()));
  return r;
}

Response changeOwnPassword(access::Accounts& accounts, const Request& req) {
  auto body = JsonBody::parse(req.body, {"current", "new"});
  if (!body) return errorResponse(body.status());
  auto current = body->string("current", 1024);
  if (!current) return errorResponse(current.status());
  auto next = body->string("new", 1024);
  if (!next) return errorResponse(next.status());
  if (Status s = accounts.confirmPassword(req.principal->user, *current, req.remoteAddress); !s.isOk()) {
    return throttledError(accounts, s, req.principal->user, req.remoteAddress);
  }
  if (Status s = accounts.changePassword({req.principal->user, req.remoteAddress}, req.principal->user, *next);
      !s.isOk()) {
    return errorResponse(s);
  }
  Response r = Response::json(200, "{}");
  r.headers.emplace_back("Set-Cookie", kClearCookie);
  return r;
}

Response addUser(access::Accounts& accounts, const Request& req) {
  auto body = JsonBody::parse(req.body, {"id", "role", "password", "cameras"});
  if (!body) return errorResponse(body.status());
  auto id = body->string("id", 64);
  if (!id) return errorResponse(id.status());
  auto roleText = body->string("role", 16);
  if (!roleText) return errorResponse(roleText.status());
  auto role = access::parseRole(*roleText);
  if (!role) return Response::error(400, "role: must be admin, operator or viewer");
  auto password = body->string("password", 1024);
  if (!password) return errorResponse(password.status());
  auto cameras = body->stringList("cameras", kMaxCamerasPerUser);
  if (!cameras) return errorResponse(cameras.status());
  if (Status s = accounts.addUser({req.principal->user, req.remoteAddress}, *id, *role, *password, *cameras);
      !s.isOk()) {
    return errorResponse(s);
  }
  return Response::json(201, nlohmann::json{{"id", *id}, {"role", *roleText}, {"cameras", *cameras}}.dump());
}

std::optional<std::string> optionalTime(const std::optional<WallTime>& at) {
  return at ? std::optional<std::string>(at->toRfc3339()) : std::nullopt;
}

nlohmann::json userJson(const access::User& u) {
  const auto lastLogin = optionalTime(u.lastLoginAt);
  return {{"id", u.id},
          {"role", access::roleName(u.role)},
          {"cameras", u.cameras},
          {"disabled", u.disabled},
          {"created_at", u.createdAt.toRfc3339()},
          {"last_login_at", lastLogin ? nlohmann::json(*lastLogin) : nlohmann::json(nullptr)}};
}

// The user named by the route's {id}, as it is after a change.
Response userAnswer(access::Accounts& accounts, const std::string& id) {
  auto user = accounts.findUser(id);
  if (!user) return errorResponse(user.status());
  return Response::json(200, userJson(*user).dump());
}

// A route's {id} as a user id: the 404 of an unknown user for anything else.
std::optional<Response> badUserId(const std::string& id) {
  if (isValidId(id)) return std::nullopt;
  return Response::error(404, "no such user");
}

// {"role"?, "disabled"?}: at least one.
Response changeUser(access::Accounts& accounts, const Request& req) {
  const std::string& id = req.params.at("id");
  if (auto bad = badUserId(id)) return *bad;
  auto body = JsonBody::parse(req.body, {"role", "disabled"});
  if (!body) return errorResponse(body.status());
  auto roleText = body->optionalString("role", 16);
  if (!roleText) return errorResponse(roleText.status());
  auto disabled = body->optionalBool("disabled");
  if (!disabled) return errorResponse(disabled.status());
  if (roleText->empty() && !*disabled) return Response::error(400, "body: give role, disabled or both");
  std::optional<access::Role> role;
  if (!roleText->empty()) {
    role = access::parseRole(*roleText);
    if (!role) return Response::error(400, "role: must be admin, operator or viewer");
  }
  if (Status s = accounts.changeUser({req.principal->user, req.remoteAddress}, id, role, *disabled); !s.isOk()) {
    return errorResponse(s);
  }
  return userAnswer(accounts, id);
}

// An admin sets another user's password (one forgotten): every session of
// that user ends.
Response resetPassword(access::Accounts& accounts, const Request& req) {
  const std::string& id = req.params.at("id");
  if (auto bad = badUserId(id)) return *bad;
  // One's own password only with the current one (POST /api/v1/password),
  // so a stolen admin session cannot lock its owner out.
  if (id == req.principal->user) {
    return Response::error(403, "your own password is changed with your current one (your account page)");
  }
  auto body = JsonBody::parse(req.body, {"password"});
  if (!body) return errorResponse(body.status());
  auto password = body->string("password", 1024);
  if (!password) return errorResponse(password.status());
  if (Status s = accounts.changePassword({req.principal->user, req.remoteAddress}, id, *password); !s.isOk()) {
    return errorResponse(s);
  }
  return Response::json(200, "{}");
}

// ?user= (an admin's, for another user); one's own sessions otherwise.
Response listSessions(access::Accounts& accounts, const Request& req) {
  auto params = parseQuery(req.query);
  if (!params) return errorResponse(params.status());
  std::string user = req.principal->user;
  for (const auto& [key, value] : *params) {
    if (key != "user") return Response::error(400, "query: unknown parameter (allowed: user)");
    if (!isValidId(value)) return Response::error(400, "user: must match [a-z0-9_-]{1,64}");
    user = value;
  }
  auto sessions = accounts.listSessions(*req.principal, user);
  if (!sessions) return errorResponse(sessions.status());
  nlohmann::json list = nlohmann::json::array();
  for (const access::SessionRecord& s : *sessions) list.push_back(sessionJson(s, *req.principal));
  return Response::json(200, list.dump());
}

Response setCameras(access::Accounts& accounts, const Request& req) {
  auto body = JsonBody::parse(req.body, {"id", "cameras"});
  if (!body) return errorResponse(body.status());
  auto id = body->string("id", 64);
  if (!id) return errorResponse(id.status());
  auto cameras = body->stringList("cameras", kMaxCamerasPerUser);
  if (!cameras) return errorResponse(cameras.status());
  if (Status s = accounts.setCameras({req.principal->user, req.remoteAddress}, *id, *cameras); !s.isOk()) {
    return errorResponse(s);
  }
  return Response::json(200, nlohmann::json{{"id", *id}, {"cameras", *cameras}}.dump());
}

// A user filter: an id, or "<user>@<node>" as rows of looks from other
// tiers name their users.
bool isValidAuditUser(std::string_view user) {
  const size_t at = user.find('@');
  if (at == std::string_view::npos) return isValidId(user);
  return isValidId(user.substr(0, at)) && isValidId(user.substr(at + 1));
}

// The rows that match `filter` and `keep`, newest first, at most
// filter.limit of them, read page by page from the newest, over at most
// kAuditScan rows that match `filter` (the store filters by columns,
// `keep` by the rest). The first page is the rows asked for, so when the
// store's filter says it all one page does. When fewer than asked were
// found and the scan was cut, the header Vigil-Searched-From names the
// oldest row searched: older rows need an earlier `end`.
struct Picked {
  std::vector<access::AuditRow> rows;
  std::optional<WallTime> searchedFrom;
};
Result<Picked> pickRows(access::AuditLog& audit, access::AuditFilter filter,
                        const std::function<bool(const access::AuditRow&)>& keep) {
  const size_t wanted = filter.limit;
  Picked picked;
  size_t scanned = 0;
  for (size_t page = std::max<size_t>(wanted, 1);; page *= 2) {
    filter.limit = std::min(page, kAuditScan - scanned);
    auto rows = audit.query(filter);
    if (!rows) return rows.status();
    scanned += rows->size();
    const bool more = rows->size() == filter.limit;  // older rows may match too
    if (more) filter.beforeSeq = rows->back().seq;
    const WallTime oldest = rows->empty() ? WallTime() : rows->back().at;
    for (access::AuditRow& r : *rows) {
      if (picked.rows.size() == wanted) return picked;
      if (keep(r)) picked.rows.push_back(std::move(r));
    }
    if (picked.rows.size() == wanted || !more) return picked;
    if (scanned == kAuditScan) {
      picked.searchedFrom = oldest;
      return picked;
    }
  }
}

// The kinds of row that are looks at a camera: what a user who is not an
// admin reads of the log (design/AUDIT.md "Who looked at my cameras").
const std::vector<std::string>& lookKinds() {
  namespace k = access::audit_kind;
  static const std::vector<std::string> kinds{k::kLiveStart, k::kLiveStop, k::kLiveHls, k::kPlayback,
                                              k::kExport,    k::kSnapshot, k::kRefused};
  return kinds;
}

bool isLook(std::string_view action) {
  return std::find(lookKinds().begin(), lookKinds().end(), action) != lookKinds().end();
}

// Why another user's live view ended, when an admin's change to that
// user's account ended it: said to anyone but an admin as "access_ended"
// (what an admin did to whom is not the household's to read).
void withoutAccountReasons(nlohmann::json& row) {
  nlohmann::json& detail = row["detail"];
  if (!detail.is_object() || !detail.contains("reason") || !detail["reason"].is_string()) return;
  const std::string reason = detail["reason"];
  for (std::string_view account : {access::end_reason::kPasswordChange, access::end_reason::kUserRemoved,
                                   access::end_reason::kUserDisabled, access::end_reason::kGrantRemoved}) {
    if (reason == account) detail["reason"] = "access_ended";
  }
}

// An admin reads every row as it is. Anyone else reads the looks at the
// cameras they may see (the camera list's rule), from anyone, without the
// client's address (another member's whereabouts) or why an admin's change
// ended another user's view.
Response auditAnswer(const Request& req, access::AuditLog& audit, const CameraGate& gate, const access::AuditFilter& filter,
                     bool remoteOnly) {
  const bool admin = req.principal->hasRole(access::Role::kAdmin);
  if (!admin && !filter.camera.empty()) {
    if (Status s = gate.admit(*req.principal, filter.camera); !s.isOk()) return errorResponse(s);
  }
  // The store keeps to the looks at the cameras the user may see, as far
  // as its columns tell (a viewer's grants); `keep` checks each row again,
  // and that the camera exists.
  access::AuditFilter looks = filter;
  if (!admin) {
    looks.actions = lookKinds();
    if (!req.principal->hasRole(access::Role::kOperator)) looks.cameras = req.principal->cameras;
  }
  auto picked = pickRows(audit, looks, [&](const access::AuditRow& r) {
    if (remoteOnly && !isRemoteLook(r)) return false;
    return admin || (isLook(r.action) && !r.camera.empty() && gate.visible(*req.principal, r.camera));
  });
  if (!picked) return errorResponse(picked.status());
  // Looks from other tiers carry their summary (remote_looks_audit.h).
  const std::vector<nlohmann::json> summaries = remoteOnly ? lookSummaries(picked->rows) : std::vector<nlohmann::json>();
  nlohmann::json list = nlohmann::json::array();
  for (size_t i = 0; i < picked->rows.size(); ++i) {
    nlohmann::json row = auditRowJson(picked->rows[i]);
    if (remoteOnly) row["look"] = summaries[i];
    if (!admin) {
      row["client"] = "";
      if (picked->rows[i].user != req.principal->user) withoutAccountReasons(row);
    }
    list.push_back(std::move(row));
  }
  Response r = Response::json(200, list.dump());
  if (picked->searchedFrom) r.headers.emplace_back("Vigil-Searched-From", picked->searchedFrom->toRfc3339());
  return r;
}

Response queryAudit(access::AuditLog& audit, const CameraGate& gate, const Request& req) {
  auto params = parseQuery(req.query);
  if (!params) return errorResponse(params.status());
  for (const auto& [key, value] : *params) {
    if (key != "start" && key != "end" && key != "user" && key != "camera" && key != "limit" && key != "remote") {
      // The name is echoed only when it is harmless to (a plain id).
      return Response::error(400, fmt::format("{}: unknown parameter (allowed: start, end, user, camera, limit, remote)",
                                              isValidId(key) ? key : "query"));
    }
  }
  access::AuditFilter filter;
  auto start = timeParam(*params, "start");
  if (!start) return errorResponse(start.status());
  auto end = timeParam(*params, "end");
  if (!end) return errorResponse(end.status());
  filter.start = *start;
  filter.end = *end;
  if (filter.start && filter.end && *filter.end <= *filter.start) {
    return Response::error(400, "end: must be after start");
  }
  if (auto it = params->find("user"); it != params->end() && !it->second.empty()) {
    if (!isValidAuditUser(it->second)) return Response::error(400, "user: must be an id ([a-z0-9_-]{1,64}) or <id>@<node id>");
    filter.user = it->second;
  }
  if (auto it = params->find("camera"); it != params->end() && !it->second.empty()) {
    if (!isValidId(it->second)) return Response::error(400, "camera: must match [a-z0-9_-]{1,64}");
    filter.camera = it->second;
  }
  if (auto it = params->find("limit"); it != params->end()) {
    size_t limit = 0;
    const auto [p, ec] = std::from_chars(it->second.data(), it->second.data() + it->second.size(), limit);
    if (ec != std::errc() || p != it->second.data() + it->second.size() || limit == 0 || limit > kMaxAuditRows) {
      return Response::error(400, fmt::format("limit: must be 1..{}", kMaxAuditRows));
    }
    filter.limit = limit;
  }
  bool remoteOnly = false;
  if (auto it = params->find("remote"); it != params->end()) {
    if (it->second != "true") return Response::error(400, "remote: must be true (looks from other tiers only)");
    remoteOnly = true;
  }
  if (!remoteOnly && req.principal->hasRole(access::Role::kAdmin)) {
    auto rows = audit.query(filter);
    if (!rows) return errorResponse(rows.status());
    nlohmann::json list = nlohmann::json::array();
    for (const access::AuditRow& r : *rows) list.push_back(auditRowJson(r));
    return Response::json(200, list.dump());
  }
  return auditAnswer(req, audit, gate, filter, remoteOnly);
}

nlohmann::json apiTokenJson(const access::ApiTokenRecord& t) {
  return {{"id", t.id},
          {"user", t.userId},
          {"name", t.name},
          {"scope", access::tokenScopeName(t.scope)},
          {"created_at", t.createdAt.toRfc3339()},
          {"last_used_at", t.lastUsedAt.toRfc3339()}};
}

// A long-lived credential: made only with the user's password, so a
// stolen session cannot leave one behind.
Response addApiToken(access::Accounts& accounts, const Request& req) {
  auto body = JsonBody::parse(req.body, {"name", "scope", "password", "user"});
  if (!body) return errorResponse(body.status());
  auto name = body->string("name", 100);
  if (!name) return errorResponse(name.status());
  auto scopeText = body->string("scope", 16);
  if (!scopeText) return errorResponse(scopeText.status());
  auto scope = access::parseTokenScope(*scopeText);
  if (!scope) return Response::error(400, "scope: must be alarm or metrics");
  auto password = body->string("password", 1024);
  if (!password) return errorResponse(password.status());
  auto user = body->optionalString("user", 64);
  if (!user) return errorResponse(user.status());
  const std::string owner = user->empty() ? req.principal->user : *user;
  if (owner != req.principal->user && !req.principal->hasRole(access::Role::kAdmin)) {
    return Response::error(403, "user: only an admin makes tokens for another user");
  }
  if (Status s = accounts.confirmPassword(req.principal->user, *password, req.remoteAddress); !s.isOk()) {
    if (s.code() == StatusCode::kPermissionDenied) return Response::error(403, "password: wrong password");
    return throttledError(accounts, s, req.principal->user, req.remoteAddress);
  }
  auto made = accounts.addApiToken({req.principal->user, req.remoteAddress}, owner, *name, *scope);
  if (!made) return errorResponse(made.status());
  nlohmann::json j = apiTokenJson(made->token);
  j["token"] = made->secret;
  return Response::json(201, j.dump());
}

// Each user sees and removes their own tokens; an admin, everyone's.
Result<access::ApiTokenRecord> ownedApiToken(access::Accounts& accounts, const Request& req, const std::string& id) {
  auto all = accounts.listApiTokens();
  if (!all) return all.status();
  for (access::ApiTokenRecord& t : *all) {
    if (t.id == id && (t.userId == req.principal->user || req.principal->hasRole(access::Role::kAdmin))) {
      return std::move(t);
    }
  }
  return Status::notFound("no such token");
}

}  // namespace

void addAccessRoutes(HttpServer& server, access::Accounts& accounts, access::AuditLog& audit, const NodeConfig& node) {
  server.route("POST", "/api/v1/login", Access::kPublic,
               [&accounts, node](const Request& req) { return login(accounts, node, req); });
  server.route("POST", "/api/v1/logout", Access::kUser, [&accounts](const Request& req) {
    if (Status s = accounts.logout(req.sessionToken, req.remoteAddress); !s.isOk()) return errorResponse(s);
    Response r = Response::json(200, "{}");
    r.headers.emplace_back("Set-Cookie", kClearCookie);
    return r;
  });
  server.route("GET", "/api/v1/me", Access::kUser, [node](const Request& req) {
    Response r = Response::json(200, principalJson(*req.principal, node).dump());
    // A TV loads the page daily: its cookie never runs out before its session.
    if (!req.principal->device.empty() && !req.sessionToken.empty()) {
      r.headers.emplace_back("Set-Cookie", sessionCookie(req.sessionToken, req.secure, true));
    }
    return r;
  });
  server.route("POST", "/api/v1/password", Access::kUser,
               [&accounts](const Request& req) { return changeOwnPassword(accounts, req); });
  server.route("GET", "/api/v1/users", Access::kAdmin, [&accounts](const Request&) {
    auto users = accounts.listUsers();
    if (!users) return errorResponse(users.status());
    nlohmann::json list = nlohmann::json::array();
    for (const access::User& u : *users) list.push_back(userJson(u));
    return Response::json(200, list.dump());
  });
  server.route("GET", "/api/v1/users/{id}", Access::kAdmin, [&accounts](const Request& req) {
    const std::string& id = req.params.at("id");
    if (auto bad = badUserId(id)) return *bad;
    return userAnswer(accounts, id);
  });
  server.route("PUT", "/api/v1/users/{id}", Access::kAdmin,
               [&accounts](const Request& req) { return changeUser(accounts, req); });
  server.route("DELETE", "/api/v1/users/{id}", Access::kAdmin, [&accounts](const Request& req) {
    const std::string& id = req.params.at("id");
    if (auto bad = badUserId(id)) return *bad;
    if (Status s = accounts.removeUser({req.principal->user, req.remoteAddress}, id); !s.isOk()) return errorResponse(s);
    return Response{.status = 204, .contentType = ""};
  });
  server.route("POST", "/api/v1/users/{id}/password", Access::kAdmin,
               [&accounts](const Request& req) { return resetPassword(accounts, req); });
  server.route("DELETE", "/api/v1/users/{id}/cameras/{camera}", Access::kAdmin, [&accounts](const Request& req) {
    const std::string& id = req.params.at("id");
    if (auto bad = badUserId(id)) return *bad;
    const std::string& camera = req.params.at("camera");
    if (!isValidCameraRef(camera)) return Response::error(404, "no such grant");
    if (Status s = accounts.revokeCamera({req.principal->user, req.remoteAddress}, id, camera); !s.isOk()) {
      return errorResponse(s);
    }
    return userAnswer(accounts, id);
  });
  server.route("GET", "/api/v1/sessions", Access::kUser,
               [&accounts](const Request& req) { return listSessions(accounts, req); });
  server.route("DELETE", "/api/v1/sessions/{id}", Access::kUser, [&accounts](const Request& req) {
    const std::string& id = req.params.at("id");
    if (id.size() != 16 || !isValidId(id)) return Response::error(404, "no such session");
    if (Status s = accounts.endSession({req.principal->user, req.remoteAddress}, *req.principal, id); !s.isOk()) {
      return errorResponse(s);
    }
    Response r{.status = 204, .contentType = ""};
    if (id == req.principal->sessionId) r.headers.emplace_back("Set-Cookie", kClearCookie);
    return r;
  });
  server.route("POST", "/api/v1/users", Access::kAdmin, [&accounts](const Request& req) { return addUser(accounts, req); });
  server.route("POST", "/api/v1/users/cameras", Access::kAdmin,
               [&accounts](const Request& req) { return setCameras(accounts, req); });
  // Admins read it all; anyone else, the looks at their cameras.
  server.route("GET", "/api/v1/audit", Access::kUser,
               [&audit, &gate = server.cameraGate()](const Request& req) { return queryAudit(audit, gate, req); });
  server.route("POST", "/api/v1/tokens", Access::kUser,
               [&accounts](const Request& req) { return addApiToken(accounts, req); });
  server.route("GET", "/api/v1/tokens", Access::kUser, [&accounts](const Request& req) {
    auto all = accounts.listApiTokens();
    if (!all) return errorResponse(all.status());
    nlohmann::json list = nlohmann::json::array();
    for (const access::ApiTokenRecord& t : *all) {
      if (t.userId == req.principal->user || req.principal->hasRole(access::Role::kAdmin)) list.push_back(apiTokenJson(t));
    }
    return Response::json(200, list.dump());
  });
  server.route("DELETE", "/api/v1/tokens/{id}", Access::kUser, [&accounts](const Request& req) {
    auto token = ownedApiToken(accounts, req, req.params.at("id"));
    if (!token) return errorResponse(token.status());
    if (Status s = accounts.removeApiToken({req.principal->user, req.remoteAddress}, token->id); !s.isOk()) {
      return errorResponse(s);
    }
    return Response{.status = 204, .contentType = ""};
  });
}

}  // namespace vigil::http

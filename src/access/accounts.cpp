#include "access/accounts.h"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "access/client_address.h"
#include "access/crypto.h"
#include "base/config.h"
#include "base/log.h"

namespace vigil::access {

namespace {

// Sessions are written back at most this often on use, so the idle timeout
// is exact to within this much and reading a page is not a write per request.
constexpr std::chrono::seconds kTouchInterval{60};
constexpr std::string_view kApiTokenPrefix = "vgt_";
constexpr size_t kMaxApiTokenName = 100;
// Each token is a row kept for ever and read by every list and removal:
// a user who may make them (with the password, at the speed of its hash)
// must not be able to make them without end. Two made at once may pass
// it by one.
constexpr size_t kMaxApiTokensPerUser = 50;
constexpr size_t kMaxDeviceName = 64;

// A name people give (an API token's, a device's): 1 to `max` bytes of
// text, no control characters.
Status checkName(std::string_view field, std::string_view name, size_t max) {
  if (name.empty() || name.size() > max ||
      std::any_of(name.begin(), name.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; })) {
    return Status::invalidArgument(fmt::format("{}: must be 1 to {} bytes of text", field, max));
  }
  return Status::ok();
}

// A User-Agent kept with a session: printable ASCII, cut short.
std::string jsonDetail(const nlohmann::json& j) { return j.dump(); }

// A hash of a random password nobody knows: checking a login of an unknown
// user against it costs as much as checking a real one, so timing does not
// tell which names exist.
const std::string& decoyHash() {
  static const std::string hash = [] {
    auto h = hashPassword(generatePassword());
    return h ? *h : std::string();
  }();
  return hash;
}

Status validateCameras(const std::vector<std::string>& cameras) {
  for (const std::string& c : cameras) {
    if (!isValidCameraRef(c)) return Status::invalidArgument(fmt::format("cameras: \"{}\" is not a valid id", c));
  }
  return Status::ok();
}

}  // namespace

bool Principal::canView(std::string_view camera) const {
  return role >= Role::kOperator || std::find(cameras.begin(), cameras.end(), camera) != cameras.end();
}

Accounts::Accounts(AccountStore& store, AuditLog& audit, const Clock& clock, AccountsOptions options)
    : store_(store),
      audit_(audit),
      clock_(clock),
      options_(options),
      throttle_(clock, options.throttle),
      tally_(audit, clock, options.tally) {}

Status Accounts::addUser(const Actor& actor, const std::string& id, Role role, std::string_view password,
                         const std::vector<std::string>& cameras) {
  if (!isValidId(id)) return Status::invalidArgument("id: must match [a-z0-9_-]{1,64}");
  VIGIL_RETURN_IF_ERROR(checkPasswordPolicy(password));
  VIGIL_RETURN_IF_ERROR(validateCameras(cameras));
  auto hash = hashPassword(password);
  if (!hash) return hash.status();
  VIGIL_RETURN_IF_ERROR(store_.insertUser({id, role, *hash, cameras, clock_.now(), false, std::nullopt}));
  log::info("access.user_added", {{"user", id}, {"role", roleName(role)}, {"by", actor.user}});
  return audit_.record({actor.user, audit_kind::kUserAdd, "", actor.client,
                        jsonDetail({{"target", id}, {"role", roleName(role)}, {"cameras", cameras}})});
}

Status Accounts::changePassword(const Actor& actor, const std::string& id, std::string_view password) {
  VIGIL_RETURN_IF_ERROR(checkPasswordPolicy(password));
  auto hash = hashPassword(password);
  if (!hash) return hash.status();
  VIGIL_RETURN_IF_ERROR(store_.setPasswordHash(id, *hash));
  announceChange();
  log::info("access.password_changed", {{"user", id}, {"by", actor.user}});
  return audit_.record({actor.user, audit_kind::kPasswordChange, "", actor.client, jsonDetail({{"target", id}})});
}

Status Accounts::setCameras(const Actor& actor, const std::string& id, const std::vector<std::string>& cameras) {
  VIGIL_RETURN_IF_ERROR(validateCameras(cameras));
  auto user = store_.findUser(id);
  if (!user) return user.status();
  VIGIL_RETURN_IF_ERROR(store_.setCameras(id, cameras));
  announceChange();
  log::info("access.cameras_changed", {{"user", id}, {"by", actor.user}});
  return audit_.record({actor.user, audit_kind::kPermissionsChange, "", actor.client,
                        jsonDetail({{"target", id}, {"cameras", cameras}})});
}

Status Accounts::changeUser(const Actor& actor, const std::string& id, std::optional<Role> role,
                           std::optional<bool> disabled) {
  // Only what is given: the store keeps the rest as it is then, so another
  // admin's change made meanwhile is not undone.
  VIGIL_RETURN_IF_ERROR(store_.updateUser(id, role, disabled));
  announceChange();
  nlohmann::json detail{{"target", id}};
  if (role) detail["role"] = roleName(*role);
  if (disabled) detail["disabled"] = *disabled;
  log::info("access.user_changed", {{"user", id}, {"change", detail.dump()}, {"by", actor.user}});
  return audit_.record({actor.user, audit_kind::kUserChange, "", actor.client, jsonDetail(detail)});
}

Status Accounts::removeUser(const Actor& actor, const std::string& id) {
  VIGIL_RETURN_IF_ERROR(store_.deleteUser(id));
  announceChange();
  log::info("access.user_removed", {{"user", id}, {"by", actor.user}});
  return audit_.record({actor.user, audit_kind::kUserRemove, "", actor.client, jsonDetail({{"target", id}})});
}

Status Accounts::revokeCamera(const Actor& actor, const std::string& id, const std::string& camera) {
  // One DELETE, not the list read and written back: revokes at once keep each other's.
  auto left = store_.revokeCamera(id, camera);
  if (!left) {
    if (left.status().code() != StatusCode::kNotFound) return left.status();
    return Status::notFound(fmt::format("{} has no grant of camera \"{}\"", id, isValidCameraRef(camera) ? camera : "?"));
  }
  announceChange();
  log::info("access.cameras_changed", {{"user", id}, {"by", actor.user}});
  return audit_.record({actor.user, audit_kind::kPermissionsChange, "", actor.client,
                        jsonDetail({{"target", id}, {"cameras", *left}})});
}

Result<std::vector<SessionRecord>> Accounts::listSessions(const Principal& asker, const std::string& user) {
  if (user != asker.user && !asker.hasRole(Role::kAdmin)) {
    return Status::permissionDenied("user: only an admin sees another user's sessions");
  }
  return liveSessions(user);
}

Result<std::vector<SessionRecord>> Accounts::liveSessions(const std::string& user) {
  auto sessions = store_.listSessions(user);
  if (!sessions) return sessions.status();
  const WallTime now = clock_.now();
  std::erase_if(*sessions, [&](const SessionRecord& s) {
    return timedOut(s.expiresAt, s.lastSeenAt, !s.device.empty(), now);
  });
  for (SessionRecord& s : *sessions) {
    if (!s.device.empty()) s.expiresAt = s.lastSeenAt + options_.deviceIdleTimeout;
  }
  return sessions;
}

bool Accounts::timedOut(WallTime expiresAt, WallTime lastSeenAt, bool device, WallTime now) const {
  if (device) return now - lastSeenAt >= options_.deviceIdleTimeout;
  return now >= expiresAt || now - lastSeenAt >= options_.idleTimeout;
}

Result<std::vector<SessionRecord>> Accounts::listDevices(const Principal& asker) {
  std::vector<std::string> owners{asker.user};
  if (asker.hasRole(Role::kAdmin)) {
    auto users = store_.listUsers();
    if (!users) return users.status();
    owners.clear();
    for (const User& u : *users) owners.push_back(u.id);
  }
  std::vector<SessionRecord> devices;
  for (const std::string& owner : owners) {
    auto sessions = liveSessions(owner);
    if (!sessions) return sessions.status();
    for (SessionRecord& s : *sessions) {
      if (!s.device.empty()) devices.push_back(std::move(s));
    }
  }
  std::stable_sort(devices.begin(), devices.end(),
                   [](const SessionRecord& a, const SessionRecord& b) { return a.createdAt > b.createdAt; });
  return devices;
}

Status Accounts::checkDeviceRoom(const std::string& user) {
  auto sessions = liveSessions(user);
  if (!sessions) return sessions.status();
  const auto devices =
      std::count_if(sessions->begin(), sessions->end(), [](const SessionRecord& s) { return !s.device.empty(); });
  if (static_cast<size_t>(devices) < options_.maxDevicesPerUser) return Status::ok();
  return Status::failedPrecondition(
      fmt::format("device: {} TVs already stay signed in as you; sign one out on your account page first", devices));
}

Result<User> Accounts::approveDevice(const Actor& actor, std::string_view password, std::string_view device) {
  VIGIL_RETURN_IF_ERROR(checkName("device", device, kMaxDeviceName));
  auto user = checkCredentials(actor.user, password, actor.client, jsonDetail({{"during", "device_pair"}}));
  if (!user) {
    if (user.status().code() == StatusCode::kUnauthenticated) {
      return Status::permissionDenied("password: wrong password");
    }
    return user.status();
  }
  if (user->disabled) return Status::permissionDenied("this account is disabled: ask an admin");
  VIGIL_RETURN_IF_ERROR(checkDeviceRoom(user->id));
  return user;
}

Result<LoginResult> Accounts::addDeviceSession(const Actor& actor, const User& approved, std::string_view device,
                                               const std::string& client, std::string_view userAgent) {
  VIGIL_RETURN_IF_ERROR(checkName("device", device, kMaxDeviceName));
  auto user = store_.findUser(approved.id);
  if (!user) return user.status();
  if (user->disabled) return Status::permissionDenied("this account is disabled: ask an admin");
  if (user->passwordHash != approved.passwordHash) {
    return Status::failedPrecondition("the password changed since the TV was confirmed: confirm it again");
  }
  VIGIL_RETURN_IF_ERROR(checkDeviceRoom(user->id));
  auto made = openSession(*user, client, userAgent, device);
  if (!made) return made.status();
  // The session and its audit row, or neither: a TV asking again after a
  // failure here must not leave a session behind (a device's never expires).
  if (Status audited = audit_.record(
          {actor.user, audit_kind::kDevicePair, "", actor.client,
           jsonDetail({{"device", device}, {"session", made->principal.sessionId}, {"device_client", client}})});
      !audited.isOk()) {
    if (Status taken = store_.deleteSession(sha256Hex(made->token)); !taken.isOk()) {
      // Left unused (nobody holds its token) until an admin ends it: said where they look.
      log::error("access.device_session_left", {{"user", user->id}, {"session", made->principal.sessionId},
                                                {"audit_error", audited}, {"error", taken}});
    }
    return audited;
  }
  log::info("access.device_paired", {{"user", user->id}, {"session", made->principal.sessionId}, {"client", client}});
  return made;
}

Status Accounts::endSession(const Actor& actor, const Principal& asker, const std::string& id) {
  auto session = store_.findSessionById(id);
  if (!session) return session.status();
  if (session->userId != asker.user && !asker.hasRole(Role::kAdmin)) return Status::notFound("no such session");
  VIGIL_RETURN_IF_ERROR(store_.deleteSession(session->tokenHash));
  announceChange();
  log::info("access.session_ended", {{"user", session->userId}, {"session", id}, {"by", actor.user}});
  nlohmann::json detail{{"target", session->userId}, {"session", id}};
  if (!session->device.empty()) detail["device"] = session->device;
  return audit_.record({actor.user, audit_kind::kSessionEnd, "", actor.client, jsonDetail(detail)});
}

Status Accounts::confirmPassword(const std::string& id, std::string_view password, const std::string& client) {
  auto user = checkCredentials(id, password, client, jsonDetail({{"during", "password_change"}}));
  if (!user && user.status().code() == StatusCode::kUnauthenticated) {
    return Status::permissionDenied("current: wrong password");
  }
  return user.status();
}

Result<User> Accounts::checkCredentials(const std::string& name, std::string_view password, const std::string& client,
                                        const std::string& detail) {
  LoginAdmission admission = throttle_.admit(name, client);
  if (!admission.attempt) {
    const bool node = admission.refusal == LoginAdmission::Refusal::kNode;
    // Keyed by address alone: names varied while refused add no rows.
    VIGIL_RETURN_IF_ERROR(
        tally_.count({kAnyone, audit_kind::kLoginFailed, "", client, detail}, node ? "busy" : "throttled"));
    const int64_t wait = admission.retryAfter.count();
    return Status::resourceExhausted(node ? fmt::format("too many logins on this node; retry after {} s", wait)
                                          : fmt::format("too many failed logins; retry after {} s", wait));
  }
  // A database error below counts as a failed attempt (the destructor):
  // erring towards slowing down is the safe side.
  auto found = name.empty() ? Result<User>(Status::notFound("invalid name")) : store_.findUser(name);
  if (!found && found.status().code() != StatusCode::kNotFound) return found.status();
  const bool ok = verifyPassword(password, found ? found->passwordHash : decoyHash()) && found.isOk();
  if (!ok) {
    admission.attempt.reset();  // counted before the row, so a failed write still counts
    VIGIL_RETURN_IF_ERROR(tally_.count({name, audit_kind::kLoginFailed, "", client, detail}, "failed"));
    return Status::unauthenticated("wrong user name or password");
  }
  admission.attempt->succeeded();
  return found;
}

Result<std::optional<std::string>> Accounts::ensureAdmin() {
  auto users = store_.listUsers();
  if (!users) return users.status();
  if (!users->empty()) return std::optional<std::string>();
  std::string password = generatePassword();
  Status added = addUser({"", "first-run"}, "admin", Role::kAdmin, password);
  // Another node sharing the database created it in the meantime.
  if (added.code() == StatusCode::kAlreadyExists) return std::optional<std::string>();
  VIGIL_RETURN_IF_ERROR(added);
  return std::optional<std::string>(std::move(password));
}

Result<LoginResult> Accounts::login(const std::string& user, std::string_view password, const std::string& client,
                                    std::string_view userAgent, std::string_view device) {
  if (!device.empty()) VIGIL_RETURN_IF_ERROR(checkName("device", device, kMaxDeviceName));
  // Names that cannot exist are still audited, but not stored verbatim.
  const std::string name = isValidId(user) ? user : "";
  auto found = checkCredentials(name, password, client, "{}");
  if (!found) return found.status();
  // Said only to whoever knows the password.
  if (found->disabled) {
    VIGIL_RETURN_IF_ERROR(audit_.record({name, audit_kind::kLoginFailed, "", client, jsonDetail({{"disabled", true}})}));
    return Status::permissionDenied("this account is disabled: ask an admin");
  }
  if (!device.empty()) VIGIL_RETURN_IF_ERROR(checkDeviceRoom(found->id));

  auto result = openSession(*found, client, userAgent, device);
  if (!result) return result.status();
  log::info("access.login", {{"user", name}, {"client", client}, {"device", !device.empty()}});
  VIGIL_RETURN_IF_ERROR(audit_.record(
      {name, audit_kind::kLogin, "", client,
       device.empty() ? "{}" : jsonDetail({{"device", device}, {"session", result->principal.sessionId}})}));
  return result;
}

Result<LoginResult> Accounts::openSession(const User& user, const std::string& client, std::string_view userAgent,
                                          std::string_view device) {
  LoginResult result;
  result.token = generateSessionToken();
  const WallTime now = clock_.now();
  result.expiresAt = now + (device.empty() ? options_.sessionLifetime : options_.deviceIdleTimeout);
  const SessionRecord session{.tokenHash = sha256Hex(result.token),
                              .userId = user.id,
                              .createdAt = now,
                              .expiresAt = result.expiresAt,
                              .lastSeenAt = now,
                              .id = generateSessionToken().substr(0, 16),
                              .client = client,
                              .userAgent = printableUserAgent(userAgent),
                              .device = std::string(device)};
  VIGIL_RETURN_IF_ERROR(store_.insertSession(session));
  // Read after the row is in: a change committed before this read is
  // seen, one after it deletes the row itself.
  auto current = store_.findUser(user.id);
  if (!current || current->disabled || current->passwordHash != user.passwordHash) {
    VIGIL_RETURN_IF_ERROR(store_.deleteSession(session.tokenHash));
    if (!current && current.status().code() != StatusCode::kNotFound) return current.status();
    return Status::failedPrecondition("the account changed meanwhile (password, disabled or removed): sign in again");
  }
  result.principal = {user.id, user.role, user.cameras, std::nullopt, session.id, session.device};
  return result;
}

Result<Principal> Accounts::authenticate(std::string_view token) {
  if (token.starts_with(kApiTokenPrefix)) return authenticateApiToken(token);
  if (!looksLikeSessionToken(token)) return Status::unauthenticated("no valid session");
  SessionMark mark;
  auto check = recheck(token, mark);
  if (!check) return check.status();
  if (!check->principal) {
    return Status::unauthenticated(check->ended == end_reason::kSessionExpired ? "session expired"
                                                                                : "no valid session");
  }
  return std::move(*check->principal);
}

Result<SessionCheck> Accounts::recheck(std::string_view token, SessionMark& mark) {
  const std::string tokenHash = sha256Hex(token);
  const WallTime now = clock_.now();

  auto ended = [](std::string_view why) { return SessionCheck{std::nullopt, why}; };
  auto session = store_.findSession(tokenHash);
  if (!session) {
    if (session.status().code() != StatusCode::kNotFound) return session.status();
    // The row is gone: a logout and a password change delete it, and so
    // does whoever finds it expired. What was seen last tells which.
    if (!mark.seen) return ended(end_reason::kSessionEnded);
    if (timedOut(mark.expiresAt, mark.lastSeenAt, mark.device, now)) return ended(end_reason::kSessionExpired);
    auto user = store_.findUser(mark.user);
    if (!user) {
      if (user.status().code() != StatusCode::kNotFound) return user.status();
      return ended(end_reason::kUserRemoved);
    }
    if (user->disabled) return ended(end_reason::kUserDisabled);
    return ended(user->passwordHash != mark.passwordHash ? end_reason::kPasswordChange : end_reason::kLogout);
  }
  if (timedOut(session->expiresAt, session->lastSeenAt, !session->device.empty(), now)) {
    VIGIL_RETURN_IF_ERROR(store_.deleteSession(tokenHash));
    return ended(end_reason::kSessionExpired);
  }
  auto user = store_.findUser(session->userId);
  if (!user) {
    if (user.status().code() != StatusCode::kNotFound) return user.status();
    return ended(end_reason::kUserRemoved);
  }
  if (user->disabled) {  // disabled on a node that has not deleted this session (it does at once)
    VIGIL_RETURN_IF_ERROR(store_.deleteSession(tokenHash));
    return ended(end_reason::kUserDisabled);
  }
  if (now - session->lastSeenAt >= kTouchInterval) {
    VIGIL_RETURN_IF_ERROR(store_.touchSession(tokenHash, now));
    session->lastSeenAt = now;
  }
  mark = {true, user->id, session->expiresAt, session->lastSeenAt, !session->device.empty(), user->passwordHash};
  return SessionCheck{Principal{user->id, user->role, user->cameras, std::nullopt, session->id, session->device}, {}};
}

Status Accounts::logout(std::string_view token, const std::string& client) {
  auto principal = authenticate(token);
  if (!principal) return principal.status();
  VIGIL_RETURN_IF_ERROR(store_.deleteSession(sha256Hex(token)));
  announceChange();
  return audit_.record({principal->user, audit_kind::kLogout, "", client, "{}"});
}

Result<NewApiToken> Accounts::addApiToken(const Actor& actor, const std::string& user, std::string_view name,
                                          TokenScope scope) {
  VIGIL_RETURN_IF_ERROR(checkName("name", name, kMaxApiTokenName));
  auto owner = isValidId(user) ? store_.findUser(user) : Result<User>(Status::notFound(""));
  if (!owner) {
    if (owner.status().code() != StatusCode::kNotFound) return owner.status();
    return Status::invalidArgument("user: no such user");
  }
  if (scope == TokenScope::kMetrics && owner->role != Role::kAdmin) {
    return Status::invalidArgument("scope: a metrics token must be an admin's, as /metrics is for admins");
  }
  auto all = store_.listApiTokens();
  if (!all) return all.status();
  if (std::count_if(all->begin(), all->end(), [&](const ApiTokenRecord& t) { return t.userId == owner->id; }) >=
      static_cast<std::ptrdiff_t>(kMaxApiTokensPerUser)) {
    return Status::failedPrecondition(
        fmt::format("user: {} has {} tokens already, the most a user may have: remove one first", owner->id,
                    kMaxApiTokensPerUser));
  }
  const WallTime now = clock_.now();
  NewApiToken made{.token = {.id = generateSessionToken().substr(0, 16),
                             .userId = owner->id,
                             .name = std::string(name),
                             .scope = scope,
                             .createdAt = now,
                             .lastUsedAt = now},
                   .secret = std::string(kApiTokenPrefix) + generateSessionToken()};
  made.token.tokenHash = sha256Hex(made.secret);
  VIGIL_RETURN_IF_ERROR(store_.insertApiToken(made.token));
  log::info("access.token_added",
            {{"user", owner->id}, {"token", made.token.id}, {"scope", tokenScopeName(scope)}, {"by", actor.user}});
  VIGIL_RETURN_IF_ERROR(audit_.record({actor.user, audit_kind::kTokenAdd, "", actor.client,
                                       nlohmann::json{{"user", owner->id},
                                                      {"token", made.token.id},
                                                      {"name", made.token.name},
                                                      {"scope", tokenScopeName(scope)}}
                                           .dump()}));
  return made;
}

Status Accounts::removeApiToken(const Actor& actor, const std::string& id) {
  VIGIL_RETURN_IF_ERROR(store_.deleteApiToken(id));
  log::info("access.token_removed", {{"token", id}, {"by", actor.user}});
  return audit_.record({actor.user, audit_kind::kTokenRemove, "", actor.client, nlohmann::json{{"token", id}}.dump()});
}

Result<Principal> Accounts::authenticateApiToken(std::string_view secret) {
  if (!looksLikeSessionToken(secret.substr(kApiTokenPrefix.size()))) return Status::unauthenticated("no valid token");
  auto token = store_.findApiToken(sha256Hex(secret));
  if (!token) {
    if (token.status().code() != StatusCode::kNotFound) return token.status();
    return Status::unauthenticated("no valid token");
  }
  auto user = store_.findUser(token->userId);
  if (!user) {
    if (user.status().code() != StatusCode::kNotFound) return user.status();
    return Status::unauthenticated("no valid token");
  }
  if (user->disabled) return Status::unauthenticated("no valid token");
  if (const WallTime now = clock_.now(); now - token->lastUsedAt >= kTouchInterval) {
    VIGIL_RETURN_IF_ERROR(store_.touchApiToken(token->id, now));
  }
  return Principal{user->id, user->role, user->cameras, token->scope, "", ""};
}

void Accounts::setChangeListener(std::function<void()> listener) {
  MutexLock lock(listenerMutex_);
  listener_ = std::move(listener);
}

void Accounts::announceChange() {
  MutexLock lock(listenerMutex_);
  if (listener_) listener_();
}

}  // namespace vigil::access

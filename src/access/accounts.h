#pragma once
// Users, roles and sessions: the access module's entry point for http and
// the CLI. Every change and every login attempt is written to the audit log.
//
// A session is a 256-bit random token handed to the client once; only its
// SHA-256 is stored, so a copy of the database does not let anyone in. A
// session ends at its absolute expiry, after an idle timeout, on logout,
// and (for all of a user's sessions) when the user's password changes.
//
// A device session is a TV's (AUDIT.md "Device sessions for a TV"): a
// session like a login's, stored the same way, with a name ("Living-room
// TV") and no absolute expiry. It is made once, by the password typed on
// the TV (login() with a device name) or by a code the TV shows confirmed
// by a logged-in user (device_pairing.h), for that user and with that
// user's rights at each use. It ends after deviceIdleTimeout unused, on
// logout, when revoked (endSession()), and like every session of its user
// on a password change, the user's disabling or removal.
//
// An API token is for what cannot log in: a smart button raising an alarm
// over HTTP, Prometheus reading /metrics. It is "vgt_" and a 256-bit
// random secret, given once and stored as its SHA-256 like a session; it
// acts for its user with the user's rights at each use, only on the routes
// of its scope (the HTTP gate), and until it is removed: it has no expiry
// and outlives a password change, since it is listed and removed on its own.

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "access/audit.h"
#include "access/audit_tally.h"
#include "access/store.h"
#include "access/throttle.h"
#include "base/mutex.h"
#include "base/time.h"

namespace vigil::access {

struct AccountsOptions {
  std::chrono::seconds sessionLifetime{12 * 60 * 60};
  std::chrono::seconds idleTimeout{30 * 60};
  // A device session's only limit: this long unused.
  std::chrono::seconds deviceIdleTimeout{90 * 24 * 60 * 60};
  // Device sessions one user may have at once: past it, a new one is
  // refused until one is signed out (a stolen phone session cannot fill
  // the table with TVs, and a user sees every TV in one screen).
  size_t maxDevicesPerUser = 10;
  ThrottleOptions throttle;
  // Failed and refused logins are audited through it, at most one row per
  // name, address and minute (AUDIT.md).
  AuditTallyOptions tally;
};

// Who a request acts for, once its session is checked.
struct Principal {
  std::string user;
  Role role = Role::kViewer;
  std::vector<std::string> cameras;  // a viewer's cameras
  std::optional<TokenScope> scope;   // an API token's: only its scope's routes
  std::string sessionId;             // the session's SessionRecord::id; empty for an API token
  std::string device;                // a device session's name; empty otherwise

  bool hasRole(Role needed) const { return role >= needed; }
  // Admins and operators see every camera; viewers those granted to them.
  bool canView(std::string_view camera) const;
};

// Why a session no longer stands, for ending what it held open (a live
// stream; rights_watch.h) and for the audit row that closes it (AUDIT.md).
namespace end_reason {
inline constexpr std::string_view kLogout = "logout";
inline constexpr std::string_view kPasswordChange = "password_change";
inline constexpr std::string_view kSessionExpired = "session_expired";
inline constexpr std::string_view kUserRemoved = "user_removed";
inline constexpr std::string_view kUserDisabled = "user_disabled";
// The session is gone and this process cannot tell why (it went before
// the first check saw it).
inline constexpr std::string_view kSessionEnded = "session_ended";
}  // namespace end_reason

// What a holder of a long-lived right keeps of its session from one
// check to the next, so it can tell later why the session went: a logout,
// a password change or an expiry all delete the session's row.
struct SessionMark {
  bool seen = false;
  std::string user;
  WallTime expiresAt;
  WallTime lastSeenAt;
  bool device = false;       // a device session: no absolute expiry
  std::string passwordHash;  // the user's at the last check; in memory only
};

// A session re-checked: its principal while it stands, else why it ended.
struct SessionCheck {
  std::optional<Principal> principal;
  std::string_view ended;  // an end_reason when principal is empty
};

struct NewApiToken {
  ApiTokenRecord token;
  std::string secret;  // give to the user once; never log it
};

struct LoginResult {
  std::string token;  // give to the client; never log it
  Principal principal;
  WallTime expiresAt;  // a device session's: when it ends if not used again
};

// Who asks for a change, for the audit log: a user and a client address,
// or {"", "cli"} for the command line.
struct Actor {
  std::string user;
  std::string client;
};

// Thread-safe.
class Accounts {
 public:
  Accounts(AccountStore& store, AuditLog& audit, const Clock& clock, AccountsOptions options = {});

  // InvalidArgument naming the field (id, password, camera), AlreadyExists.
  Status addUser(const Actor& actor, const std::string& id, Role role, std::string_view password,
                 const std::vector<std::string>& cameras = {});
  // Ends every session of the user. NotFound, InvalidArgument.
  Status changePassword(const Actor& actor, const std::string& id, std::string_view password);
  // Replaces the cameras a viewer may see. NotFound, InvalidArgument.
  Status setCameras(const Actor& actor, const std::string& id, const std::vector<std::string>& cameras);
  // A logged-in user confirming a change with their current password.
  // A wrong one counts as a failed login (throttled and audited as one):
  // PermissionDenied, or the refusals of login(), so a stolen session
  // cannot guess the password any faster than a login.
  Status confirmPassword(const std::string& id, std::string_view password, const std::string& client);
  Result<std::vector<User>> listUsers() { return store_.listUsers(); }
  Result<User> findUser(const std::string& id) { return store_.findUser(id); }

  // Managing users (AUDIT.md "Managing users"). Each is audited, and
  // FailedPrecondition (nothing changed) when no enabled admin would be
  // left. NotFound for an unknown user.
  // Sets the role, whether the user is disabled, or both (what is given).
  // A disabled user cannot log in, their sessions end at once and their
  // API tokens are refused until they are enabled again.
  Status changeUser(const Actor& actor, const std::string& id, std::optional<Role> role, std::optional<bool> disabled);
  // Deletes the user with their sessions (ended at once), API tokens and grants.
  Status removeUser(const Actor& actor, const std::string& id);
  // Takes one camera from a viewer's grants. NotFound when not granted.
  Status revokeCamera(const Actor& actor, const std::string& id, const std::string& camera);

  // The sessions of `user`, newest first, that `asker` may see: their
  // own; an admin's, anyone's (else PermissionDenied). Expired ones are
  // left out.
  Result<std::vector<SessionRecord>> listSessions(const Principal& asker, const std::string& user);
  // Ends the session named `id` (SessionRecord::id): its next request is
  // refused. NotFound unless it is the asker's own or the asker is an
  // admin, so ids of others' sessions cannot be probed. Audited.
  Status endSession(const Actor& actor, const Principal& asker, const std::string& id);

  // First run of a node: when there is no user at all, creates "admin"
  // with a random password and returns it (to be shown once); otherwise,
  // or when another node sharing the database just created it, returns
  // nullopt.
  Result<std::optional<std::string>> ensureAdmin();

  // Unauthenticated for a wrong name or password (one message for both);
  // ResourceExhausted while this name and address or this address are
  // throttled, or while the node's ceiling on password checks is reached
  // (see retryAfter(): 0 in that case, a second is enough).
  // `userAgent` is kept with the session for the list of sessions. With
  // a `device` name, the session is a device session (above);
  // InvalidArgument for a bad name, before the password is checked;
  // FailedPrecondition when the user has no room for another.
  Result<LoginResult> login(const std::string& user, std::string_view password, const std::string& client,
                            std::string_view userAgent = {}, std::string_view device = {});
  std::chrono::seconds retryAfter(const std::string& user, const std::string& client) {
    return throttle_.retryAfter(user, client);
  }
  // Unauthenticated when the token is unknown, expired or idle too long.
  Result<Principal> authenticate(std::string_view token);
  // authenticate() for a session that holds something open, checked again
  // and again: says why the session ended (using and updating `mark`).
  // Like authenticate(), it counts as a use of the session (an open live
  // view keeps its session from idling out; the absolute expiry holds).
  // An error only when the store cannot answer.
  Result<SessionCheck> recheck(std::string_view token, SessionMark& mark);
  Status logout(std::string_view token, const std::string& client);

  // A TV's pairing confirmed on a phone by `actor`, typing their password
  // again (device_pairing.h): a stolen session alone cannot sign in a TV.
  // Checks the name (InvalidArgument naming device), the password as
  // confirmPassword() does (PermissionDenied "password: ...", or its
  // refusals), that the user is enabled (PermissionDenied) and has room
  // for another device session (FailedPrecondition). The user as checked:
  // their password hash (in memory only) is what addDeviceSession() needs.
  Result<User> approveDevice(const Actor& actor, std::string_view password, std::string_view device);
  // A device session for `approved` (approveDevice()'s answer to `actor`),
  // named `device`, for a device at `client` with `userAgent`. Made only
  // while the user is enabled, has room for it and has the password
  // `approved` was checked with: FailedPrecondition once it changed, so a
  // session made after a password change with the rights from before it
  // cannot be. NotFound when the user was removed. Audited (device_pair):
  // when the row cannot be written, the session is taken back.
  Result<LoginResult> addDeviceSession(const Actor& actor, const User& approved, std::string_view device,
                                       const std::string& client, std::string_view userAgent);
  // The device sessions `asker` may see, newest first: their own; an
  // admin's, everyone's. Ended ones are left out. Each one's expiresAt is
  // when it ends if not used again.
  Result<std::vector<SessionRecord>> listDevices(const Principal& asker);

  // API tokens (above). InvalidArgument naming the field (user, name,
  // scope: metrics needs an admin, as /metrics does); FailedPrecondition
  // when the user has 50 already. Audited.
  Result<NewApiToken> addApiToken(const Actor& actor, const std::string& user, std::string_view name, TokenScope scope);
  Result<std::vector<ApiTokenRecord>> listApiTokens() { return store_.listApiTokens(); }
  // NotFound. Refused from its next request on. Audited.
  Status removeApiToken(const Actor& actor, const std::string& id);

  // Called (on the caller's thread, after the change is stored) whenever a
  // session or a user's rights end or change here: logout, password
  // change, grants. The rights watch re-checks at once. Thread-safe.
  void setChangeListener(std::function<void()> listener);

 private:
  // The throttle, the password check and a failure's bookkeeping (count,
  // log, audit tally with `detail`), shared by login() and
  // confirmPassword(). The refusals of login(), else the user.
  Result<User> checkCredentials(const std::string& name, std::string_view password, const std::string& client,
                                const std::string& detail);

  // A new session of `user` (a login's, or a device's when `device` is
  // not empty), stored. `user` is as read before: when their password
  // changed or they were disabled or removed meanwhile (whose change ends
  // every session but could commit before this one's row), the new row is
  // deleted and FailedPrecondition returned.
  Result<LoginResult> openSession(const User& user, const std::string& client, std::string_view userAgent,
                                  std::string_view device);
  // FailedPrecondition when `user` has maxDevicesPerUser device sessions.
  Status checkDeviceRoom(const std::string& user);
  // Whether the session has ended by time at `now`.
  bool timedOut(WallTime expiresAt, WallTime lastSeenAt, bool device, WallTime now) const;
  // The user's sessions that have not timed out; a device's expiresAt set
  // to when it ends if not used again.
  Result<std::vector<SessionRecord>> liveSessions(const std::string& user);
  void announceChange();
  Result<Principal> authenticateApiToken(std::string_view secret);

  AccountStore& store_;
  AuditLog& audit_;
  const Clock& clock_;
  const AccountsOptions options_;
  LoginThrottle throttle_;
  Mutex listenerMutex_;
  std::function<void()> listener_ GUARDED_BY(listenerMutex_);
  AuditTally tally_;
};

}  // namespace vigil::access

#pragma once
// The access module's storage, behind two small interfaces with two
// implementations: SQLite in the data directory (sqlite_store.h, the
// default) and PostgreSQL (postgres_store.h), where several vigil instances
// of a county platform share users and one audit chain (BRIEF §2,
// "Databases"). The module's logic (accounts.h, audit.h) speaks only these
// interfaces.
//
// Contract for every implementation: thread-safe; each method is one
// transaction; other processes (the CLI next to a running node, other
// nodes on a shared PostgreSQL) may use the same database at the same time.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "access/shares.h"
#include "base/status.h"
#include "base/time.h"

namespace vigil::access {

// Ordered: each role has every right of the roles before it.
enum class Role { kViewer, kOperator, kAdmin };
std::string_view roleName(Role role);
std::optional<Role> parseRole(std::string_view name);

// What an API token may do besides being its user (accounts.h): only the
// routes of its scope (the HTTP gate's table).
enum class TokenScope { kAlarm, kMetrics };
std::string_view tokenScopeName(TokenScope scope);  // "alarm" | "metrics"
std::optional<TokenScope> parseTokenScope(std::string_view name);

struct User {
  std::string id;  // [a-z0-9_-]{1,64}
  Role role = Role::kViewer;
  std::string passwordHash;          // libsodium's crypto_pwhash_str string ("$argon2id$...")
  std::vector<std::string> cameras;  // cameras a viewer may see; unused for other roles
  WallTime createdAt;
  bool disabled = false;  // may not log in, and has no session (AUDIT.md "Managing users")
  std::optional<WallTime> lastLoginAt;  // the last session's start; none before the first
};

struct SessionRecord {
  std::string tokenHash;  // hex SHA-256 of the token; the token itself is never stored
  std::string userId;
  WallTime createdAt;
  // Absolute end of a login's session. A device session has none: its
  // row holds when it would end if never used after being made.
  WallTime expiresAt;
  WallTime lastSeenAt;  // for the idle timeout; refreshed at most once a minute
  // 16 hex digits, random: names the session in lists and ends. Neither
  // the token nor its hash, so a list shown to a user or an admin gives
  // nothing to log in with.
  std::string id;
  std::string client;     // the address it logged in from
  std::string userAgent;  // the client's User-Agent at login, cut to 200 bytes
  // A device session's name ("Living-room TV"; accounts.h, device
  // sessions); empty for a login's session.
  std::string device;
};

// A long-lived API token (accounts.h): found by its hash like a session,
// named by its id in lists and deletes.
struct ApiTokenRecord {
  std::string id;         // 16 hex digits, random: not the secret
  std::string tokenHash;  // hex SHA-256 of the token; the token itself is never stored
  std::string userId;
  std::string name;       // what it is for: "gate button"
  TokenScope scope = TokenScope::kAlarm;
  WallTime createdAt;
  WallTime lastUsedAt;    // refreshed at most once a minute
};

class AccountStore {
 public:
  virtual ~AccountStore() = default;

  virtual Status insertUser(const User& user) = 0;           // AlreadyExists
  virtual Result<User> findUser(std::string_view id) = 0;    // NotFound
  virtual Result<std::vector<User>> listUsers() = 0;         // by id
  // Replaces the password hash and deletes every session of the user in the
  // same transaction, so no session outlives a password change.
  virtual Status setPasswordHash(std::string_view id, std::string_view hash) = 0;  // NotFound
  virtual Status setCameras(std::string_view id, const std::vector<std::string>& cameras) = 0;
  // Takes one camera from the user's grants with one DELETE, so revokes
  // made at once never undo each other; returns the cameras left, read in
  // the same transaction. NotFound when the user has no such grant.
  virtual Result<std::vector<std::string>> revokeCamera(std::string_view id, std::string_view camera) = 0;
  // Sets what is given of a user's role and whether they are disabled, in
  // one transaction; what is not given keeps its stored value, so two
  // admins changing different fields at once both keep their change.
  // Disabling deletes every session of the user in the same transaction.
  // FailedPrecondition (and nothing changed) when no enabled admin would
  // be left. NotFound.
  virtual Status updateUser(std::string_view id, std::optional<Role> role, std::optional<bool> disabled) = 0;
  // Deletes the user with their sessions, API tokens and camera grants in
  // one transaction. NotFound; FailedPrecondition for the last enabled admin.
  virtual Status deleteUser(std::string_view id) = 0;

  // Also sets the user's lastLoginAt to the session's createdAt.
  virtual Status insertSession(const SessionRecord& session) = 0;
  virtual Result<SessionRecord> findSession(std::string_view tokenHash) = 0;  // NotFound
  virtual Result<SessionRecord> findSessionById(std::string_view id) = 0;     // NotFound
  // The user's sessions, newest first (expired ones included until next used).
  virtual Result<std::vector<SessionRecord>> listSessions(std::string_view userId) = 0;
  virtual Status touchSession(std::string_view tokenHash, WallTime lastSeenAt) = 0;
  virtual Status deleteSession(std::string_view tokenHash) = 0;  // OK when absent

  virtual Status insertApiToken(const ApiTokenRecord& token) = 0;
  virtual Result<ApiTokenRecord> findApiToken(std::string_view tokenHash) = 0;  // NotFound
  virtual Result<std::vector<ApiTokenRecord>> listApiTokens() = 0;               // by user, then name
  virtual Status touchApiToken(std::string_view id, WallTime lastUsedAt) = 0;
  virtual Status deleteApiToken(std::string_view id) = 0;  // NotFound
};

// One row of the audit log. `seq` counts from 1 without gaps; `hash` is
// SHA-256(prevHash || canonical content), see audit.h.
struct AuditRow {
  int64_t seq = 0;
  WallTime at;
  std::string user;    // who acted; for a failed login, the name tried
  std::string action;  // "login", "login_failed", "logout", "user_add", ...
  std::string camera;  // the camera looked at; empty when none
  std::string client;  // client address, or "cli" for the command line
  std::string detail;  // a JSON object with what else matters (a time range...)
  std::string prevHash;  // hex; 64 zeros for the first row
  std::string hash;      // hex
  // Who vouches for the row (audit.h): the hex Ed25519 public key of the
  // node that appended it and its signature of `hash`; both empty in rows
  // written before rows were signed.
  std::string signer;
  std::string signature;
};

struct AuditFilter {
  std::optional<WallTime> start;  // at >= start
  std::optional<WallTime> end;    // at < end
  std::string user;               // empty: any
  std::string camera;             // empty: any
  // Only rows of these kinds (AuditRow::action); empty: any.
  std::vector<std::string> actions;
  // Only rows about one of these cameras (an empty list: none); unset: any.
  std::optional<std::vector<std::string>> cameras;
  std::optional<int64_t> beforeSeq;  // seq < beforeSeq: the page after the row of that seq
  size_t limit = 1000;               // newest rows first when more match
};

// Builds the row to append from the chain's last row (nullptr when the
// log is empty); see AuditStore::appendAudit.
using AuditRowBuilder = std::function<AuditRow(const AuditRow* last)>;

class AuditStore {
 public:
  virtual ~AuditStore() = default;

  // Calls `build` with the last row (nullptr when the log is empty) and
  // inserts the row it returns, in one exclusive transaction, so appenders
  // in several processes still form one chain. Rows are never updated or
  // deleted through this interface.
  virtual Status appendAudit(const AuditRowBuilder& build) = 0;
  // Rows with seq > afterSeq in seq order, at most `limit`: how a verifier
  // pages through the whole log.
  virtual Result<std::vector<AuditRow>> auditRows(int64_t afterSeq, size_t limit) = 0;
  // Rows matching `filter`, newest first.
  virtual Result<std::vector<AuditRow>> queryAudit(const AuditFilter& filter) = 0;

  // What node `node` last started with (config_audit.h's fingerprint, JSON);
  // nullopt before its first start.
  virtual Result<std::optional<std::string>> configFingerprint(std::string_view node) = 0;
  virtual Status setConfigFingerprint(std::string_view node, std::string_view fingerprint) = 0;
};

// Each camera's shares with the tiers above (shares.h, camera_shares.h).
class ShareStore {
 public:
  virtual ~ShareStore() = default;

  // By tier; empty when the camera is shared with no one (or unknown).
  virtual Result<std::vector<Share>> shares(std::string_view camera) = 0;
  // Replaces the camera's list (at most one share per tier) and appends
  // the audit row `auditRow` builds (appendAudit()), in one transaction.
  virtual Status replaceShares(std::string_view camera, const std::vector<Share>& shares,
                               const AuditRowBuilder& auditRow) = 0;
};

// The interfaces on one database: what a node opens.
class AccessStore : public AccountStore, public AuditStore, public ShareStore {};

}  // namespace vigil::access

#include "access/sqlite_store.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <sqlite3.h>

#include "access/share_row.h"

namespace vigil::access {

namespace {

constexpr int kBusyTimeoutMs = 5000;

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS user (
  id TEXT PRIMARY KEY NOT NULL,
  role TEXT NOT NULL,
  password_hash TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  disabled INTEGER NOT NULL DEFAULT 0,
  last_login_at INTEGER
);
CREATE TABLE IF NOT EXISTS user_camera (
  user_id TEXT NOT NULL REFERENCES user(id),
  camera_id TEXT NOT NULL,
  PRIMARY KEY (user_id, camera_id)
);
CREATE TABLE IF NOT EXISTS session (
  token_hash TEXT PRIMARY KEY NOT NULL,
  user_id TEXT NOT NULL REFERENCES user(id),
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  last_seen_at INTEGER NOT NULL,
  id TEXT NOT NULL DEFAULT '',
  client TEXT NOT NULL DEFAULT '',
  user_agent TEXT NOT NULL DEFAULT '',
  device TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS session_user ON session(user_id);
-- Added by issue 15: an older access.db gains it here, empty.
CREATE TABLE IF NOT EXISTS api_token (
  id TEXT PRIMARY KEY NOT NULL,
  token_hash TEXT UNIQUE NOT NULL,
  user_id TEXT NOT NULL REFERENCES user(id),
  name TEXT NOT NULL,
  scope TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  last_used_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS audit (
  seq INTEGER PRIMARY KEY NOT NULL,
  at INTEGER NOT NULL,
  user TEXT NOT NULL,
  action TEXT NOT NULL,
  camera TEXT NOT NULL,
  client TEXT NOT NULL,
  detail TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL,
  signer TEXT NOT NULL DEFAULT '',
  signature TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS audit_at ON audit(at);
CREATE TABLE IF NOT EXISTS node_config (
  node TEXT PRIMARY KEY NOT NULL,
  fingerprint TEXT NOT NULL
);
-- Added by issue 14: an older access.db gains it here, empty (nothing shared).
CREATE TABLE IF NOT EXISTS camera_share (
  camera_id TEXT NOT NULL,
  tier TEXT NOT NULL,
  rights TEXT NOT NULL,
  only_during_alarm INTEGER NOT NULL,
  hours TEXT NOT NULL,
  expires_at INTEGER,
  PRIMARY KEY (camera_id, tier)
);
)sql";

Status sqliteError(sqlite3* db, std::string_view what) {
  // A full disk (often shared with the recordings) is a condition to wait
  // out, not a bug: callers answer 503 and name it.
  if (sqlite3_errcode(db) == SQLITE_FULL) {
    return Status::unavailable(fmt::format("access db: {}: the disk is full", what));
  }
  return Status::internal(fmt::format("access db: {}: {}", what, sqlite3_errmsg(db)));
}

// A prepared statement, finalized on scope exit. Bind indexes start at 1.
class Stmt {
 public:
  Stmt(sqlite3* db, const char* sql) : rc_(sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr)) {}
  ~Stmt() { sqlite3_finalize(stmt_); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  bool prepared() const { return rc_ == SQLITE_OK; }
  void bind(int i, std::string_view text) {
    sqlite3_bind_text(stmt_, i, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
  }
  void bind(int i, int64_t value) { sqlite3_bind_int64(stmt_, i, value); }
  void bind(int i, std::optional<int64_t> value) {
    if (value) bind(i, *value);
    else bindNull(i);
  }
  void bindNull(int i) { sqlite3_bind_null(stmt_, i); }
  // SQLITE_ROW, SQLITE_DONE or an error code.
  int step() { return sqlite3_step(stmt_); }
  std::string text(int col) const {
    const auto* p = sqlite3_column_text(stmt_, col);
    return p ? std::string(reinterpret_cast<const char*>(p), static_cast<size_t>(sqlite3_column_bytes(stmt_, col)))
             : std::string();
  }
  int64_t integer(int col) const { return sqlite3_column_int64(stmt_, col); }
  std::optional<int64_t> optionalInteger(int col) const {
    if (sqlite3_column_type(stmt_, col) == SQLITE_NULL) return std::nullopt;
    return integer(col);
  }

 private:
  sqlite3_stmt* stmt_ = nullptr;
  int rc_;
};

Status exec(sqlite3* db, const char* sql) {
  char* err = nullptr;
  if (const int rc = sqlite3_exec(db, sql, nullptr, nullptr, &err); rc != SQLITE_OK) {
    Status s = rc == SQLITE_FULL ? Status::unavailable("access db: the disk is full")
                                 : Status::internal(fmt::format("access db: {}", err ? err : "error"));
    sqlite3_free(err);
    return s;
  }
  return Status::ok();
}

// Rolls back unless committed: every early return leaves the db unchanged.
class Transaction {
 public:
  explicit Transaction(sqlite3* db) : db_(db) {}
  ~Transaction() {
    if (open_) (void)exec(db_, "ROLLBACK");
  }
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  // IMMEDIATE takes the write lock at once, so two processes appending to
  // the audit chain cannot both read the same last row.
  Status begin() {
    VIGIL_RETURN_IF_ERROR(exec(db_, "BEGIN IMMEDIATE"));
    open_ = true;
    return Status::ok();
  }
  Status commit() {
    VIGIL_RETURN_IF_ERROR(exec(db_, "COMMIT"));
    open_ = false;
    return Status::ok();
  }

 private:
  sqlite3* db_;
  bool open_ = false;
};

AuditRow readAuditRow(const Stmt& s) {
  AuditRow r;
  r.seq = s.integer(0);
  r.at = WallTime::fromUnixMicros(s.integer(1));
  r.user = s.text(2);
  r.action = s.text(3);
  r.camera = s.text(4);
  r.client = s.text(5);
  r.detail = s.text(6);
  r.prevHash = s.text(7);
  r.hash = s.text(8);
  r.signer = s.text(9);
  r.signature = s.text(10);
  return r;
}

constexpr const char* kAuditColumns = "seq, at, user, action, camera, client, detail, prev_hash, hash, signer, signature";

// A database made before rows were signed (design/AUDIT.md) gains the
// columns; SQLite's ADD COLUMN has no IF NOT EXISTS.
Status addAuditSignatureColumns(sqlite3* db) {
  if (Stmt probe(db, "SELECT signer FROM audit LIMIT 0"); probe.prepared()) return Status::ok();
  return exec(db, "ALTER TABLE audit ADD COLUMN signer TEXT NOT NULL DEFAULT ''; "
                  "ALTER TABLE audit ADD COLUMN signature TEXT NOT NULL DEFAULT '';");
}

// A database made before users were managed from the UI (AUDIT.md
// "Managing users") gains the columns; its sessions get random ids.
Status addUserManagementColumns(sqlite3* db) {
  if (Stmt probe(db, "SELECT disabled FROM user LIMIT 0"); !probe.prepared()) {
    VIGIL_RETURN_IF_ERROR(exec(db, "ALTER TABLE user ADD COLUMN disabled INTEGER NOT NULL DEFAULT 0; "
                                   "ALTER TABLE user ADD COLUMN last_login_at INTEGER;"));
  }
  if (Stmt probe(db, "SELECT id FROM session LIMIT 0"); !probe.prepared()) {
    VIGIL_RETURN_IF_ERROR(exec(db, "ALTER TABLE session ADD COLUMN id TEXT NOT NULL DEFAULT ''; "
                                   "ALTER TABLE session ADD COLUMN client TEXT NOT NULL DEFAULT ''; "
                                   "ALTER TABLE session ADD COLUMN user_agent TEXT NOT NULL DEFAULT '';"));
  }
  return exec(db, "UPDATE session SET id = lower(hex(randomblob(8))) WHERE id = ''; "
                  "CREATE UNIQUE INDEX IF NOT EXISTS session_id ON session(id);");
}

// A database made before device sessions (AUDIT.md "Device sessions for a
// TV") gains the column: its sessions are logins' (no device name).
Status addDeviceColumn(sqlite3* db) {
  if (Stmt probe(db, "SELECT device FROM session LIMIT 0"); probe.prepared()) return Status::ok();
  return exec(db, "ALTER TABLE session ADD COLUMN device TEXT NOT NULL DEFAULT '';");
}

constexpr const char* kSessionColumns =
    "token_hash, user_id, created_at, expires_at, last_seen_at, id, client, user_agent, device";

SessionRecord readSession(const Stmt& s) {
  return SessionRecord{s.text(0), s.text(1), WallTime::fromUnixMicros(s.integer(2)),
                       WallTime::fromUnixMicros(s.integer(3)), WallTime::fromUnixMicros(s.integer(4)),
                       s.text(5), s.text(6), s.text(7), s.text(8)};
}

// Whether the user is an enabled admin: a change to one must leave another.
// NotFound.
Result<bool> isEnabledAdmin(sqlite3* db, std::string_view id) {
  Stmt s(db, "SELECT role = 'admin' AND disabled = 0 FROM user WHERE id = ?");
  if (!s.prepared()) return sqliteError(db, "select user");
  s.bind(1, id);
  const int rc = s.step();
  if (rc == SQLITE_DONE) return Status::notFound(fmt::format("no user \"{}\"", id));
  if (rc != SQLITE_ROW) return sqliteError(db, "select user");
  return s.integer(0) != 0;
}

// After a change to an enabled admin: FailedPrecondition when no enabled
// admin is left (the caller's transaction then rolls back).
Status checkAnAdminIsLeft(sqlite3* db) {
  Stmt s(db, "SELECT count(*) FROM user WHERE role = 'admin' AND disabled = 0");
  if (!s.prepared() || s.step() != SQLITE_ROW) return sqliteError(db, "count admins");
  if (s.integer(0) == 0) return Status::failedPrecondition("the last admin cannot be demoted, disabled or deleted");
  return Status::ok();
}

}  // namespace

Result<std::unique_ptr<SqliteAccessStore>> SqliteAccessStore::open(const std::string& path) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                      nullptr) != SQLITE_OK) {
    Status s = Status::unavailable(fmt::format("cannot open {}: {}", path, db ? sqlite3_errmsg(db) : "out of memory"));
    sqlite3_close(db);
    return s;
  }
  std::unique_ptr<SqliteAccessStore> store(new SqliteAccessStore(db));
  sqlite3_busy_timeout(db, kBusyTimeoutMs);
  if (Status s = exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;");
      !s.isOk()) {
    return Status::unavailable(fmt::format("cannot open {}: {}", path, s.message()));
  }
  VIGIL_RETURN_IF_ERROR(exec(db, kSchema));
  VIGIL_RETURN_IF_ERROR(addAuditSignatureColumns(db));
  VIGIL_RETURN_IF_ERROR(addUserManagementColumns(db));
  VIGIL_RETURN_IF_ERROR(addDeviceColumn(db));
  return store;
}

SqliteAccessStore::~SqliteAccessStore() { sqlite3_close(db_); }

Status SqliteAccessStore::insertUser(const User& user) {
  std::lock_guard lock(mutex_);
  Transaction tx(db_);
  VIGIL_RETURN_IF_ERROR(tx.begin());
  Stmt s(db_, "INSERT INTO user (id, role, password_hash, created_at) VALUES (?, ?, ?, ?)");
  if (!s.prepared()) return sqliteError(db_, "insert user");
  s.bind(1, user.id);
  s.bind(2, roleName(user.role));
  s.bind(3, user.passwordHash);
  s.bind(4, user.createdAt.unixMicros());
  const int rc = s.step();
  if (rc == SQLITE_CONSTRAINT) return Status::alreadyExists(fmt::format("user \"{}\" exists", user.id));
  if (rc != SQLITE_DONE) return sqliteError(db_, "insert user");
  for (const std::string& camera : user.cameras) {
    Stmt c(db_, "INSERT OR IGNORE INTO user_camera (user_id, camera_id) VALUES (?, ?)");
    c.bind(1, user.id);
    c.bind(2, camera);
    if (c.step() != SQLITE_DONE) return sqliteError(db_, "insert user camera");
  }
  return tx.commit();
}

Result<std::vector<std::string>> SqliteAccessStore::camerasOf(std::string_view id) {
  Stmt s(db_, "SELECT camera_id FROM user_camera WHERE user_id = ? ORDER BY camera_id");
  if (!s.prepared()) return sqliteError(db_, "select user cameras");
  s.bind(1, id);
  std::vector<std::string> out;
  int rc;
  while ((rc = s.step()) == SQLITE_ROW) out.push_back(s.text(0));
  if (rc != SQLITE_DONE) return sqliteError(db_, "select user cameras");
  return out;
}

Result<User> SqliteAccessStore::findUser(std::string_view id) {
  std::lock_guard lock(mutex_);
  Stmt s(db_, "SELECT id, role, password_hash, created_at, disabled, last_login_at FROM user WHERE id = ?");
  if (!s.prepared()) return sqliteError(db_, "select user");
  s.bind(1, id);
  const int rc = s.step();
  if (rc == SQLITE_DONE) return Status::notFound(fmt::format("no user \"{}\"", id));
  if (rc != SQLITE_ROW) return sqliteError(db_, "select user");
  User u;
  u.id = s.text(0);
  const auto role = parseRole(s.text(1));
  if (!role) return Status::dataLoss(fmt::format("user \"{}\" has an unknown role", u.id));
  u.role = *role;
  u.passwordHash = s.text(2);
  u.createdAt = WallTime::fromUnixMicros(s.integer(3));
  u.disabled = s.integer(4) != 0;
  if (auto at = s.optionalInteger(5)) u.lastLoginAt = WallTime::fromUnixMicros(*at);
  auto cameras = camerasOf(u.id);
  if (!cameras) return cameras.status();
  u.cameras = std::move(*cameras);
  return u;
}

Result<std::vector<User>> SqliteAccessStore::listUsers() {
  std::vector<std::string> ids;
  {
    std::lock_guard lock(mutex_);
    Stmt s(db_, "SELECT id FROM user ORDER BY id");
    if (!s.prepared()) return sqliteError(db_, "list users");
    int rc;
    while ((rc = s.step()) == SQLITE_ROW) ids.push_back(s.text(0));
    if (rc != SQLITE_DONE) return sqliteError(db_, "list users");
  }
  std::vector<User> users;
  for (const std::string& id : ids) {
    auto u = findUser(id);
    if (u) users.push_back(std::move(*u));
  }
  return users;
}

Status SqliteAccessStore::setPasswordHash(std::string_view id, std::string_view hash) {
  std::lock_guard lock(mutex_);
  Transaction tx(db_);
  VIGIL_RETURN_IF_ERROR(tx.begin());
  Stmt s(db_, "UPDATE user SET password_hash = ? WHERE id = ?");
  if (!s.prepared()) return sqliteError(db_, "update password");
  s.bind(1, hash);
  s.bind(2, id);
  if (s.step() != SQLITE_DONE) return sqliteError(db_, "update password");
  if (sqlite3_changes(db_) == 0) return Status::notFound(fmt::format("no user \"{}\"", id));
  Stmt d(db_, "DELETE FROM session WHERE user_id = ?");
  d.bind(1, id);
  if (d.step() != SQLITE_DONE) return sqliteError(db_, "delete sessions");
  return tx.commit();
}

Status SqliteAccessStore::setCameras(std::string_view id, const std::vector<std::string>& cameras) {
  std::lock_guard lock(mutex_);
  Transaction tx(db_);
  VIGIL_RETURN_IF_ERROR(tx.begin());
  Stmt d(db_, "DELETE FROM user_camera WHERE user_id = ?");
  d.bind(1, id);
  if (d.step() != SQLITE_DONE) return sqliteError(db_, "delete user cameras");
  for (const std::string& camera : cameras) {
    Stmt c(db_, "INSERT OR IGNORE INTO user_camera (user_id, camera_id) VALUES (?, ?)");
    c.bind(1, id);
    c.bind(2, camera);
    if (c.step() != SQLITE_DONE) return sqliteError(db_, "insert user camera");
  }
  return tx.commit();
}

Result<std::vector<std::string>> SqliteAccessStore::revokeCamera(std::string_view id, std::string_view camera) {
  std::lock_guard lock(mutex_);
  Transaction tx(db_);
  VIGIL_RETURN_IF_ERROR(tx.begin());
  Stmt d(db_, "DELETE FROM user_camera WHERE user_id = ? AND camera_id = ?");
  if (!d.prepared()) return sqliteError(db_, "delete user camera");
  d.bind(1, id);
  d.bind(2, camera);
  if (d.step() != SQLITE_DONE) return sqliteError(db_, "delete user camera");
  if (sqlite3_changes(db_) == 0) return Status::notFound(fmt::format("{} has no such grant", id));
  auto left = camerasOf(id);
  if (!left) return left.status();
  VIGIL_RETURN_IF_ERROR(tx.commit());
  return left;
}

Status SqliteAccessStore::updateUser(std::string_view id, std::optional<Role> role, std::optional<bool> disabled) {
  std::lock_guard lock(mutex_);
  Transaction tx(db_);
  VIGIL_RETURN_IF_ERROR(tx.begin());
  auto wasAdmin = isEnabledAdmin(db_, id);
  if (!wasAdmin) return wasAdmin.status();
  // A NULL keeps the stored value: only what is given changes.
  Stmt s(db_, "UPDATE user SET role = COALESCE(?, role), disabled = COALESCE(?, disabled) WHERE id = ?");
  if (!s.prepared()) return sqliteError(db_, "update user");
  if (role) s.bind(1, roleName(*role));
  else s.bindNull(1);
  s.bind(2, disabled ? std::optional<int64_t>(*disabled) : std::nullopt);
  s.bind(3, id);
  if (s.step() != SQLITE_DONE) return sqliteError(db_, "update user");
  if (*wasAdmin) VIGIL_RETURN_IF_ERROR(checkAnAdminIsLeft(db_));
  if (disabled.value_or(false)) {
    Stmt d(db_, "DELETE FROM session WHERE user_id = ?");
    d.bind(1, id);
    if (d.step() != SQLITE_DONE) return sqliteError(db_, "delete sessions");
  }
  return tx.commit();
}

Status SqliteAccessStore::deleteUser(std::string_view id) {
  std::lock_guard lock(mutex_);
  Transaction tx(db_);
  VIGIL_RETURN_IF_ERROR(tx.begin());
  auto wasAdmin = isEnabledAdmin(db_, id);
  if (!wasAdmin) return wasAdmin.status();
  for (const char* sql : {"DELETE FROM session WHERE user_id = ?", "DELETE FROM api_token WHERE user_id = ?",
                          "DELETE FROM user_camera WHERE user_id = ?"}) {
    Stmt d(db_, sql);
    d.bind(1, id);
    if (d.step() != SQLITE_DONE) return sqliteError(db_, "delete user's rows");
  }
  Stmt s(db_, "DELETE FROM user WHERE id = ?");
  s.bind(1, id);
  if (s.step() != SQLITE_DONE) return sqliteError(db_, "delete user");
  if (*wasAdmin) VIGIL_RETURN_IF_ERROR(checkAnAdminIsLeft(db_));
  return tx.commit();
}

Status SqliteAccessStore::insertSession(const SessionRecord& session) {
  std::lock_guard lock(mutex_);
  Transaction tx(db_);
  VIGIL_RETURN_IF_ERROR(tx.begin());
  Stmt s(db_, fmt::format("INSERT INTO session ({}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", kSessionColumns).c_str());
  if (!s.prepared()) return sqliteError(db_, "insert session");
  s.bind(1, session.tokenHash);
  s.bind(2, session.userId);
  s.bind(3, session.createdAt.unixMicros());
  s.bind(4, session.expiresAt.unixMicros());
  s.bind(5, session.lastSeenAt.unixMicros());
  s.bind(6, session.id);
  s.bind(7, session.client);
  s.bind(8, session.userAgent);
  s.bind(9, session.device);
  if (s.step() != SQLITE_DONE) return sqliteError(db_, "insert session");
  Stmt u(db_, "UPDATE user SET last_login_at = ? WHERE id = ?");
  u.bind(1, session.createdAt.unixMicros());
  u.bind(2, session.userId);
  if (u.step() != SQLITE_DONE) return sqliteError(db_, "update last login");
  return tx.commit();
}

Result<SessionRecord> SqliteAccessStore::findSession(std::string_view tokenHash) {
  return findSessionBy("token_hash", tokenHash);
}

Result<SessionRecord> SqliteAccessStore::findSessionById(std::string_view id) { return findSessionBy("id", id); }

Result<SessionRecord> SqliteAccessStore::findSessionBy(std::string_view column, std::string_view value) {
  std::lock_guard lock(mutex_);
  Stmt s(db_, fmt::format("SELECT {} FROM session WHERE {} = ?", kSessionColumns, column).c_str());
  if (!s.prepared()) return sqliteError(db_, "select session");
  s.bind(1, value);
  const int rc = s.step();
  if (rc == SQLITE_DONE) return Status::notFound("no such session");
  if (rc != SQLITE_ROW) return sqliteError(db_, "select session");
  return readSession(s);
}

Result<std::vector<SessionRecord>> SqliteAccessStore::listSessions(std::string_view userId) {
  std::lock_guard lock(mutex_);
  Stmt s(db_, fmt::format("SELECT {} FROM session WHERE user_id = ? ORDER BY created_at DESC, id", kSessionColumns).c_str());
  if (!s.prepared()) return sqliteError(db_, "list sessions");
  s.bind(1, userId);
  std::vector<SessionRecord> out;
  int rc;
  while ((rc = s.step()) == SQLITE_ROW) out.push_back(readSession(s));
  if (rc != SQLITE_DONE) return sqliteError(db_, "list sessions");
  return out;
}

Status SqliteAccessStore::touchSession(std::string_view tokenHash, WallTime lastSeenAt) {
  std::lock_guard lock(mutex_);
  Stmt s(db_, "UPDATE session SET last_seen_at = ? WHERE token_hash = ?");
  if (!s.prepared()) return sqliteError(db_, "touch session");
  s.bind(1, lastSeenAt.unixMicros());
  s.bind(2, tokenHash);
  if (s.step() != SQLITE_DONE) return sqliteError(db_, "touch session");
  return Status::ok();
}

Status SqliteAccessStore::deleteSession(std::string_view tokenHash) {
  std::lock_guard lock(mutex_);
  Stmt s(db_, "DELETE FROM session WHERE token_hash = ?");
  if (!s.prepared()) return sqliteError(db_, "delete session");
  s.bind(1, tokenHash);
  if (s.step() != SQLITE_DONE) return sqliteError(db_, "delete session");
  return Status::ok();
}

namespace {

ApiTokenRecord apiTokenRow(Stmt& s) {
  return ApiTokenRecord{s.text(0),
                        s.text(1),
                        s.text(2),
                        s.text(3),
                        parseTokenScope(s.text(4)).value_or(TokenScope::kAlarm),
                        WallTime::fromUnixMicros(s.integer(5)),
                        WallTime::fromUnixMicros(s.integer(6))};
}

constexpr const char* kApiTokenColumns = "id, token_hash, user_id, name, scope, created_at, last_used_at";

}  // namespace

Status SqliteAccessStore::insertApiToken(const ApiTokenRecord& token) {
  std::lock_guard lock(mutex_);
  Stmt s(db_, fmt::format("INSERT INTO api_token ({}) VALUES (?, ?, ?, ?, ?, ?, ?)", kApiTokenColumns).c_str());
  if (!s.prepared()) return sqliteError(db_, "insert api token");
  s.bind(1, token.id);
  s.bind(2, token.tokenHash);
  s.bind(3, token.userId);
  s.bind(4, token.name);
  s.bind(5, tokenScopeName(token.scope));
  s.bind(6, token.createdAt.unixMicros());
  s.bind(7, token.lastUsedAt.unixMicros());
  if (s.step() != SQLITE_DONE) return sqliteError(db_, "insert api token");
  return Status::ok();
}

Result<ApiTokenRecord> SqliteAccessStore::findApiToken(std::string_view tokenHash) {
  std::lock_guard lock(mutex_);
  Stmt s(db_, fmt::format("SELECT {} FROM api_token WHERE token_hash = ?", kApiTokenColumns).c_str());
  if (!s.prepared()) return sqliteError(db_, "select api token");
  s.bind(1, tokenHash);
  const int rc = s.step();
  if (rc == SQLITE_DONE) return Status::notFound("no such api token");
  if (rc != SQLITE_ROW) return sqliteError(db_, "select api token");
  return apiTokenRow(s);
}

Result<std::vector<ApiTokenRecord>> SqliteAccessStore::listApiTokens() {
  std::lock_guard lock(mutex_);
  Stmt s(db_, fmt::format("SELECT {} FROM api_token ORDER BY user_id, name, id", kApiTokenColumns).c_str());
  if (!s.prepared()) return sqliteError(db_, "list api tokens");
  std::vector<ApiTokenRecord> out;
  int rc;
  while ((rc = s.step()) == SQLITE_ROW) out.push_back(apiTokenRow(s));
  if (rc != SQLITE_DONE) return sqliteError(db_, "list api tokens");
  return out;
}

Status SqliteAccessStore::touchApiToken(std::string_view id, WallTime lastUsedAt) {
  std::lock_guard lock(mutex_);
  Stmt s(db_, "UPDATE api_token SET last_used_at = ? WHERE id = ?");
  if (!s.prepared()) return sqliteError(db_, "touch api token");
  s.bind(1, lastUsedAt.unixMicros());
  s.bind(2, id);
  if (s.step() != SQLITE_DONE) return sqliteError(db_, "touch api token");
  return Status::ok();
}

Status SqliteAccessStore::deleteApiToken(std::string_view id) {
  std::lock_guard lock(mutex_);
  Stmt s(db_, "DELETE FROM api_token WHERE id = ?");
  if (!s.prepared()) return sqliteError(db_, "delete api token");
  s.bind(1, id);
  if (s.step() != SQLITE_DONE) return sqliteError(db_, "delete api token");
  if (sqlite3_changes(db_) == 0) return Status::notFound(fmt::format("no api token \"{}\"", id));
  return Status::ok();
}

Status SqliteAccessStore::appendAudit(const AuditRowBuilder& build) {
  std::lock_guard lock(mutex_);
  Transaction tx(db_);
  VIGIL_RETURN_IF_ERROR(tx.begin());
  VIGIL_RETURN_IF_ERROR(appendAuditRow(build));
  return tx.commit();
}

Status SqliteAccessStore::appendAuditRow(const AuditRowBuilder& build) {
  std::optional<AuditRow> last;
  {
    Stmt s(db_, fmt::format("SELECT {} FROM audit ORDER BY seq DESC LIMIT 1", kAuditColumns).c_str());
    if (!s.prepared()) return sqliteError(db_, "select last audit row");
    const int rc = s.step();
    if (rc == SQLITE_ROW) last = readAuditRow(s);
    else if (rc != SQLITE_DONE) return sqliteError(db_, "select last audit row");
  }
  const AuditRow row = build(last ? &*last : nullptr);
  Stmt s(db_, fmt::format("INSERT INTO audit ({}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", kAuditColumns).c_str());
  if (!s.prepared()) return sqliteError(db_, "insert audit row");
  s.bind(1, row.seq);
  s.bind(2, row.at.unixMicros());
  s.bind(3, row.user);
  s.bind(4, row.action);
  s.bind(5, row.camera);
  s.bind(6, row.client);
  s.bind(7, row.detail);
  s.bind(8, row.prevHash);
  s.bind(9, row.hash);
  s.bind(10, row.signer);
  s.bind(11, row.signature);
  if (s.step() != SQLITE_DONE) return sqliteError(db_, "insert audit row");
  return Status::ok();
}

Result<std::vector<AuditRow>> SqliteAccessStore::auditRows(int64_t afterSeq, size_t limit) {
  std::lock_guard lock(mutex_);
  Stmt s(db_, fmt::format("SELECT {} FROM audit WHERE seq > ? ORDER BY seq LIMIT ?", kAuditColumns).c_str());
  if (!s.prepared()) return sqliteError(db_, "select audit rows");
  s.bind(1, afterSeq);
  s.bind(2, static_cast<int64_t>(limit));
  std::vector<AuditRow> rows;
  int rc;
  while ((rc = s.step()) == SQLITE_ROW) rows.push_back(readAuditRow(s));
  if (rc != SQLITE_DONE) return sqliteError(db_, "select audit rows");
  return rows;
}

Result<std::vector<AuditRow>> SqliteAccessStore::queryAudit(const AuditFilter& filter) {
  std::lock_guard lock(mutex_);
  // Absent bounds become the widest ones and absent lists NULL, so one
  // statement serves all filters; a list is one JSON array, however long.
  // "+at": not through the index on at, with which SQLite reads every row
  // in the range and sorts them all for the limit; walking seq down, it
  // stops once the limit is met (a page costs the rows up to its oldest).
  Stmt s(db_, fmt::format("SELECT {} FROM audit WHERE +at >= ?1 AND +at < ?2 AND seq < ?3 AND (?4 = '' OR user = ?4) "
                          "AND (?5 = '' OR camera = ?5) "
                          "AND (?6 IS NULL OR action IN (SELECT value FROM json_each(?6))) "
                          "AND (?7 IS NULL OR camera IN (SELECT value FROM json_each(?7))) ORDER BY seq DESC LIMIT ?8",
                          kAuditColumns)
                  .c_str());
  if (!s.prepared()) return sqliteError(db_, "query audit");
  s.bind(1, filter.start ? filter.start->unixMicros() : INT64_MIN);
  s.bind(2, filter.end ? filter.end->unixMicros() : INT64_MAX);
  s.bind(3, filter.beforeSeq.value_or(INT64_MAX));
  s.bind(4, filter.user);
  s.bind(5, filter.camera);
  if (!filter.actions.empty()) s.bind(6, nlohmann::json(filter.actions).dump());
  else s.bindNull(6);
  if (filter.cameras) s.bind(7, nlohmann::json(*filter.cameras).dump());
  else s.bindNull(7);
  s.bind(8, static_cast<int64_t>(filter.limit));
  std::vector<AuditRow> rows;
  int rc;
  while ((rc = s.step()) == SQLITE_ROW) rows.push_back(readAuditRow(s));
  if (rc != SQLITE_DONE) return sqliteError(db_, "query audit");
  return rows;
}

Result<std::optional<std::string>> SqliteAccessStore::configFingerprint(std::string_view node) {
  std::lock_guard lock(mutex_);
  Stmt s(db_, "SELECT fingerprint FROM node_config WHERE node = ?");
  if (!s.prepared()) return sqliteError(db_, "select config fingerprint");
  s.bind(1, node);
  const int rc = s.step();
  if (rc == SQLITE_DONE) return std::optional<std::string>();
  if (rc != SQLITE_ROW) return sqliteError(db_, "select config fingerprint");
  return std::optional<std::string>(s.text(0));
}

Status SqliteAccessStore::setConfigFingerprint(std::string_view node, std::string_view fingerprint) {
  std::lock_guard lock(mutex_);
  Stmt s(db_, "INSERT INTO node_config (node, fingerprint) VALUES (?, ?) "
              "ON CONFLICT (node) DO UPDATE SET fingerprint = excluded.fingerprint");
  if (!s.prepared()) return sqliteError(db_, "store config fingerprint");
  s.bind(1, node);
  s.bind(2, fingerprint);
  if (s.step() != SQLITE_DONE) return sqliteError(db_, "store config fingerprint");
  return Status::ok();
}

Result<std::vector<Share>> SqliteAccessStore::shares(std::string_view camera) {
  std::lock_guard lock(mutex_);
  Stmt s(db_, fmt::format("SELECT {} FROM camera_share WHERE camera_id = ? {}", kShareColumns, kSharesByTier).c_str());
  if (!s.prepared()) return sqliteError(db_, "select shares");
  s.bind(1, camera);
  std::vector<Share> out;
  int rc;
  while ((rc = s.step()) == SQLITE_ROW) {
    auto share = fromShareRow(camera, {s.text(0), s.text(1), s.integer(2) != 0, s.text(3), s.optionalInteger(4)});
    if (!share) return share.status();
    out.push_back(std::move(*share));
  }
  if (rc != SQLITE_DONE) return sqliteError(db_, "select shares");
  return out;
}

Status SqliteAccessStore::replaceShares(std::string_view camera, const std::vector<Share>& shares,
                                        const AuditRowBuilder& auditRow) {
  std::lock_guard lock(mutex_);
  Transaction tx(db_);
  VIGIL_RETURN_IF_ERROR(tx.begin());
  Stmt d(db_, "DELETE FROM camera_share WHERE camera_id = ?");
  d.bind(1, camera);
  if (d.step() != SQLITE_DONE) return sqliteError(db_, "delete shares");
  for (const Share& share : shares) {
    const ShareRow row = toShareRow(share);
    Stmt i(db_, fmt::format("INSERT INTO camera_share (camera_id, {}) VALUES (?, ?, ?, ?, ?, ?)", kShareColumns).c_str());
    i.bind(1, camera);
    i.bind(2, row.tier);
    i.bind(3, row.rights);
    i.bind(4, int64_t{row.onlyDuringAlarm});
    i.bind(5, row.hours);
    i.bind(6, row.expiresAtMicros);
    if (const int rc = i.step(); rc == SQLITE_CONSTRAINT) {
      return Status::invalidArgument(fmt::format("shares: {} is given twice", row.tier));
    } else if (rc != SQLITE_DONE) {
      return sqliteError(db_, "insert share");
    }
  }
  VIGIL_RETURN_IF_ERROR(appendAuditRow(auditRow));
  return tx.commit();
}

}  // namespace vigil::access

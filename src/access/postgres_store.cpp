#include "access/postgres_store.h"

#include <fmt/format.h>
#include <libpq-fe.h>
#include <nlohmann/json.hpp>

#include <charconv>

#include "access/share_row.h"
#include "base/url_credentials.h"

namespace vigil::access {

namespace {

// The SQLite store's tables, with PostgreSQL's types. "user" is a reserved
// word here, hence the quotes. Times are microseconds since the epoch, as
// in SQLite, so a row reads back exactly as it was hashed.
constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS "user" (
  id TEXT PRIMARY KEY NOT NULL,
  role TEXT NOT NULL,
  password_hash TEXT NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS user_camera (
  user_id TEXT NOT NULL REFERENCES "user"(id),
  camera_id TEXT NOT NULL,
  PRIMARY KEY (user_id, camera_id)
);
CREATE TABLE IF NOT EXISTS session (
  token_hash TEXT PRIMARY KEY NOT NULL,
  user_id TEXT NOT NULL REFERENCES "user"(id),
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  last_seen_at BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS session_by_user ON session(user_id);  -- session_user is reserved
-- Added for managing users from the UI (AUDIT.md "Managing users"): an
-- older database gains the columns, and its sessions random ids.
ALTER TABLE "user" ADD COLUMN IF NOT EXISTS disabled BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE "user" ADD COLUMN IF NOT EXISTS last_login_at BIGINT;
ALTER TABLE session ADD COLUMN IF NOT EXISTS id TEXT NOT NULL DEFAULT '';
ALTER TABLE session ADD COLUMN IF NOT EXISTS client TEXT NOT NULL DEFAULT '';
ALTER TABLE session ADD COLUMN IF NOT EXISTS user_agent TEXT NOT NULL DEFAULT '';
UPDATE session SET id = substr(md5(random()::text || token_hash), 1, 16) WHERE id = '';
CREATE UNIQUE INDEX IF NOT EXISTS session_by_id ON session(id);
-- Added for device sessions (AUDIT.md "Device sessions for a TV").
ALTER TABLE session ADD COLUMN IF NOT EXISTS device TEXT NOT NULL DEFAULT '';
-- Added by issue 15: an older database gains it here, empty.
CREATE TABLE IF NOT EXISTS api_token (
  id TEXT PRIMARY KEY NOT NULL,
  token_hash TEXT UNIQUE NOT NULL,
  user_id TEXT NOT NULL REFERENCES "user"(id),
  name TEXT NOT NULL,
  scope TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  last_used_at BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS audit (
  seq BIGINT PRIMARY KEY NOT NULL,
  at BIGINT NOT NULL,
  "user" TEXT NOT NULL,
  action TEXT NOT NULL,
  camera TEXT NOT NULL,
  client TEXT NOT NULL,
  detail TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL,
  signer TEXT NOT NULL DEFAULT '',
  signature TEXT NOT NULL DEFAULT ''
);
-- A database made before rows were signed (design/AUDIT.md) gains the columns.
ALTER TABLE audit ADD COLUMN IF NOT EXISTS signer TEXT NOT NULL DEFAULT '';
ALTER TABLE audit ADD COLUMN IF NOT EXISTS signature TEXT NOT NULL DEFAULT '';
CREATE INDEX IF NOT EXISTS audit_at ON audit(at);
CREATE TABLE IF NOT EXISTS node_config (
  node TEXT PRIMARY KEY NOT NULL,
  fingerprint TEXT NOT NULL
);
-- Added by issue 14: an older database gains it here, empty (nothing shared).
CREATE TABLE IF NOT EXISTS camera_share (
  camera_id TEXT NOT NULL,
  tier TEXT NOT NULL,
  rights TEXT NOT NULL,
  only_during_alarm BOOLEAN NOT NULL,
  hours TEXT NOT NULL,
  expires_at BIGINT,
  PRIMARY KEY (camera_id, tier)
);
)sql";

// Keys of transaction-level advisory locks; any constants nothing else in
// the database uses ("vigilaud", "vigilsch" in ASCII).
constexpr int64_t kAuditLockKey = 0x76696769'6c617564;
constexpr int64_t kSchemaLockKey = 0x76696769'6c736368;
// Serialises changes to users' roles and removals ("vigilusr"), so two
// admins demoted at once on two nodes cannot leave none.
constexpr int64_t kUsersLockKey = 0x76696769'6c757372;

// Bounds on waiting: for another node's audit append (which holds its lock
// for milliseconds), for any one statement, and for the network.
constexpr const char* kSessionSettings = "SET lock_timeout = '10s'; SET statement_timeout = '60s'";
constexpr const char* kConnectTimeoutS = "10";
constexpr const char* kTcpUserTimeoutMs = "30000";

constexpr const char* kUniqueViolation = "23505";
constexpr const char* kLockNotAvailable = "55P03";

struct ResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using PgResult = std::unique_ptr<PGresult, ResultDeleter>;

std::string errorText(PGconn* conn) {
  std::string text = PQerrorMessage(conn);
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

// Runs one statement; parameters are passed as text ($1, $2...), never
// spliced into the SQL.
Result<PgResult> exec(PGconn* conn, std::string_view what, const char* sql,
                      const std::vector<std::string>& params = {}) {
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const std::string& p : params) values.push_back(p.c_str());
  PgResult r(PQexecParams(conn, sql, static_cast<int>(values.size()), nullptr, values.data(), nullptr, nullptr, 0));
  const ExecStatusType status = r ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return r;
  const char* state = r ? PQresultErrorField(r.get(), PG_DIAG_SQLSTATE) : nullptr;
  const std::string message = fmt::format("access db: {}: {}", what, errorText(conn));
  if (state != nullptr && std::string_view(state) == kUniqueViolation) return Status::alreadyExists(message);
  if (PQstatus(conn) != CONNECTION_OK || (state != nullptr && std::string_view(state) == kLockNotAvailable)) {
    return Status::unavailable(message);
  }
  return Status::internal(message);
}

// Rolls back unless committed: every early return leaves the db unchanged.
class Transaction {
 public:
  explicit Transaction(PGconn* conn) : conn_(conn) {}
  ~Transaction() {
    if (open_) (void)exec(conn_, "rollback", "ROLLBACK");
  }
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  Status begin() {
    auto r = exec(conn_, "begin", "BEGIN");
    if (!r) return r.status();
    open_ = true;
    return Status::ok();
  }
  Status commit() {
    open_ = false;
    auto r = exec(conn_, "commit", "COMMIT");
    return r ? Status::ok() : r.status();
  }

 private:
  PGconn* conn_;
  bool open_ = false;
};

std::string text(const PgResult& r, int row, int col) {
  return std::string(PQgetvalue(r.get(), row, col), static_cast<size_t>(PQgetlength(r.get(), row, col)));
}

int64_t integer(const PgResult& r, int row, int col) {
  const char* p = PQgetvalue(r.get(), row, col);
  int64_t value = 0;
  std::from_chars(p, p + PQgetlength(r.get(), row, col), value);
  return value;
}

constexpr const char* kAuditColumns =
    R"(seq, at, "user", action, camera, client, detail, prev_hash, hash, signer, signature)";

AuditRow readAuditRow(const PgResult& r, int row) {
  AuditRow a;
  a.seq = integer(r, row, 0);
  a.at = WallTime::fromUnixMicros(integer(r, row, 1));
  a.user = text(r, row, 2);
  a.action = text(r, row, 3);
  a.camera = text(r, row, 4);
  a.client = text(r, row, 5);
  a.detail = text(r, row, 6);
  a.prevHash = text(r, row, 7);
  a.hash = text(r, row, 8);
  a.signer = text(r, row, 9);
  a.signature = text(r, row, 10);
  return a;
}

std::vector<AuditRow> readAuditRows(const PgResult& r) {
  std::vector<AuditRow> rows;
  for (int i = 0; i < PQntuples(r.get()); ++i) rows.push_back(readAuditRow(r, i));
  return rows;
}

// Users with their cameras, from rows of (id, role, password_hash,
// created_at, camera_id or NULL, disabled, last_login_at) ordered by id.
constexpr const char* kUserQuery =
    R"(SELECT u.id, u.role, u.password_hash, u.created_at, c.camera_id, u.disabled, u.last_login_at FROM "user" u )"
    "LEFT JOIN user_camera c ON c.user_id = u.id ";

Result<std::vector<User>> readUsers(const PgResult& r) {
  std::vector<User> users;
  for (int i = 0; i < PQntuples(r.get()); ++i) {
    std::string id = text(r, i, 0);
    if (users.empty() || users.back().id != id) {
      const auto role = parseRole(text(r, i, 1));
      if (!role) return Status::dataLoss(fmt::format("user \"{}\" has an unknown role", id));
      users.push_back({std::move(id), *role, text(r, i, 2), {}, WallTime::fromUnixMicros(integer(r, i, 3)),
                       text(r, i, 5) == "t", std::nullopt});
      if (!PQgetisnull(r.get(), i, 6)) users.back().lastLoginAt = WallTime::fromUnixMicros(integer(r, i, 6));
    }
    if (!PQgetisnull(r.get(), i, 4)) users.back().cameras.push_back(text(r, i, 4));
  }
  return users;
}

constexpr const char* kSessionColumns =
    "token_hash, user_id, created_at, expires_at, last_seen_at, id, client, user_agent, device";

SessionRecord readSession(const PgResult& r, int row) {
  return SessionRecord{text(r, row, 0), text(r, row, 1), WallTime::fromUnixMicros(integer(r, row, 2)),
                       WallTime::fromUnixMicros(integer(r, row, 3)), WallTime::fromUnixMicros(integer(r, row, 4)),
                       text(r, row, 5), text(r, row, 6), text(r, row, 7), text(r, row, 8)};
}

// Whether the user is an enabled admin: a change to one must leave another.
// NotFound.
Result<bool> isEnabledAdmin(PGconn* conn, std::string_view id) {
  auto r = exec(conn, "select user", R"(SELECT role = 'admin' AND NOT disabled FROM "user" WHERE id = $1)", {std::string(id)});
  if (!r) return r.status();
  if (PQntuples(r->get()) == 0) return Status::notFound(fmt::format("no user \"{}\"", id));
  return text(*r, 0, 0) == "t";
}

// The start of a change to user `id` that may leave no admin (updateUser,
// deleteUser): begins `tx`, takes kUsersLockKey until it ends, and says
// whether the user is an enabled admin. NotFound.
Result<bool> beginAdminSensitiveChange(PGconn* conn, Transaction& tx, std::string_view id) {
  VIGIL_RETURN_IF_ERROR(tx.begin());
  auto locked = exec(conn, "lock users", "SELECT pg_advisory_xact_lock($1)", {std::to_string(kUsersLockKey)});
  if (!locked) return locked.status();
  return isEnabledAdmin(conn, id);
}

// After a change to an enabled admin, under kUsersLockKey: FailedPrecondition
// when no enabled admin is left (the caller's transaction then rolls back).
Status checkAnAdminIsLeft(PGconn* conn) {
  auto r = exec(conn, "count admins", R"(SELECT count(*) FROM "user" WHERE role = 'admin' AND NOT disabled)");
  if (!r) return r.status();
  if (integer(*r, 0, 0) == 0) return Status::failedPrecondition("the last admin cannot be demoted, disabled or deleted");
  return Status::ok();
}

Status insertCameras(PGconn* conn, std::string_view id, const std::vector<std::string>& cameras) {
  for (const std::string& camera : cameras) {
    auto r = exec(conn, "insert user camera",
                  "INSERT INTO user_camera (user_id, camera_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                  {std::string(id), camera});
    if (!r) return r.status();
  }
  return Status::ok();
}

}  // namespace

Result<std::unique_ptr<PostgresAccessStore>> PostgresAccessStore::open(const std::string& uri) {
  std::unique_ptr<PostgresAccessStore> store(new PostgresAccessStore(uri));
  std::lock_guard lock(store->mutex_);
  VIGIL_RETURN_IF_ERROR(store->connected());
  // Several nodes may start at once; CREATE TABLE IF NOT EXISTS is not safe
  // against itself, so creating the schema is serialised too.
  Transaction tx(store->conn_);
  VIGIL_RETURN_IF_ERROR(tx.begin());
  auto locked = exec(store->conn_, "lock schema", "SELECT pg_advisory_xact_lock($1)", {std::to_string(kSchemaLockKey)});
  if (!locked) return locked.status();
  PgResult created(PQexec(store->conn_, kSchema));  // several statements: PQexec, without parameters
  if (PQresultStatus(created.get()) != PGRES_COMMAND_OK) {
    return Status::internal(fmt::format("access db: create schema: {}", errorText(store->conn_)));
  }
  VIGIL_RETURN_IF_ERROR(tx.commit());
  return store;
}

PostgresAccessStore::~PostgresAccessStore() { PQfinish(conn_); }

Status PostgresAccessStore::connected() {
  if (conn_ != nullptr && PQstatus(conn_) == CONNECTION_OK) return Status::ok();
  PQfinish(conn_);
  // Defaults first: the URI's own parameters, expanded from "dbname",
  // override them.
  const char* keys[] = {"connect_timeout", "tcp_user_timeout", "application_name", "dbname", nullptr};
  const char* values[] = {kConnectTimeoutS, kTcpUserTimeoutMs, "vigil", uri_.c_str(), nullptr};
  conn_ = PQconnectdbParams(keys, values, /*expand_dbname=*/1);
  if (conn_ == nullptr || PQstatus(conn_) != CONNECTION_OK) {
    return Status::unavailable(fmt::format("cannot connect to {}: {}", redactUrlCredentials(uri_),
                                           conn_ ? errorText(conn_) : "out of memory"));
  }
  // Notices ("relation already exists, skipping") would go to stderr.
  PQsetNoticeProcessor(
      conn_, [](void*, const char*) {}, nullptr);
  PgResult set(PQexec(conn_, kSessionSettings));
  if (PQresultStatus(set.get()) != PGRES_COMMAND_OK) {
    return Status::unavailable(fmt::format("access db: session settings: {}", errorText(conn_)));
  }
  return Status::ok();
}

Status PostgresAccessStore::insertUser(const User& user) {
  std::lock_guard lock(mutex_);
  VIGIL_RETURN_IF_ERROR(connected());
  Transaction tx(conn_);
  VIGIL_RETURN_IF_ERROR(tx.begin());
  auto r = exec(conn_, "insert user", R"(INSERT INTO "user" (id, role, password_hash, created_at) VALUES ($1, $2, $3, $4))",
                {user.id, std::string(roleName(user.role)), user.passwordHash, std::to_string(user.createdAt.unixMicros())});
  if (!r && r.status().code() == StatusCode::kAlreadyExists) {
    return Status::alreadyExists(fmt::format("user \"{}\" exists", user.id));
  }
  if (!r) return r.status();
  VIGIL_RETURN_IF_ERROR(insertCameras(conn_, user.id, user.cameras));
  return tx.commit();
}

Result<User> PostgresAccessStore::findUser(std::string_view id) {
  std::lock_guard lock(mutex_);
  VIGIL_RETURN_IF_ERROR(connected());
  auto r = exec(conn_, "select user", fmt::format("{} WHERE u.id = $1 ORDER BY c.camera_id", kUserQuery).c_str(),
                {std::string(id)});
  if (!r) return r.status();
  auto users = readUsers(*r);
  if (!users) return users.status();
  if (users->empty()) return Status::notFound(fmt::format("no user \"{}\"", id));
  return std::move(users->front());
}

Result<std::vector<User>> PostgresAccessStore::listUsers() {
  std::lock_guard lock(mutex_);
  VIGIL_RETURN_IF_ERROR(connected());
  auto r = exec(conn_, "list users", fmt::format("{} ORDER BY u.id, c.camera_id", kUserQuery).c_str());
  if (!r) return r.status();
  return readUsers(*r);
}

Status PostgresAccessStore::setPasswordHash(std::string_view id, std::string_view hash) {
  std::lock_guard lock(mutex_);
  VIGIL_RETURN_IF_ERROR(connected());
  Transaction tx(conn_);
  VIGIL_RETURN_IF_ERROR(tx.begin());
  auto r = exec(conn_, "update password", R"(UPDATE "user" SET password_hash = $1 WHERE id = $2)",
                {std::string(hash), std::string(id)});
  if (!r) return r.status();
  if (std::string_view(PQcmdTuples(r->get())) == "0") return Status::notFound(fmt::format("no user \"{}\"", id));
  auto d = exec(conn_, "delete sessions", "DELETE FROM session WHERE user_id = $1", {std::string(id)});
  if (!d) return d.status();
  return tx.commit();
}

Status PostgresAccessStore::setCameras(std::string_view id, const std::vector<std::string>& cameras) {
  std::lock_guard lock(mutex_);
  VIGIL_RETURN_IF_ERROR(connected());
  Transaction tx(conn_);
  VIGIL_RETURN_IF_ERROR(tx.begin());
  auto d = exec(conn_, "delete user cameras", "DELETE FROM user_camera WHERE user_id = $1", {std::string(id)});
  if (!d) return d.status();
  VIGIL_RETURN_IF_ERROR(insertCameras(conn_, id, cameras));
  return tx.commit();
}

Result<std::vector<std::string>> PostgresAccessStore::revokeCamera(std::string_view id, std::string_view camera) {
  std::lock_guard lock(mutex_);
  VIGIL_RETURN_IF_ERROR(connected());
  Transaction tx(conn_);
  VIGIL_RETURN_IF_ERROR(tx.begin());
  auto d = exec(conn_, "delete user camera", "DELETE FROM user_camera WHERE user_id = $1 AND camera_id = $2",
                {std::string(id), std::string(camera)});
  if (!d) return d.status();
  if (std::string_view(PQcmdTuples(d->get())) == "0") return Status::notFound(fmt::format("{} has no such grant", id));
  auto r = exec(conn_, "select user cameras", "SELECT camera_id FROM user_camera WHERE user_id = $1 ORDER BY camera_id",
                {std::string(id)});
  if (!r) return r.status();
  std::vector<std::string> left;
  for (int i = 0; i < PQntuples(r->get()); ++i) left.push_back(text(*r, i, 0));
  VIGIL_RETURN_IF_ERROR(tx.commit());
  return left;
}

Status PostgresAccessStore::updateUser(std::string_view id, std::optional<Role> role, std::optional<bool> disabled) {
  std::lock_guard lock(mutex_);
  VIGIL_RETURN_IF_ERROR(connected());
  Transaction tx(conn_);
  auto wasAdmin = beginAdminSensitiveChange(conn_, tx, id);
  if (!wasAdmin) return wasAdmin.status();
  // exec() passes no NULL: NULLIF turns the empty text of "not given" into
  // one, and COALESCE keeps the stored value for it.
  auto r = exec(conn_, "update user",
                R"(UPDATE "user" SET role = COALESCE(NULLIF($1, ''), role), )"
                "disabled = COALESCE(NULLIF($2, '')::BOOLEAN, disabled) WHERE id = $3",
                {role ? std::string(roleName(*role)) : "", disabled ? (*disabled ? "true" : "false") : "",
                 std::string(id)});
  if (!r) return r.status();
  if (*wasAdmin) VIGIL_RETURN_IF_ERROR(checkAnAdminIsLeft(conn_));
  if (disabled.value_or(false)) {
    auto d = exec(conn_, "delete sessions", "DELETE FROM session WHERE user_id = $1", {std::string(id)});
    if (!d) return d.status();
  }
  return tx.commit();
}

Status PostgresAccessStore::deleteUser(std::string_view id) {
  std::lock_guard lock(mutex_);
  VIGIL_RETURN_IF_ERROR(connected());
  Transaction tx(conn_);
  auto wasAdmin = beginAdminSensitiveChange(conn_, tx, id);
  if (!wasAdmin) return wasAdmin.status();
  for (const char* sql : {"DELETE FROM session WHERE user_id = $1", "DELETE FROM api_token WHERE user_id = $1",
                          "DELETE FROM user_camera WHERE user_id = $1"}) {
    auto d = exec(conn_, "delete user's rows", sql, {std::string(id)});
    if (!d) return d.status();
  }
  auto r = exec(conn_, "delete user", R"(DELETE FROM "user" WHERE id = $1)", {std::string(id)});
  if (!r) return r.status();
  if (*wasAdmin) VIGIL_RETURN_IF_ERROR(checkAnAdminIsLeft(conn_));
  return tx.commit();
}

Status PostgresAccessStore::insertSession(const SessionRecord& session) {
  std::lock_guard lock(mutex_);
  VIGIL_RETURN_IF_ERROR(connected());
  Transaction tx(conn_);
  VIGIL_RETURN_IF_ERROR(tx.begin());
  auto r = exec(conn_, "insert session",
                fmt::format("INSERT INTO session ({}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)", kSessionColumns).c_str(),
                {session.tokenHash, session.userId, std::to_string(session.createdAt.unixMicros()),
                 std::to_string(session.expiresAt.unixMicros()), std::to_string(session.lastSeenAt.unixMicros()),
                 session.id, session.client, session.userAgent, session.device});
  if (!r) return r.status();
  auto u = exec(conn_, "update last login", R"(UPDATE "user" SET last_login_at = $1 WHERE id = $2)",
                {std::to_string(session.createdAt.unixMicros()), session.userId});
  if (!u) return u.status();
  return tx.commit();
}

Result<SessionRecord> PostgresAccessStore::findSession(std::string_view tokenHash) {
  return findSessionBy("token_hash", tokenHash);
}

Result<SessionRecord> PostgresAccessStore::findSessionById(std::string_view id) { return findSessionBy("id", id); }

Result<SessionRecord> PostgresAccessStore::findSessionBy(std::string_view column, std::string_view value) {
  std::lock_guard lock(mutex_);
  VIGIL_RETURN_IF_ERROR(connected());
  auto r = exec(conn_, "select session", fmt::format("SELECT {} FROM session WHERE {} = $1", kSessionColumns, column).c_str(),
                {std::string(value)});
  if (!r) return r.status();
  if (PQntuples(r->get()) == 0) return Status::notFound("no such session");
  return readSession(*r, 0);
}

Result<std::vector<SessionRecord>> PostgresAccessStore::listSessions(std::string_view userId) {
  std::lock_guard lock(mutex_);
  VIGIL_RETURN_IF_ERROR(connected());
  auto r = exec(conn_, "list sessions",
                fmt::format("SELECT {} FROM session WHERE user_id = $1 ORDER BY created_at DESC, id", kSessionColumns).c_str(),
                {std::string(userId)});
  if (!r) return r.status();
  std::vector<SessionRecord> out;
  for (int i = 0; i < PQntuples(r->get()); ++i) out.push_back(readSession(*r, i));
  return out;
}

Status PostgresAccessStore::touchSession(std::string_view tokenHash, WallTime lastSeenAt) {
  std::lock_guard lock(mutex_);
  VIGIL_RETURN_IF_ERROR(connected());
  auto r = exec(conn_, "touch session", "UPDATE session SET last_seen_at = $1 WHERE token_hash = $2",
                {std::to_string(lastSeenAt.unixMicros()), std::string(tokenHash)});
  return r ? Status::ok() : r.status();
}

Status PostgresAccessStore::deleteSession(std::string_view tokenHash) {
  std::lock_guard lock(mutex_);
  VIGIL_RETURN_IF_ERROR(connected());
  auto r = exec(conn_, "delete session", "DELETE FROM session WHERE token_hash = $1", {std::string(tokenHash)});
  return r ? Status::ok() : r.status();
}

namespace {

constexpr const char* kApiTokenColumns = "id, token_hash, user_id, name, scope, created_at, last_used_at";

ApiTokenRecord apiTokenRow(const PgResult& r, int row) {
  return ApiTokenRecord{text(r, row, 0),
                        text(r, row, 1),
                        text(r, row, 2),
                        text(r, row, 3),
                        parseTokenScope(text(r, row, 4)).value_or(TokenScope::kAlarm),
                        WallTime::fromUnixMicros(integer(r, row, 5)),
                        WallTime::fromUnixMicros(integer(r, row, 6))};
}

}  // namespace

Status PostgresAccessStore::insertApiToken(const ApiTokenRecord& token) {
  std::lock_guard lock(mutex_);
  VIGIL_RETURN_IF_ERROR(connected());
  auto r = exec(conn_, "insert api token",
                fmt::format("INSERT INTO api_token ({}) VALUES ($1, $2, $3, $4, $5, $6, $7)", kApiTokenColumns).c_str(),
                {token.id, token.tokenHash, token.userId, token.name, std::string(tokenScopeName(token.scope)),
                 std::to_string(token.createdAt.unixMicros()), std::to_string(token.lastUsedAt.unixMicros())});
  return r ? Status::ok() : r.status();
}

Result<ApiTokenRecord> PostgresAccessStore::findApiToken(std::string_view tokenHash) {
  std::lock_guard lock(mutex_);
  VIGIL_RETURN_IF_ERROR(connected());
  auto r = exec(conn_, "select api token",
                fmt::format("SELECT {} FROM api_token WHERE token_hash = $1", kApiTokenColumns).c_str(),
                {std::string(tokenHash)});
  if (!r) return r.status();
  if (PQntuples(r->get()) == 0) return Status::notFound("no such api token");
  return apiTokenRow(*r, 0);
}

Result<std::vector<ApiTokenRecord>> PostgresAccessStore::listApiTokens() {
  std::lock_guard lock(mutex_);
  VIGIL_RETURN_IF_ERROR(connected());
  auto r = exec(conn_, "list api tokens",
                fmt::format("SELECT {} FROM api_token ORDER BY user_id, name, id", kApiTokenColumns).c_str());
  if (!r) return r.status();
  std::vector<ApiTokenRecord> out;
  for (int i = 0; i < PQntuples(r->get()); ++i) out.push_back(apiTokenRow(*r, i));
  return out;
}

Status PostgresAccessStore::touchApiToken(std::string_view id, WallTime lastUsedAt) {
  std::lock_guard lock(mutex_);
  VIGIL_RETURN_IF_ERROR(connected());
  auto r = exec(conn_, "touch api token", "UPDATE api_token SET last_used_at = $1 WHERE id = $2",
                {std::to_string(lastUsedAt.unixMicros()), std::string(id)});
  return r ? Status::ok() : r.status();
}

Status PostgresAccessStore::deleteApiToken(std::string_view id) {
  std::lock_guard lock(mutex_);
  VIGIL_RETURN_IF_ERROR(connected());
  auto r = exec(conn_, "delete api token", "DELETE FROM api_token WHERE id = $1", {std::string(id)});
  if (!r) return r.status();
  if (std::string_view(PQcmdTuples(r->get())) == "0") return Status::notFound(fmt::format("no api token \"{}\"", id));
  return Status::ok();
}

Status PostgresAccessStore::appendAudit(const AuditRowBuilder& build) {
  std::lock_guard lock(mutex_);
  VIGIL_RETURN_IF_ERROR(connected());
  Transaction tx(conn_);
  VIGIL_RETURN_IF_ERROR(tx.begin());
  VIGIL_RETURN_IF_ERROR(appendAuditRow(build));
  return tx.commit();
}

Status PostgresAccessStore::appendAuditRow(const AuditRowBuilder& build) {
  // Under READ COMMITTED each statement sees what was committed before it
  // started, so once the lock is ours the head read below is the newest.
  auto locked = exec(conn_, "lock audit chain", "SELECT pg_advisory_xact_lock($1)", {std::to_string(kAuditLockKey)});
  if (!locked) return locked.status();
  auto head = exec(conn_, "select last audit row",
                   fmt::format("SELECT {} FROM audit ORDER BY seq DESC LIMIT 1", kAuditColumns).c_str());
  if (!head) return head.status();
  std::optional<AuditRow> last;
  if (PQntuples(head->get()) > 0) last = readAuditRow(*head, 0);
  const AuditRow row = build(last ? &*last : nullptr);
  auto r = exec(conn_, "insert audit row",
                fmt::format("INSERT INTO audit ({}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)", kAuditColumns)
                    .c_str(),
                {std::to_string(row.seq), std::to_string(row.at.unixMicros()), row.user, row.action, row.camera,
                 row.client, row.detail, row.prevHash, row.hash, row.signer, row.signature});
  return r ? Status::ok() : r.status();
}

Result<std::vector<AuditRow>> PostgresAccessStore::auditRows(int64_t afterSeq, size_t limit) {
  std::lock_guard lock(mutex_);
  VIGIL_RETURN_IF_ERROR(connected());
  auto r = exec(conn_, "select audit rows",
                fmt::format("SELECT {} FROM audit WHERE seq > $1 ORDER BY seq LIMIT $2", kAuditColumns).c_str(),
                {std::to_string(afterSeq), std::to_string(limit)});
  if (!r) return r.status();
  return readAuditRows(*r);
}

Result<std::vector<AuditRow>> PostgresAccessStore::queryAudit(const AuditFilter& filter) {
  std::lock_guard lock(mutex_);
  VIGIL_RETURN_IF_ERROR(connected());
  // Absent bounds become the widest ones and absent lists '' (NULLIF: no
  // list), so one statement serves all filters; a list is one JSON array.
  auto r = exec(conn_, "query audit",
                fmt::format(R"(SELECT {} FROM audit WHERE at >= $1 AND at < $2 AND seq < $3 )"
                            R"(AND ($4::text = '' OR "user" = $4) AND ($5::text = '' OR camera = $5) )"
                            "AND ($6::text = '' OR action IN (SELECT jsonb_array_elements_text(NULLIF($6, '')::jsonb))) "
                            "AND ($7::text = '' OR camera IN (SELECT jsonb_array_elements_text(NULLIF($7, '')::jsonb))) "
                            "ORDER BY seq DESC LIMIT $8",
                            kAuditColumns)
                    .c_str(),
                {std::to_string(filter.start ? filter.start->unixMicros() : INT64_MIN),
                 std::to_string(filter.end ? filter.end->unixMicros() : INT64_MAX),
                 std::to_string(filter.beforeSeq.value_or(INT64_MAX)), filter.user, filter.camera,
                 filter.actions.empty() ? "" : nlohmann::json(filter.actions).dump(),
                 filter.cameras ? nlohmann::json(*filter.cameras).dump() : "", std::to_string(filter.limit)});
  if (!r) return r.status();
  return readAuditRows(*r);
}

Result<std::optional<std::string>> PostgresAccessStore::configFingerprint(std::string_view node) {
  std::lock_guard lock(mutex_);
  VIGIL_RETURN_IF_ERROR(connected());
  auto r = exec(conn_, "select config fingerprint", "SELECT fingerprint FROM node_config WHERE node = $1",
                {std::string(node)});
  if (!r) return r.status();
  if (PQntuples(r->get()) == 0) return std::optional<std::string>();
  return std::optional<std::string>(text(*r, 0, 0));
}

Status PostgresAccessStore::setConfigFingerprint(std::string_view node, std::string_view fingerprint) {
  std::lock_guard lock(mutex_);
  VIGIL_RETURN_IF_ERROR(connected());
  auto r = exec(conn_, "store config fingerprint",
                "INSERT INTO node_config (node, fingerprint) VALUES ($1, $2) "
                "ON CONFLICT (node) DO UPDATE SET fingerprint = excluded.fingerprint",
                {std::string(node), std::string(fingerprint)});
  return r ? Status::ok() : r.status();
}

Result<std::vector<Share>> PostgresAccessStore::shares(std::string_view camera) {
  std::lock_guard lock(mutex_);
  VIGIL_RETURN_IF_ERROR(connected());
  auto r = exec(conn_, "select shares",
                fmt::format("SELECT {} FROM camera_share WHERE camera_id = $1 {}", kShareColumns, kSharesByTier).c_str(),
                {std::string(camera)});
  if (!r) return r.status();
  std::vector<Share> out;
  for (int i = 0; i < PQntuples(r->get()); ++i) {
    std::optional<int64_t> expiresAt;
    if (!PQgetisnull(r->get(), i, 4)) expiresAt = integer(*r, i, 4);
    auto share = fromShareRow(camera, {text(*r, i, 0), text(*r, i, 1), text(*r, i, 2) == "t", text(*r, i, 3), expiresAt});
    if (!share) return share.status();
    out.push_back(std::move(*share));
  }
  return out;
}

Status PostgresAccessStore::replaceShares(std::string_view camera, const std::vector<Share>& shares,
                                          const AuditRowBuilder& auditRow) {
  std::lock_guard lock(mutex_);
  VIGIL_RETURN_IF_ERROR(connected());
  Transaction tx(conn_);
  VIGIL_RETURN_IF_ERROR(tx.begin());
  auto d = exec(conn_, "delete shares", "DELETE FROM camera_share WHERE camera_id = $1", {std::string(camera)});
  if (!d) return d.status();
  for (const Share& share : shares) {
    const ShareRow row = toShareRow(share);
    // A NULL parameter is a null pointer, which exec()'s strings cannot
    // say: NULLIF turns the empty text of "never" into NULL.
    auto i = exec(conn_, "insert share",
                  fmt::format("INSERT INTO camera_share (camera_id, {}) VALUES ($1, $2, $3, $4, $5, NULLIF($6, '')::BIGINT)",
                              kShareColumns)
                      .c_str(),
                  {std::string(camera), row.tier, row.rights, row.onlyDuringAlarm ? "true" : "false", row.hours,
                   row.expiresAtMicros ? std::to_string(*row.expiresAtMicros) : ""});
    if (!i && i.status().code() == StatusCode::kAlreadyExists) {
      return Status::invalidArgument(fmt::format("shares: {} is given twice", row.tier));
    }
    if (!i) return i.status();
  }
  VIGIL_RETURN_IF_ERROR(appendAuditRow(auditRow));
  return tx.commit();
}

}  // namespace vigil::access

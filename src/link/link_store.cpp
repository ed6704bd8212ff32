#include "link/link_store.h"

#include <fmt/format.h>
#include <sodium.h>
#include <sqlite3.h>

#include <cstring>

#include "link/enrolment_messages.h"

namespace vigil::link {

namespace {

constexpr const char* kSchema = R"sql(
PRAGMA journal_mode=WAL;
PRAGMA synchronous=FULL;
CREATE TABLE IF NOT EXISTS meta (
  key TEXT PRIMARY KEY NOT NULL,
  value BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS invite (
  id INTEGER PRIMARY KEY NOT NULL,
  name TEXT NOT NULL,
  secret_hash BLOB NOT NULL UNIQUE,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  used_at INTEGER,
  used_by TEXT NOT NULL DEFAULT '',
  revoked_at INTEGER,
  tier TEXT NOT NULL DEFAULT '',
  child_id TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS child (
  id TEXT PRIMARY KEY NOT NULL,
  name TEXT NOT NULL,
  tier TEXT NOT NULL,
  public_key BLOB NOT NULL,
  enrolled_at INTEGER NOT NULL,
  removed_at INTEGER
);
CREATE TABLE IF NOT EXISTS parent (
  only INTEGER PRIMARY KEY CHECK (only = 1),
  url TEXT NOT NULL,
  id TEXT NOT NULL,
  name TEXT NOT NULL,
  tier TEXT NOT NULL,
  public_key BLOB NOT NULL,
  joined_at INTEGER NOT NULL
);
)sql";

constexpr const char* kInviteColumns = "id, name, created_at, expires_at, used_at, used_by, revoked_at, tier, child_id";

// link.db from before invitations bound a tier and an id: the columns are
// added, and the invitations still pending revoked (they would enrol any
// tier below; the admin makes new ones).
constexpr const char* kBindInvites = R"sql(
ALTER TABLE invite ADD COLUMN tier TEXT NOT NULL DEFAULT '';
ALTER TABLE invite ADD COLUMN child_id TEXT NOT NULL DEFAULT '';
UPDATE invite SET revoked_at = CAST(strftime('%s', 'now') AS INTEGER) * 1000000
  WHERE used_at IS NULL AND revoked_at IS NULL;
)sql";
constexpr size_t kSaltBytes = crypto_pwhash_SALTBYTES;

Status dbError(sqlite3* db, std::string_view what) {
  return Status::internal(fmt::format("link db: {}: {}", what, sqlite3_errmsg(db)));
}

}  // namespace

// One statement: parameters bound in order, rows read by column.
struct LinkStore::Query {
  Query(sqlite3* db, const char* sql) : db_(db) {
    if (sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr) != SQLITE_OK) error_ = dbError(db, "prepare");
  }
  ~Query() { sqlite3_finalize(stmt_); }
  Query& bind(int64_t v) {
    sqlite3_bind_int64(stmt_, ++param_, v);
    return *this;
  }
  Query& bind(std::string_view v) {
    sqlite3_bind_text(stmt_, ++param_, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Query& bind(std::span<const uint8_t> v) {
    sqlite3_bind_blob(stmt_, ++param_, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  // True with a row to read, false when done.
  Result<bool> next() {
    if (!error_.isOk()) return error_;
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    return dbError(db_, "step");
  }
  Status run() {
    auto row = next();
    return row ? Status::ok() : row.status();
  }
  int64_t integer(int col) const { return sqlite3_column_int64(stmt_, col); }
  std::optional<WallTime> time(int col) const {
    if (sqlite3_column_type(stmt_, col) == SQLITE_NULL) return std::nullopt;
    return WallTime::fromUnixMicros(integer(col));
  }
  std::string text(int col) const {
    const auto* p = sqlite3_column_text(stmt_, col);
    return p ? std::string(reinterpret_cast<const char*>(p), static_cast<size_t>(sqlite3_column_bytes(stmt_, col))) : "";
  }
  std::vector<uint8_t> blob(int col) const {
    const auto* p = static_cast<const uint8_t*>(sqlite3_column_blob(stmt_, col));
    return p ? std::vector<uint8_t>(p, p + sqlite3_column_bytes(stmt_, col)) : std::vector<uint8_t>{};
  }
  Result<PublicKey> key(int col) const {
    const auto b = blob(col);
    if (b.size() != kKeyBytes) return Status::dataLoss("link db: a stored key is not 32 bytes");
    PublicKey k{};
    std::memcpy(k.data(), b.data(), k.size());
    return k;
  }
  // The columns of kInviteColumns, in order.
  Invite invite() const {
    std::optional<InviteFor> bound;
    if (auto tier = parseTier(text(7))) bound = InviteFor{*tier, text(8)};
    return {integer(0), text(1), bound, *time(2), *time(3), time(4), text(5), time(6)};
  }
  Result<Tier> tier(int col) const {
    auto t = parseTier(text(col));
    if (!t) return Status::dataLoss("link db: unknown tier " + text(col));
    return *t;
  }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
  Status error_;
  int param_ = 0;
};

std::string_view Invite::state(WallTime now) const {
  if (usedAt) return "used";
  if (revokedAt) return "revoked";
  if (now.unixMicros() >= expiresAt.unixMicros()) return "expired";
  return "pending";
}

Result<std::unique_ptr<LinkStore>> LinkStore::open(const std::string& path) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) != SQLITE_OK) {
    Status s = Status::unavailable(fmt::format("cannot open {}: {}", path, db ? sqlite3_errmsg(db) : "out of memory"));
    sqlite3_close(db);
    return s;
  }
  sqlite3_busy_timeout(db, 5000);
  char* err = nullptr;
  const bool unbound = sqlite3_exec(db, "SELECT tier FROM invite LIMIT 0", nullptr, nullptr, nullptr) != SQLITE_OK &&
                       sqlite3_exec(db, "SELECT id FROM invite LIMIT 0", nullptr, nullptr, nullptr) == SQLITE_OK;
  if (sqlite3_exec(db, kSchema, nullptr, nullptr, &err) != SQLITE_OK ||
      (unbound && sqlite3_exec(db, kBindInvites, nullptr, nullptr, &err) != SQLITE_OK)) {
    Status s = Status::unavailable(fmt::format("cannot open {}: {}", path, err ? err : "schema"));
    sqlite3_free(err);
    sqlite3_close(db);
    return s;
  }
  return std::unique_ptr<LinkStore>(new LinkStore(db));
}

LinkStore::~LinkStore() { sqlite3_close(db_); }

Result<std::vector<uint8_t>> LinkStore::inviteSalt() {
  std::lock_guard lock(mutex_);
  std::vector<uint8_t> salt(kSaltBytes);
  randombytes_buf(salt.data(), salt.size());
  // The first caller's salt stays; later ones read it.
  VIGIL_RETURN_IF_ERROR(Query(db_, "INSERT OR IGNORE INTO meta (key, value) VALUES ('invite_salt', ?)").bind(salt).run());
  Query q(db_, "SELECT value FROM meta WHERE key = 'invite_salt'");
  auto row = q.next();
  if (!row) return row.status();
  if (!*row || q.blob(0).size() != kSaltBytes) return Status::dataLoss("link db: bad invite salt");
  return q.blob(0);
}

Result<int64_t> LinkStore::addInvite(const std::string& name, const InviteFor& bound,
                                     std::span<const uint8_t> secretHash, WallTime createdAt, WallTime expiresAt) {
  std::lock_guard lock(mutex_);
  VIGIL_RETURN_IF_ERROR(
      Query(db_, "INSERT INTO invite (name, tier, child_id, secret_hash, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)")
          .bind(name)
          .bind(tierName(bound.tier))
          .bind(bound.childId)
          .bind(secretHash)
          .bind(createdAt.unixMicros())
          .bind(expiresAt.unixMicros())
          .run());
  return sqlite3_last_insert_rowid(db_);
}

Result<std::vector<Invite>> LinkStore::listInvites() {
  std::lock_guard lock(mutex_);
  Query q(db_, fmt::format("SELECT {} FROM invite ORDER BY id", kInviteColumns).c_str());
  std::vector<Invite> out;
  for (;;) {
    auto row = q.next();
    if (!row) return row.status();
    if (!*row) return out;
    out.push_back(q.invite());
  }
}

Result<std::optional<Invite>> LinkStore::findInvite(std::span<const uint8_t> secretHash) {
  std::lock_guard lock(mutex_);
  Query q(db_, fmt::format("SELECT {} FROM invite WHERE secret_hash = ?", kInviteColumns).c_str());
  q.bind(secretHash);
  auto row = q.next();
  if (!row) return row.status();
  if (!*row) return std::optional<Invite>();
  return std::optional<Invite>(q.invite());
}

Status LinkStore::revokeInvite(int64_t id, WallTime now) {
  std::lock_guard lock(mutex_);
  VIGIL_RETURN_IF_ERROR(
      Query(db_, "UPDATE invite SET revoked_at = ? WHERE id = ? AND used_at IS NULL AND revoked_at IS NULL")
          .bind(now.unixMicros())
          .bind(id)
          .run());
  if (sqlite3_changes(db_) == 1) return Status::ok();
  Query q(db_, "SELECT 1 FROM invite WHERE id = ?");
  q.bind(id);
  auto row = q.next();
  if (!row) return row.status();
  if (!*row) return Status::notFound(fmt::format("no invitation {}", id));
  return Status::failedPrecondition(fmt::format("invitation {} was already used or revoked", id));
}

Status LinkStore::enrolChild(int64_t inviteId, const ChildRecord& child, WallTime now) {
  std::lock_guard lock(mutex_);
  VIGIL_RETURN_IF_ERROR(Query(db_, "BEGIN IMMEDIATE").run());
  auto body = [&]() -> Status {
    Query inv(db_, fmt::format("SELECT {} FROM invite WHERE id = ?", kInviteColumns).c_str());
    inv.bind(inviteId);
    auto row = inv.next();
    if (!row) return row.status();
    if (!*row) return Status::notFound("invitation not found");
    const Invite invite = inv.invite();
    if (const auto state = invite.state(now); state != "pending") {
      return Status::failedPrecondition(fmt::format("this invitation code was {}", state == "used" ? "already used" : state));
    }
    Query existing(db_, "SELECT public_key, removed_at FROM child WHERE id = ?");
    existing.bind(child.id);
    row = existing.next();
    if (!row) return row.status();
    if (*row && !existing.time(1) && existing.blob(0) != std::vector<uint8_t>(child.key.begin(), child.key.end())) {
      return Status::alreadyExists(fmt::format("node id \"{}\" is already taken by another child of this parent", child.id));
    }
    VIGIL_RETURN_IF_ERROR(Query(db_, "UPDATE invite SET used_at = ?, used_by = ? WHERE id = ?")
                              .bind(now.unixMicros())
                              .bind(child.id)
                              .bind(inviteId)
                              .run());
    VIGIL_RETURN_IF_ERROR(Query(db_,
                                "INSERT OR REPLACE INTO child (id, name, tier, public_key, enrolled_at, removed_at) "
                                "VALUES (?, ?, ?, ?, ?, NULL)")
                              .bind(child.id)
                              .bind(child.name)
                              .bind(tierName(child.tier))
                              .bind(child.key)
                              .bind(now.unixMicros())
                              .run());
    return Query(db_, "COMMIT").run();
  };
  Status s = body();
  if (!s.isOk()) (void)Query(db_, "ROLLBACK").run();
  return s;
}

Result<std::vector<ChildRecord>> LinkStore::listChildren() {
  std::lock_guard lock(mutex_);
  Query q(db_, "SELECT id, name, tier, public_key, enrolled_at, removed_at FROM child ORDER BY id");
  std::vector<ChildRecord> out;
  for (;;) {
    auto row = q.next();
    if (!row) return row.status();
    if (!*row) return out;
    auto tier = q.tier(2);
    if (!tier) return tier.status();
    auto key = q.key(3);
    if (!key) return key.status();
    out.push_back({q.text(0), q.text(1), *tier, *key, *q.time(4), q.time(5)});
  }
}

Status LinkStore::removeChild(const std::string& id, WallTime now) {
  std::lock_guard lock(mutex_);
  VIGIL_RETURN_IF_ERROR(
      Query(db_, "UPDATE child SET removed_at = ? WHERE id = ? AND removed_at IS NULL").bind(now.unixMicros()).bind(id).run());
  if (sqlite3_changes(db_) == 0) return Status::notFound(fmt::format("no child \"{}\" is linked here", id));
  return Status::ok();
}

Result<int64_t> LinkStore::changeCount() {
  std::lock_guard lock(mutex_);
  Query q(db_, "PRAGMA data_version");
  auto row = q.next();
  if (!row) return row.status();
  return *row ? q.integer(0) : 0;
}

Result<std::optional<ParentRecord>> LinkStore::parent() {
  std::lock_guard lock(mutex_);
  Query q(db_, "SELECT url, id, name, tier, public_key, joined_at FROM parent");
  auto row = q.next();
  if (!row) return row.status();
  if (!*row) return std::optional<ParentRecord>();
  auto tier = q.tier(3);
  if (!tier) return tier.status();
  auto key = q.key(4);
  if (!key) return key.status();
  return std::optional<ParentRecord>(ParentRecord{q.text(0), q.text(1), q.text(2), *tier, *key, *q.time(5)});
}

Status LinkStore::setParent(const ParentRecord& p) {
  std::lock_guard lock(mutex_);
  return Query(db_,
               "INSERT OR REPLACE INTO parent (only, url, id, name, tier, public_key, joined_at) "
               "VALUES (1, ?, ?, ?, ?, ?, ?)")
      .bind(p.url)
      .bind(p.id)
      .bind(p.name)
      .bind(tierName(p.tier))
      .bind(p.key)
      .bind(p.joinedAt.unixMicros())
      .run();
}

}  // namespace vigil::link

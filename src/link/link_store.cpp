#include "link/link_store.h"

#include <fmt/format.h>
#include <sodium.h>
#include <sqlite3.h>

#include <algorithm>
#include <cstring>

#include "link/enrolment_messages.h"
#include "link/sql.h"

namespace vigil::link {

namespace {

constexpr const char* kSchema = R"sql(
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
CREATE TABLE IF NOT EXISTS child_checkpoint (
  id INTEGER PRIMARY KEY NOT NULL,
  child TEXT NOT NULL,
  seq INTEGER NOT NULL,
  head TEXT NOT NULL,
  made_at INTEGER NOT NULL,
  received_at INTEGER NOT NULL,
  text TEXT NOT NULL,
  problem TEXT NOT NULL,
  UNIQUE (child, seq, head)
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

}  // namespace

// link/sql.h's query, with the rows of this database.
struct LinkStore::Query : SqlQuery {
  using SqlQuery::SqlQuery;
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
};

std::string_view Invite::state(WallTime now) const {
  if (usedAt) return "used";
  if (revokedAt) return "revoked";
  if (now.unixMicros() >= expiresAt.unixMicros()) return "expired";
  return "pending";
}

Result<std::unique_ptr<LinkStore>> LinkStore::open(const std::string& path) {
  auto opened = openDatabase(path, kSchema);
  if (!opened) return opened.status();
  sqlite3* db = *opened;
  // A link.db from before invitations bound a tier: its invite table has no tier column.
  const bool unbound = sqlite3_exec(db, "SELECT tier FROM invite LIMIT 0", nullptr, nullptr, nullptr) != SQLITE_OK;
  char* err = nullptr;
  if (unbound && sqlite3_exec(db, kBindInvites, nullptr, nullptr, &err) != SQLITE_OK) {
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

Result<std::optional<ChildCheckpoint>> LinkStore::addChildCheckpoint(const std::string& childId, ChildCheckpoint c) {
  std::lock_guard lock(mutex_);
  VIGIL_RETURN_IF_ERROR(Query(db_, "BEGIN IMMEDIATE").run());
  auto body = [&]() -> Result<std::optional<ChildCheckpoint>> {
    Query same(db_, "SELECT head FROM child_checkpoint WHERE child = ? AND seq = ?");
    same.bind(childId).bind(c.seq);
    std::vector<std::string> heads;
    for (;;) {
      auto row = same.next();
      if (!row) return row.status();
      if (!*row) break;
      heads.push_back(same.text(0));
    }
    if (std::find(heads.begin(), heads.end(), c.head) != heads.end()) return std::optional<ChildCheckpoint>();
    Query newest(db_, "SELECT MAX(seq) FROM child_checkpoint WHERE child = ?");
    newest.bind(childId);
    auto row = newest.next();
    if (!row) return row.status();
    const int64_t newestSeq = newest.integer(0);
    if (!heads.empty()) {
      c.problem = fmt::format("head differs from the checkpoint already kept for row {}: the log was rewritten", c.seq);
    } else if (c.seq < newestSeq) {
      c.problem = fmt::format("row {} is before the newest checkpoint kept (row {}): the log was cut", c.seq, newestSeq);
    }
    VIGIL_RETURN_IF_ERROR(Query(db_,
                                "INSERT INTO child_checkpoint (child, seq, head, made_at, received_at, text, problem) "
                                "VALUES (?, ?, ?, ?, ?, ?, ?)")
                              .bind(childId)
                              .bind(c.seq)
                              .bind(c.head)
                              .bind(c.at.unixMicros())
                              .bind(c.receivedAt.unixMicros())
                              .bind(c.text)
                              .bind(c.problem)
                              .run());
    VIGIL_RETURN_IF_ERROR(Query(db_, "COMMIT").run());
    return std::optional<ChildCheckpoint>(std::move(c));
  };
  auto kept = body();
  if (!kept || !*kept) (void)Query(db_, "ROLLBACK").run();
  return kept;
}

Result<std::vector<ChildCheckpoint>> LinkStore::childCheckpoints(const std::string& childId) {
  std::lock_guard lock(mutex_);
  Query q(db_, "SELECT seq, head, made_at, received_at, text, problem FROM child_checkpoint WHERE child = ? ORDER BY id");
  q.bind(childId);
  std::vector<ChildCheckpoint> out;
  for (;;) {
    auto row = q.next();
    if (!row) return row.status();
    if (!*row) return out;
    out.push_back({q.integer(0), q.text(1), *q.time(2), *q.time(3), q.text(4), q.text(5)});
  }
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
  // A chain pinned under another parent (or before joining again) is not this one's.
  VIGIL_RETURN_IF_ERROR(Query(db_, "DELETE FROM meta WHERE key = 'chain'").run());
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

Result<std::optional<std::vector<uint8_t>>> LinkStore::chain() {
  std::lock_guard lock(mutex_);
  Query q(db_, "SELECT value FROM meta WHERE key = 'chain'");
  auto row = q.next();
  if (!row) return row.status();
  if (!*row) return std::optional<std::vector<uint8_t>>();
  return std::optional<std::vector<uint8_t>>(q.blob(0));
}

Status LinkStore::setChain(std::span<const uint8_t> message) {
  std::lock_guard lock(mutex_);
  return Query(db_, "INSERT OR REPLACE INTO meta (key, value) VALUES ('chain', ?)").bind(message).run();
}

}  // namespace vigil::link

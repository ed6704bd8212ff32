#include "alarm/notice_store.h"

#include <fmt/format.h>

#include <algorithm>

#include "link/sql.h"

namespace vigil::alarm {

namespace {

using link::SqlQuery;

constexpr const char* kSchema = R"sql(
-- arrival: the order notices came to this node; record: notice.h's JSON.
CREATE TABLE IF NOT EXISTS notice (
  arrival INTEGER PRIMARY KEY,
  id TEXT UNIQUE NOT NULL,
  sent INTEGER NOT NULL,          -- 1: sent from here; 0: received from the parent
  stored_at INTEGER NOT NULL,     -- Unix ms
  delivered_at INTEGER NOT NULL,  -- Unix ms, 0: its audio not yet whole
  seen_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  unsent INTEGER NOT NULL,
  record TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS notice_unsent ON notice (arrival) WHERE unsent = 1;
CREATE TABLE IF NOT EXISTS audio (
  notice TEXT NOT NULL,
  idx INTEGER NOT NULL,
  bytes BLOB NOT NULL,
  PRIMARY KEY (notice, idx)
);
-- The children a notice goes on to from here.
CREATE TABLE IF NOT EXISTS forward (
  notice TEXT NOT NULL,
  child TEXT NOT NULL,
  all_below INTEGER NOT NULL,     -- always 1 since a sender names only its own children
  PRIMARY KEY (notice, child)
);
-- Per household reached through this node (via: the child; '' itself).
CREATE TABLE IF NOT EXISTS receipt (
  notice TEXT NOT NULL,
  household TEXT NOT NULL,
  via TEXT NOT NULL,
  delivered_at INTEGER NOT NULL,
  seen_at INTEGER NOT NULL,
  unsent INTEGER NOT NULL,        -- not yet in the outbox for the parent
  PRIMARY KEY (notice, household)
);
CREATE INDEX IF NOT EXISTS receipt_unsent ON receipt (notice) WHERE unsent = 1;
CREATE INDEX IF NOT EXISTS receipt_via ON receipt (notice, via);
)sql";

std::string selectNotices(std::string_view rest) {
  return "SELECT record, sent, stored_at, delivered_at, seen_at, unsent FROM notice " + std::string(rest);
}

Result<std::vector<StoredNotice>> rows(SqlQuery& q) {
  return link::readRows<StoredNotice>(q, [&]() -> Result<StoredNotice> {
    const std::string record = q.text(0);
    auto n = decodeNotice(std::span(reinterpret_cast<const uint8_t*>(record.data()), record.size()));
    if (!n) return Status::dataLoss("notices.db: a notice does not decode: " + n.status().message());
    return StoredNotice{std::move(*n), q.integer(1) != 0, q.integer(2), q.integer(3), q.integer(4), q.integer(5) != 0};
  });
}

Status insertReceipt(sqlite3* db, const std::string& id, const Receipt& r, bool up) {
  return SqlQuery(db,
                  "INSERT INTO receipt (notice, household, via, delivered_at, seen_at, unsent) VALUES (?, ?, ?, ?, ?, ?)")
      .bind(id)
      .bind(r.household.node)
      .bind(r.via)
      .bind(r.household.deliveredAt)
      .bind(r.household.seenAt)
      .bind(int64_t{up})
      .run();
}

}  // namespace

Result<std::unique_ptr<NoticeStore>> NoticeStore::open(const std::string& path) {
  auto db = link::openDatabase(path, kSchema);
  if (!db) return db.status();
  return std::unique_ptr<NoticeStore>(new NoticeStore(*db));
}

NoticeStore::~NoticeStore() { sqlite3_close(db_); }

template <class T, class Body>
Result<T> NoticeStore::transaction(Body body) {
  std::lock_guard lock(mutex_);
  VIGIL_RETURN_IF_ERROR(SqlQuery(db_, "BEGIN IMMEDIATE").run());
  Result<T> result = body();
  Status s = result.status();
  if (s.isOk()) s = SqlQuery(db_, "COMMIT").run();
  if (!s.isOk()) {
    (void)SqlQuery(db_, "ROLLBACK").run();
    return s;
  }
  return result;
}

Status NoticeStore::add(const StoredNotice& n, std::span<const uint8_t> audio, const std::vector<Forward>& forwards,
                        const std::vector<Receipt>& receipts, bool receiptsUp) {
  return transaction<bool>([&]() -> Result<bool> {
           auto existing = read(n.notice.id);
           if (!existing) return existing.status();
           if (*existing) return Status::alreadyExists("notice " + n.notice.id + " is here already");
           const std::vector<uint8_t> record = encode(n.notice);
           VIGIL_RETURN_IF_ERROR(
               SqlQuery(db_,
                        "INSERT INTO notice (id, sent, stored_at, delivered_at, seen_at, expires_at, unsent, record) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
                   .bind(n.notice.id)
                   .bind(int64_t{n.sent})
                   .bind(n.storedAt)
                   .bind(n.deliveredAt)
                   .bind(n.seenAt)
                   .bind(n.notice.expiresAt)
                   .bind(int64_t{n.unsent})
                   .bind(std::string_view(reinterpret_cast<const char*>(record.data()), record.size()))
                   .run());
           for (size_t i = 0; i * kAudioChunkBytes < audio.size(); ++i) {
             VIGIL_RETURN_IF_ERROR(SqlQuery(db_, "INSERT INTO audio (notice, idx, bytes) VALUES (?, ?, ?)")
                                       .bind(n.notice.id)
                                       .bind(static_cast<int64_t>(i))
                                       .bind(audio.subspan(i * kAudioChunkBytes,
                                                           std::min(kAudioChunkBytes, audio.size() - i * kAudioChunkBytes)))
                                       .run());
           }
           for (const Forward& f : forwards) {
             VIGIL_RETURN_IF_ERROR(SqlQuery(db_, "INSERT INTO forward (notice, child, all_below) VALUES (?, ?, ?)")
                                       .bind(n.notice.id)
                                       .bind(f.child)
                                       .bind(int64_t{1})
                                       .run());
           }
           for (const Receipt& r : receipts) VIGIL_RETURN_IF_ERROR(insertReceipt(db_, n.notice.id, r, receiptsUp));
           return true;
         })
      .status();
}

Result<std::optional<StoredNotice>> NoticeStore::read(const std::string& id) {
  SqlQuery q(db_, selectNotices("WHERE id = ?").c_str());
  q.bind(id);
  auto found = rows(q);
  if (!found) return found.status();
  if (found->empty()) return std::optional<StoredNotice>();
  return std::optional<StoredNotice>(std::move(found->front()));
}

Result<std::optional<StoredNotice>> NoticeStore::get(const std::string& id) {
  std::lock_guard lock(mutex_);
  return read(id);
}

Result<std::vector<StoredNotice>> NoticeStore::list(int64_t now, size_t limit) {
  std::lock_guard lock(mutex_);
  SqlQuery q(db_, selectNotices("WHERE sent = 1 OR (delivered_at != 0 AND expires_at > ?) "
                                "ORDER BY arrival DESC LIMIT ?")
                      .c_str());
  q.bind(now).bind(static_cast<int64_t>(limit));
  return rows(q);
}

Result<std::vector<Forward>> NoticeStore::forwards(const std::string& id) {
  std::lock_guard lock(mutex_);
  SqlQuery q(db_, "SELECT child FROM forward WHERE notice = ? ORDER BY child");
  q.bind(id);
  return link::readRows<Forward>(q, [&]() -> Result<Forward> { return Forward{q.text(0)}; });
}

Result<bool> NoticeStore::addAudioChunk(const std::string& id, uint32_t index, std::span<const uint8_t> bytes,
                                        int64_t now, const std::optional<Receipt>& self) {
  return transaction<bool>([&]() -> Result<bool> {
    auto n = read(id);
    if (!n) return n.status();
    if (!*n || (*n)->sent || (*n)->deliveredAt != 0) return false;  // unknown, ours, or whole already
    const Notice& notice = (*n)->notice;
    const int64_t chunks = notice.audioChunks();
    const size_t expected = index + 1 < chunks ? kAudioChunkBytes
                                               : static_cast<size_t>(notice.audioBytes) - index * kAudioChunkBytes;
    if (index >= chunks || bytes.size() != expected) {
      return Status::invalidArgument("notice.audio: a chunk out of the notice's audio_bytes");
    }
    VIGIL_RETURN_IF_ERROR(SqlQuery(db_, "INSERT OR IGNORE INTO audio (notice, idx, bytes) VALUES (?, ?, ?)")
                              .bind(id)
                              .bind(int64_t{index})
                              .bind(bytes)
                              .run());
    SqlQuery count(db_, "SELECT COUNT(*) FROM audio WHERE notice = ?");
    count.bind(id);
    auto row = count.next();
    if (!row) return row.status();
    if (count.integer(0) < chunks) return false;
    VIGIL_RETURN_IF_ERROR(
        SqlQuery(db_, "UPDATE notice SET delivered_at = ?, unsent = 1 WHERE id = ?").bind(now).bind(id).run());
    if (self) VIGIL_RETURN_IF_ERROR(insertReceipt(db_, id, *self, true));
    return true;
  });
}

Result<std::vector<std::vector<uint8_t>>> NoticeStore::audioChunks(const std::string& id) {
  std::lock_guard lock(mutex_);
  SqlQuery q(db_, "SELECT bytes FROM audio WHERE notice = ? ORDER BY idx");
  q.bind(id);
  return link::readRows<std::vector<uint8_t>>(q, [&]() -> Result<std::vector<uint8_t>> { return q.blob(0); });
}

Result<std::vector<uint8_t>> NoticeStore::audio(const std::string& id) {
  auto chunks = audioChunks(id);
  if (!chunks) return chunks.status();
  std::vector<uint8_t> out;
  for (const auto& c : *chunks) out.insert(out.end(), c.begin(), c.end());
  return out;
}

Result<std::vector<StoredNotice>> NoticeStore::unsent() {
  std::lock_guard lock(mutex_);
  SqlQuery q(db_, selectNotices("WHERE unsent = 1 ORDER BY arrival").c_str());
  return rows(q);
}

Status NoticeStore::markSent(const std::string& id) {
  std::lock_guard lock(mutex_);
  return SqlQuery(db_, "UPDATE notice SET unsent = 0 WHERE id = ?").bind(id).run();
}

Result<bool> NoticeStore::markSeen(const std::string& id, int64_t now, const std::string& self, bool up) {
  return transaction<bool>([&]() -> Result<bool> {
    auto n = read(id);
    if (!n) return n.status();
    if (!*n) return Status::notFound("no such notice");
    if ((*n)->seenAt != 0) return false;
    VIGIL_RETURN_IF_ERROR(SqlQuery(db_, "UPDATE notice SET seen_at = ? WHERE id = ?").bind(now).bind(id).run());
    VIGIL_RETURN_IF_ERROR(
        SqlQuery(db_, "UPDATE receipt SET seen_at = ?, unsent = ? WHERE notice = ? AND household = ? AND seen_at = 0")
            .bind(now)
            .bind(int64_t{up})
            .bind(id)
            .bind(self)
            .run());
    return true;
  });
}

Result<bool> NoticeStore::mergeReceipt(const std::string& id, const std::string& via, const HouseholdReceipt& theirs,
                                       bool up, bool mayAdd) {
  return transaction<bool>([&]() -> Result<bool> {
    SqlQuery q(db_, "SELECT via, delivered_at, seen_at FROM receipt WHERE notice = ? AND household = ?");
    q.bind(id).bind(theirs.node);
    auto row = q.next();
    if (!row) return row.status();
    if (!*row) {
      if (!mayAdd) return Status::permissionDenied("no more households below " + via);
      VIGIL_RETURN_IF_ERROR(insertReceipt(db_, id, {theirs, via}, up));
      return true;
    }
    if (q.text(0) != via) return Status::permissionDenied(theirs.node + " is reached through another child");
    HouseholdReceipt ours{theirs.node, q.integer(1), q.integer(2)};
    if (!merge(ours, theirs)) return false;
    VIGIL_RETURN_IF_ERROR(SqlQuery(db_,
                                   "UPDATE receipt SET delivered_at = ?, seen_at = ?, unsent = MAX(unsent, ?) "
                                   "WHERE notice = ? AND household = ?")
                              .bind(ours.deliveredAt)
                              .bind(ours.seenAt)
                              .bind(int64_t{up})
                              .bind(id)
                              .bind(theirs.node)
                              .run());
    return true;
  });
}

Result<int64_t> NoticeStore::householdsVia(const std::string& id, const std::string& via) {
  std::lock_guard lock(mutex_);
  SqlQuery q(db_, "SELECT COUNT(*) FROM receipt WHERE notice = ? AND via = ?");
  q.bind(id).bind(via);
  auto row = q.next();
  if (!row) return row.status();
  return q.integer(0);
}

Result<std::vector<Receipt>> NoticeStore::receipts(const std::string& id) {
  std::lock_guard lock(mutex_);
  SqlQuery q(db_, "SELECT household, delivered_at, seen_at, via FROM receipt WHERE notice = ? ORDER BY household");
  q.bind(id);
  return link::readRows<Receipt>(
      q, [&]() -> Result<Receipt> { return Receipt{{q.text(0), q.integer(1), q.integer(2)}, q.text(3)}; });
}

Result<ReceiptCounts> NoticeStore::counts(const std::string& id) {
  std::lock_guard lock(mutex_);
  SqlQuery q(db_, "SELECT COUNT(*), COUNT(NULLIF(delivered_at, 0)), COUNT(NULLIF(seen_at, 0)) FROM receipt "
                  "WHERE notice = ?");
  q.bind(id);
  auto row = q.next();
  if (!row) return row.status();
  return ReceiptCounts{q.integer(0), q.integer(1), q.integer(2)};
}

Result<int64_t> NoticeStore::pruneReceived(int64_t before) {
  return transaction<int64_t>([&]() -> Result<int64_t> {
    const std::string gone = "(SELECT id FROM notice WHERE sent = 0 AND expires_at < ?)";
    for (const char* table : {"audio", "forward", "receipt"}) {
      VIGIL_RETURN_IF_ERROR(
          SqlQuery(db_, fmt::format("DELETE FROM {} WHERE notice IN {}", table, gone).c_str()).bind(before).run());
    }
    VIGIL_RETURN_IF_ERROR(SqlQuery(db_, "DELETE FROM notice WHERE sent = 0 AND expires_at < ?").bind(before).run());
    return static_cast<int64_t>(sqlite3_changes(db_));
  });
}

Result<std::vector<Receipts>> NoticeStore::unsentReceipts() {
  std::lock_guard lock(mutex_);
  SqlQuery q(db_, "SELECT notice, household, delivered_at, seen_at FROM receipt WHERE unsent = 1 ORDER BY notice, household");
  std::vector<Receipts> out;
  for (;;) {
    auto row = q.next();
    if (!row) return row.status();
    if (!*row) return out;
    const std::string id = q.text(0);
    if (out.empty() || out.back().id != id || out.back().households.size() >= kMaxReceiptRows) out.push_back({id, {}});
    out.back().households.push_back({q.text(1), q.integer(2), q.integer(3)});
  }
}

Status NoticeStore::markReceiptsSent(const Receipts& r) {
  return transaction<bool>([&]() -> Result<bool> {
           for (const HouseholdReceipt& h : r.households) {
             // A change since it was read stays unsent.
             VIGIL_RETURN_IF_ERROR(SqlQuery(db_,
                                            "UPDATE receipt SET unsent = 0 WHERE notice = ? AND household = ? "
                                            "AND delivered_at = ? AND seen_at = ?")
                                       .bind(r.id)
                                       .bind(h.node)
                                       .bind(h.deliveredAt)
                                       .bind(h.seenAt)
                                       .run());
           }
           return true;
         })
      .status();
}

}  // namespace vigil::alarm

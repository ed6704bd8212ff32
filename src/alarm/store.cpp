#include "alarm/store.h"

#include "link/sql.h"

namespace vigil::alarm {

namespace {

using link::SqlQuery;

constexpr const char* kSchema = R"sql(
-- arrival: the order alarms came to this node; record: alarm.h's JSON.
CREATE TABLE IF NOT EXISTS alarm (
  arrival INTEGER PRIMARY KEY,
  id TEXT UNIQUE NOT NULL,
  state TEXT NOT NULL,
  from_child TEXT NOT NULL,
  up INTEGER NOT NULL,
  received_at INTEGER NOT NULL,
  change INTEGER NOT NULL,
  raise_seq INTEGER NOT NULL,
  unsent INTEGER NOT NULL,
  closed_at INTEGER NOT NULL,  -- Unix ms, 0: not closed
  record TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS alarm_unsent ON alarm (change) WHERE unsent = 1;
CREATE INDEX IF NOT EXISTS alarm_raised_here ON alarm (arrival) WHERE from_child = '';
CREATE INDEX IF NOT EXISTS alarm_by_change ON alarm (change);
CREATE INDEX IF NOT EXISTS alarm_by_state ON alarm (state, arrival);
CREATE INDEX IF NOT EXISTS alarm_unsent ON alarm (change) WHERE unsent = 1;
-- One line per change seen here; its number is the change's.
CREATE TABLE IF NOT EXISTS history (
  change INTEGER PRIMARY KEY AUTOINCREMENT,
  alarm TEXT NOT NULL,
  at INTEGER NOT NULL,
  what TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS history_by_alarm ON history (alarm, change);
)sql";

// What rows() reads, followed by each query's WHERE and ORDER.
std::string selectAlarms(std::string_view rest) {
  return "SELECT record, from_child, up, received_at, change, raise_seq, unsent FROM alarm " + std::string(rest);
}

Result<std::vector<StoredAlarm>> rows(SqlQuery& q) {
  return link::readRows<StoredAlarm>(q, [&]() -> Result<StoredAlarm> {
    const std::string record = q.text(0);
    auto a = decodeAlarm(std::span(reinterpret_cast<const uint8_t*>(record.data()), record.size()));
    if (!a) return Status::dataLoss("alarms.db: a record does not decode: " + a.status().message());
    return StoredAlarm{std::move(*a), q.text(1), q.integer(2) != 0, WallTime::fromUnixMicros(q.integer(3)),
                       q.integer(4), q.integer(5), q.integer(6) != 0};
  });
}

}  // namespace

Result<std::unique_ptr<AlarmStore>> AlarmStore::open(const std::string& path) {
  auto db = link::openDatabase(path, kSchema);
  if (!db) return db.status();
  return std::unique_ptr<AlarmStore>(new AlarmStore(*db));
}

AlarmStore::~AlarmStore() { sqlite3_close(db_); }

Status AlarmStore::write(StoredAlarm& a, bool insert, WallTime at, const std::vector<std::string>& history) {
  for (const std::string& line : history) {
    VIGIL_RETURN_IF_ERROR(SqlQuery(db_, "INSERT INTO history (alarm, at, what) VALUES (?, ?, ?)")
                              .bind(a.alarm.id)
                              .bind(at.unixMicros())
                              .bind(line)
                              .run());
  }
  a.change = sqlite3_last_insert_rowid(db_);
  a.unsent = true;
  const std::vector<uint8_t> record = encode(a.alarm);
  const char* sql = insert ? "INSERT INTO alarm (state, from_child, up, received_at, change, raise_seq, unsent, "
                             "closed_at, record, id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                           : "UPDATE alarm SET state = ?, from_child = ?, up = ?, received_at = ?, change = ?, "
                             "raise_seq = ?, unsent = ?, closed_at = ?, record = ? WHERE id = ?";
  return SqlQuery(db_, sql)
      .bind(stateName(a.alarm.state()))
      .bind(a.fromChild)
      .bind(int64_t{a.up})
      .bind(a.receivedAt.unixMicros())
      .bind(a.change)
      .bind(a.raiseSeq)
      .bind(int64_t{1})
      .bind(a.alarm.closedAt)
      .bind(std::string_view(reinterpret_cast<const char*>(record.data()), record.size()))
      .bind(a.alarm.id)
      .run();
}

Status AlarmStore::add(const StoredAlarm& a, WallTime at, const std::vector<std::string>& history) {
  std::lock_guard lock(mutex_);
  auto existing = read(a.alarm.id);
  if (!existing) return existing.status();
  if (*existing) return Status::alreadyExists("alarm " + a.alarm.id + " is here already");
  VIGIL_RETURN_IF_ERROR(SqlQuery(db_, "BEGIN IMMEDIATE").run());
  StoredAlarm copy = a;
  Status s = write(copy, true, at, history.empty() ? std::vector<std::string>{"stored"} : history);
  if (s.isOk()) s = SqlQuery(db_, "COMMIT").run();
  if (!s.isOk()) (void)SqlQuery(db_, "ROLLBACK").run();
  return s;
}

Result<std::optional<StoredAlarm>> AlarmStore::read(const std::string& id) {
  SqlQuery q(db_, selectAlarms("WHERE id = ?").c_str());
  q.bind(id);
  auto found = rows(q);
  if (!found) return found.status();
  if (found->empty()) return std::optional<StoredAlarm>();
  return std::optional<StoredAlarm>(std::move(found->front()));
}

Result<std::optional<StoredAlarm>> AlarmStore::get(const std::string& id) {
  std::lock_guard lock(mutex_);
  return read(id);
}

Result<StoredAlarm> AlarmStore::update(const std::string& id, WallTime at, const Change& change) {
  std::lock_guard lock(mutex_);
  VIGIL_RETURN_IF_ERROR(SqlQuery(db_, "BEGIN IMMEDIATE").run());
  auto body = [&]() -> Result<StoredAlarm> {
    auto found = read(id);
    if (!found) return found.status();
    if (!*found) return Status::notFound("no such alarm");
    StoredAlarm a = std::move(**found);
    std::vector<std::string> history;
    auto changed = change(a, history);
    if (!changed) return changed.status();
    if (!*changed) return a;
    if (history.empty()) history.push_back("updated");
    VIGIL_RETURN_IF_ERROR(write(a, false, at, history));
    return a;
  };
  auto result = body();
  Status s = result.status();
  if (s.isOk()) s = SqlQuery(db_, "COMMIT").run();
  if (!s.isOk()) {
    (void)SqlQuery(db_, "ROLLBACK").run();
    return s;
  }
  return result;
}

Status AlarmStore::markSent(const std::string& id, int64_t change, int64_t raiseSeq) {
  std::lock_guard lock(mutex_);
  return SqlQuery(db_, "UPDATE alarm SET unsent = 0, raise_seq = MAX(raise_seq, ?) WHERE id = ? AND change = ?")
      .bind(raiseSeq)
      .bind(id)
      .bind(change)
      .run();
}

Result<std::vector<StoredAlarm>> AlarmStore::list(std::optional<State> state, size_t limit) {
  std::lock_guard lock(mutex_);
  if (state) {
    SqlQuery q(db_, selectAlarms("WHERE state = ? ORDER BY arrival DESC LIMIT ?").c_str());
    q.bind(stateName(*state)).bind(static_cast<int64_t>(limit));
    return rows(q);
  }
  SqlQuery q(db_, selectAlarms("ORDER BY arrival DESC LIMIT ?").c_str());
  q.bind(static_cast<int64_t>(limit));
  return rows(q);
}

Result<std::vector<StoredAlarm>> AlarmStore::changedSince(int64_t change, size_t limit) {
  std::lock_guard lock(mutex_);
  SqlQuery q(db_, selectAlarms("WHERE change > ? ORDER BY change LIMIT ?").c_str());
  q.bind(change).bind(static_cast<int64_t>(limit));
  return rows(q);
}

Result<std::vector<StoredAlarm>> AlarmStore::unsent() {
  std::lock_guard lock(mutex_);
  SqlQuery q(db_, selectAlarms("WHERE unsent = 1 ORDER BY change").c_str());
  return rows(q);
}

Result<std::vector<StoredAlarm>> AlarmStore::unescalated(WallTime before) {
  std::lock_guard lock(mutex_);
  SqlQuery q(db_, selectAlarms("WHERE state = 'open' AND from_child != '' AND up = 0 AND received_at <= ? "
                               "ORDER BY arrival")
                      .c_str());
  q.bind(before.unixMicros());
  return rows(q);
}

Result<std::optional<std::string>> AlarmStore::openRaisedHere(WallTime closedSince) {
  std::lock_guard lock(mutex_);
  SqlQuery q(db_,
             "SELECT id FROM alarm WHERE from_child = '' AND (state != 'closed' OR closed_at >= ?) "
             "ORDER BY arrival DESC LIMIT 1");
  q.bind(closedSince.unixMicros() / 1000);
  auto row = q.next();
  if (!row) return row.status();
  return *row ? std::optional<std::string>(q.text(0)) : std::nullopt;
}

Result<int64_t> AlarmStore::notClosedFrom(const std::string& child) {
  std::lock_guard lock(mutex_);
  SqlQuery q(db_, "SELECT COUNT(*) FROM alarm WHERE from_child = ? AND state != 'closed'");
  q.bind(child);
  auto row = q.next();
  if (!row) return row.status();
  return *row ? q.integer(0) : 0;
}

Result<std::vector<HistoryLine>> AlarmStore::history(const std::string& id) {
  std::lock_guard lock(mutex_);
  SqlQuery q(db_, "SELECT change, at, what FROM history WHERE alarm = ? ORDER BY change");
  q.bind(id);
  return link::readRows<HistoryLine>(
      q, [&]() -> Result<HistoryLine> { return HistoryLine{q.integer(0), WallTime::fromUnixMicros(q.integer(1)), q.text(2)}; });
}

Result<int64_t> AlarmStore::lastChange() {
  std::lock_guard lock(mutex_);
  SqlQuery q(db_, "SELECT COALESCE(MAX(change), 0) FROM history");
  auto row = q.next();
  if (!row) return row.status();
  return q.integer(0);
}

}  // namespace vigil::alarm

#include "uptime/alert_store.h"

#include "link/sql.h"

namespace vigil::uptime {

namespace {

using link::SqlQuery;

// Times in Unix µs.
constexpr const char* kSchema = R"(
CREATE TABLE IF NOT EXISTS told (
  kind TEXT NOT NULL,
  subject TEXT NOT NULL,
  since INTEGER NOT NULL,
  detail TEXT NOT NULL,
  last_told INTEGER NOT NULL,
  reminders INTEGER NOT NULL,
  PRIMARY KEY (kind, subject));
)";

}  // namespace

Result<std::unique_ptr<AlertStore>> AlertStore::open(const std::string& path) {
  auto db = link::openDatabase(path, kSchema);
  if (!db) return db.status();
  return std::unique_ptr<AlertStore>(new AlertStore(*db));
}

AlertStore::~AlertStore() {
  MutexLock lock(mutex_);
  sqlite3_close(db_);
}

Result<std::vector<ToldAlert>> AlertStore::load() {
  MutexLock lock(mutex_);
  SqlQuery q(db_, "SELECT kind, subject, since, detail, last_told, reminders FROM told ORDER BY since");
  return link::readRows<ToldAlert>(q, [&]() -> Result<ToldAlert> {
    return ToldAlert{.condition = {q.text(0), q.text(1), WallTime::fromUnixMicros(q.integer(2)), q.text(3)},
                     .lastTold = WallTime::fromUnixMicros(q.integer(4)),
                     .reminders = static_cast<int>(q.integer(5))};
  });
}

Status AlertStore::save(const std::vector<ToldAlert>& told) {
  MutexLock lock(mutex_);
  VIGIL_RETURN_IF_ERROR(SqlQuery(db_, "BEGIN IMMEDIATE").run());
  Status s = SqlQuery(db_, "DELETE FROM told").run();
  for (const ToldAlert& t : told) {
    if (!s.isOk()) break;
    s = SqlQuery(db_, "INSERT INTO told (kind, subject, since, detail, last_told, reminders) VALUES (?, ?, ?, ?, ?, ?)")
            .bind(t.condition.kind)
            .bind(t.condition.subject)
            .bind(t.condition.since.unixMicros())
            .bind(t.condition.detail)
            .bind(t.lastTold.unixMicros())
            .bind(int64_t{t.reminders})
            .run();
  }
  if (s.isOk()) s = SqlQuery(db_, "COMMIT").run();
  if (!s.isOk()) (void)SqlQuery(db_, "ROLLBACK").run();
  return s;
}

}  // namespace vigil::uptime

#include "uptime/store.h"

#include <fmt/format.h>

#include <algorithm>

#include "base/log.h"
#include "link/sql.h"

namespace vigil::uptime {

namespace {

using link::SqlQuery;

// Times in Unix µs. `end` NULL: still open. One `node_run` row: when the
// node last started and the last moment it is known to have been alive.
constexpr const char* kSchema = R"(
CREATE TABLE IF NOT EXISTS node_run (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  started_at INTEGER NOT NULL,
  alive_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS configured (
  id INTEGER PRIMARY KEY,
  camera TEXT NOT NULL,
  start INTEGER NOT NULL,
  end INTEGER);
CREATE INDEX IF NOT EXISTS configured_by_camera ON configured (camera, start);
CREATE TABLE IF NOT EXISTS outage (
  id INTEGER PRIMARY KEY,
  camera TEXT NOT NULL,
  start INTEGER NOT NULL,
  end INTEGER,
  reason TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS outage_by_camera ON outage (camera, start);
)";

}  // namespace

Status UptimeStore::inTransaction(const std::function<Status()>& body) {
  VIGIL_RETURN_IF_ERROR(SqlQuery(db_, "BEGIN IMMEDIATE").run());
  Status s = body();
  if (s.isOk()) s = SqlQuery(db_, "COMMIT").run();
  if (!s.isOk()) (void)SqlQuery(db_, "ROLLBACK").run();
  return s;
}

Result<std::unique_ptr<UptimeStore>> UptimeStore::open(const std::string& path, const Clock& clock) {
  auto db = link::openDatabase(path, kSchema);
  if (!db) return db.status();
  return std::unique_ptr<UptimeStore>(new UptimeStore(*db, clock));
}

UptimeStore::UptimeStore(sqlite3* db, const Clock& clock) : clock_(clock), db_(db) {}

UptimeStore::~UptimeStore() {
  MutexLock lock(mutex_);
  sqlite3_close(db_);
}

Status UptimeStore::start(const std::vector<std::string>& cameras) {
  MutexLock lock(mutex_);
  const int64_t now = clock_.now().unixMicros();
  open_.clear();
  pending_.clear();
  return inTransaction([&]() REQUIRES(mutex_) -> Status {
    SqlQuery run(db_, "SELECT alive_at FROM node_run WHERE id = 1");
    auto row = run.next();
    if (!row) return row.status();
    // The last sign of the previous run; never after now (a clock set back).
    const std::optional<int64_t> alive = *row ? std::optional(std::min(run.integer(0), now)) : std::nullopt;
    lastAt_ = alive.value_or(now);
    if (alive) {
      VIGIL_RETURN_IF_ERROR(
          SqlQuery(db_, "UPDATE outage SET end = MAX(start, ?) WHERE end IS NULL").bind(*alive).run());
    }
    std::vector<std::string> before;
    SqlQuery q(db_, "SELECT camera FROM configured WHERE end IS NULL");
    for (;;) {
      row = q.next();
      if (!row) return row.status();
      if (!*row) break;
      before.push_back(q.text(0));
    }
    for (const std::string& camera : before) {
      if (std::find(cameras.begin(), cameras.end(), camera) != cameras.end()) continue;
      VIGIL_RETURN_IF_ERROR(SqlQuery(db_, "UPDATE configured SET end = MAX(start, ?) WHERE camera = ? AND end IS NULL")
                                .bind(alive.value_or(now))
                                .bind(camera)
                                .run());
    }
    for (const std::string& camera : cameras) {
      if (std::find(before.begin(), before.end(), camera) != before.end()) {
        open_[camera] = std::string(kNodeDown);
        VIGIL_RETURN_IF_ERROR(beginOutage(camera, std::string(kNodeDown), alive.value_or(now)));
      } else {
        // Not online before its first frame.
        open_[camera] = std::string(kConnecting);
        VIGIL_RETURN_IF_ERROR(
            SqlQuery(db_, "INSERT INTO configured (camera, start) VALUES (?, ?)").bind(camera).bind(now).run());
        VIGIL_RETURN_IF_ERROR(beginOutage(camera, std::string(kConnecting), now));
      }
    }
    for (const auto& [camera, reason] : open_) ++opened_[{camera, *reason}];
    written_ = open_;
    return SqlQuery(db_,
                    "INSERT INTO node_run (id, started_at, alive_at) VALUES (1, ?, ?) "
                    "ON CONFLICT (id) DO UPDATE SET started_at = excluded.started_at, alive_at = excluded.alive_at")
        .bind(now)
        .bind(now)
        .run();
  });
}

Status UptimeStore::beginOutage(const std::string& camera, const std::string& reason, int64_t at) {
  lastAt_ = std::max(lastAt_, at);
  return SqlQuery(db_, "INSERT INTO outage (camera, start, reason) VALUES (?, ?, ?)")
      .bind(camera)
      .bind(lastAt_)
      .bind(reason)
      .run();
}

Status UptimeStore::beat() {
  MutexLock lock(mutex_);
  return SqlQuery(db_, "UPDATE node_run SET alive_at = MAX(alive_at, ?) WHERE id = 1")
      .bind(clock_.now().unixMicros())
      .run();
}

Status UptimeStore::set(const std::string& camera, const std::optional<std::string>& reason) {
  MutexLock lock(mutex_);
  auto seen = open_.find(camera);
  if (seen == open_.end()) return Status::notFound("camera \"" + camera + "\" was not configured at the start");
  std::optional<std::string>& kept = written_[camera];
  if (seen->second != reason) {
    // The first change not written yet keeps its time: with its disk full,
    // the outage begins when it began, not when the disk has room again.
    const int64_t now = std::max(clock_.now().unixMicros(), lastAt_);
    Pending& p = pending_.try_emplace(camera, Pending{.at = now}).first->second;
    if (reason == kept) {
      p.backAt = now;
    } else {
      p.away = reason;
    }
    seen->second = reason;
    if (reason) ++opened_[{camera, *reason}];
  }
  auto pending = pending_.find(camera);
  if (pending == pending_.end()) return Status::ok();
  VIGIL_RETURN_IF_ERROR(
      inTransaction([&]() REQUIRES(mutex_) { return writePending(camera, pending->second, kept, reason); }));
  kept = reason;
  pending_.erase(pending);
  return Status::ok();
}

Status UptimeStore::writePending(const std::string& camera, const Pending& pending,
                                 const std::optional<std::string>& kept, const std::optional<std::string>& reason) {
  if (kept) {
    VIGIL_RETURN_IF_ERROR(
        SqlQuery(db_, "UPDATE outage SET end = ? WHERE camera = ? AND end IS NULL").bind(pending.at).bind(camera).run());
  }
  if (reason != kept) return reason ? beginOutage(camera, *reason, pending.at) : Status::ok();
  // Back where it was: the stretch away, then what is kept again.
  if (pending.away) {
    VIGIL_RETURN_IF_ERROR(beginOutage(camera, *pending.away, pending.at));
    VIGIL_RETURN_IF_ERROR(SqlQuery(db_, "UPDATE outage SET end = ? WHERE camera = ? AND end IS NULL")
                              .bind(pending.backAt)
                              .bind(camera)
                              .run());
  }
  return kept ? beginOutage(camera, *kept, pending.backAt) : Status::ok();
}

std::optional<std::string> UptimeStore::openOutage(const std::string& camera) const {
  MutexLock lock(mutex_);
  auto it = open_.find(camera);
  return it == open_.end() ? std::nullopt : it->second;
}

std::map<std::string, std::optional<std::string>> UptimeStore::openOutages() const {
  MutexLock lock(mutex_);
  return open_;
}

std::map<std::pair<std::string, std::string>, uint64_t> UptimeStore::outagesOpened() const {
  MutexLock lock(mutex_);
  return opened_;
}

Result<CameraHealth> UptimeStore::health(const std::string& camera, WallTime from, WallTime to) {
  MutexLock lock(mutex_);
  const WallTime now = clock_.now();
  const int64_t lo = from.unixMicros();
  const int64_t hi = rangeEnd(from, to, now);
  // Each open one (end NULL) lasts until now.
  SqlQuery periods(db_,
                   "SELECT start, end FROM configured WHERE camera = ? AND start < ? AND (end IS NULL OR end > ?) "
                   "ORDER BY start");
  periods.bind(camera).bind(hi).bind(lo);
  auto counted = link::readRows<Interval>(periods, [&]() -> Result<Interval> {
    return Interval{periods.integer(0), periods.time(1).value_or(now).unixMicros()};
  });
  if (!counted) return counted.status();
  // The outages within [?2, ?3), each clipped to it (an open one lasts
  // until now, ?4), are summed up and the latest listed by SQLite: a long
  // range reads kMaxListedOutages rows, not all. A camera's outages never
  // overlap, so of those begun before the range only the last can reach
  // into it: the index is read from there.
  constexpr const char* kWithin =
      " FROM outage WHERE camera = ?1 AND start < ?3 AND start >= "
      "COALESCE((SELECT MAX(start) FROM outage WHERE camera = ?1 AND start < ?2), ?2) "
      "AND MIN(COALESCE(end, ?4), ?3) > MAX(start, ?2)";
  ClippedOutages outages;
  SqlQuery totals(db_, fmt::format("SELECT count(*), COALESCE(SUM(MIN(COALESCE(end, ?4), ?3) - MAX(start, ?2)), 0){}",
                                   kWithin)
                           .c_str());
  totals.bind(camera).bind(lo).bind(hi).bind(now.unixMicros());
  auto row = totals.next();
  if (!row) return row.status();
  outages.count = totals.integer(0);
  outages.micros = totals.integer(1);
  // Still open and not cut by the range's end: ongoing.
  SqlQuery latest(db_, fmt::format("SELECT MAX(start, ?2), MIN(COALESCE(end, ?4), ?3), reason, end IS NULL AND ?3 = ?4{} "
                                   "ORDER BY start DESC, id DESC LIMIT ?5",
                                   kWithin)
                           .c_str());
  latest.bind(camera).bind(lo).bind(hi).bind(now.unixMicros()).bind(static_cast<int64_t>(kMaxListedOutages));
  auto listed = link::readRows<Outage>(latest, [&]() -> Result<Outage> {
    return Outage{WallTime::fromUnixMicros(latest.integer(0)), WallTime::fromUnixMicros(latest.integer(1)),
                  latest.text(2), latest.integer(3) != 0};
  });
  if (!listed) return listed.status();
  outages.latest.assign(listed->rbegin(), listed->rend());
  return cameraHealth(*counted, std::move(outages), from, to, now);
}

}  // namespace vigil::uptime

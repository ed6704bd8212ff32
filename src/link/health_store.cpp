#include "link/health_store.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <map>

#include "base/log.h"
#include "link/sql.h"

namespace vigil::link {

namespace {

// online: 1 online, 0 offline, -1 not reported.
constexpr const char* kSchema = R"(
CREATE TABLE IF NOT EXISTS transition (
  id INTEGER PRIMARY KEY,
  child TEXT NOT NULL,
  camera TEXT NOT NULL,
  at INTEGER NOT NULL,
  online INTEGER NOT NULL,
  state TEXT NOT NULL,
  received_at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS transition_by_camera ON transition (child, camera, at);
CREATE INDEX IF NOT EXISTS transition_by_child ON transition (child, id);
CREATE TABLE IF NOT EXISTS summary (
  child TEXT PRIMARY KEY,
  at INTEGER NOT NULL,
  cameras_total INTEGER NOT NULL,
  cameras_online INTEGER NOT NULL,
  received_at INTEGER NOT NULL,
  body TEXT);  -- the summary as received (health_messages.h); NULL from before the overview
CREATE TABLE IF NOT EXISTS setting (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
)";

// Pruning runs after this many transitions kept, or this long.
constexpr int64_t kPruneEvery = 1000;
constexpr auto kPrunePeriod = std::chrono::hours(1);

int64_t toColumn(std::optional<bool> online) { return online ? (*online ? 1 : 0) : -1; }
std::optional<bool> fromColumn(int64_t v) { return v < 0 ? std::nullopt : std::optional<bool>(v == 1); }

HealthTransition transitionAt(const SqlQuery& q, int col) {
  return {WallTime::fromUnixMicros(q.integer(col)), fromColumn(q.integer(col + 1)), q.text(col + 2)};
}

struct Latest {
  int64_t online;
  int64_t at;
};

}  // namespace

OnlineTime onlineTime(std::span<const HealthTransition> history, WallTime from, WallTime to) {
  OnlineTime out;
  for (size_t i = 0; i < history.size(); ++i) {
    const int64_t start = std::max(history[i].at.unixMicros(), from.unixMicros());
    const int64_t end = std::min(i + 1 < history.size() ? history[i + 1].at.unixMicros() : to.unixMicros(),
                                 to.unixMicros());
    if (end <= start || !history[i].online) continue;
    const double seconds = static_cast<double>(end - start) / 1e6;
    out.knownSeconds += seconds;
    if (*history[i].online) out.onlineSeconds += seconds;
  }
  if (out.knownSeconds > 0) out.rate = out.onlineSeconds / out.knownSeconds;
  return out;
}

Result<std::unique_ptr<HealthStore>> HealthStore::open(const std::string& path, const Clock& clock,
                                                       HealthStoreOptions options) {
  auto db = openDatabase(path, kSchema);
  if (!db) return db.status();
  std::unique_ptr<HealthStore> store(new HealthStore(*db, clock, options));
  // A health.db from before the overview keeps the counts only: its body is made from them.
  if (sqlite3_exec(*db, "ALTER TABLE summary ADD COLUMN body TEXT", nullptr, nullptr, nullptr) == SQLITE_OK) {
    log::info("link.health_migrated", {{"path", path}});
  }
  SqlQuery q(*db, "SELECT child, at, cameras_total, cameras_online, body FROM summary");
  for (;;) {
    auto row = q.next();
    if (!row) return row.status();
    if (!*row) break;
    const std::string body = q.text(4);
    auto m = decodeHealthSummary({reinterpret_cast<const uint8_t*>(body.data()), body.size()});
    store->summaries_.insert_or_assign(
        q.text(0), m ? *m
                     : HealthSummary{.at = WallTime::fromUnixMicros(q.integer(1)),
                                     .camerasTotal = q.integer(2),
                                     .camerasOnline = q.integer(3)});
  }
  // Each child's rates are computed at the first read, not here: a county
  // with many children starts at once.
  SqlQuery c(*db, "SELECT DISTINCT child FROM transition");
  std::lock_guard lock(store->mutex_);
  for (;;) {
    auto row = c.next();
    if (!row) return row.status();
    if (!*row) break;
    store->rated_[c.text(0)].stale = true;
  }
  return store;
}

HealthStore::HealthStore(sqlite3* db, const Clock& clock, HealthStoreOptions options)
    : clock_(clock), options_(options), db_(db) {}

HealthStore::~HealthStore() { sqlite3_close(db_); }

Status HealthStore::addChanges(const std::string& childId, const HealthChanges& m) {
  std::lock_guard lock(mutex_);
  VIGIL_RETURN_IF_ERROR(SqlQuery(db_, "BEGIN IMMEDIATE").run());
  int64_t kept = 0;
  auto body = [&]() -> Status {
    std::map<std::string, Latest> latest;
    SqlQuery q(db_,
               "SELECT camera, online, at FROM transition WHERE id IN "
               "(SELECT MAX(id) FROM transition WHERE child = ? GROUP BY camera)");
    q.bind(childId);
    for (;;) {
      auto row = q.next();
      if (!row) return row.status();
      if (!*row) break;
      latest.emplace(q.text(0), Latest{q.integer(1), q.integer(2)});
    }
    const int64_t latestAllowed =
        clock_.now().unixMicros() + std::chrono::duration_cast<std::chrono::microseconds>(options_.maxClockAhead).count();
    auto keep = [&](const std::string& camera, int64_t online, const std::string& state) -> Status {
      auto it = latest.find(camera);
      if (it != latest.end() && it->second.online == online) return Status::ok();  // no transition
      if (it == latest.end() && latest.size() >= options_.maxCamerasPerChild) {
        log::warn("link.health_too_many_cameras", {{"child", childId}, {"camera", camera}});
        return Status::ok();
      }
      // The child's clock may step back: its order is the order of its messages.
      const int64_t at = std::max(std::min(m.at.unixMicros(), latestAllowed),
                                  it != latest.end() ? it->second.at : INT64_MIN);
      VIGIL_RETURN_IF_ERROR(SqlQuery(db_,
                                     "INSERT INTO transition (child, camera, at, online, state, received_at) "
                                     "VALUES (?, ?, ?, ?, ?, ?)")
                                .bind(childId)
                                .bind(camera)
                                .bind(at)
                                .bind(online)
                                .bind(state)
                                .bind(clock_.now().unixMicros())
                                .run());
      latest.insert_or_assign(camera, Latest{online, at});
      ++kept;
      return Status::ok();
    };
    for (const CameraHealthChange& c : m.changes) VIGIL_RETURN_IF_ERROR(keep(c.camera, toColumn(c.online), c.state));
    if (m.full) {
      // Every camera reported before and not listed now is no longer reported.
      std::vector<std::string> gone;
      for (const auto& [camera, l] : latest) {
        const std::string& name = camera;  // a lambda cannot capture a binding before C++20's P1091 (clang 16)
        const bool listed = std::any_of(m.changes.begin(), m.changes.end(),
                                        [&name](const CameraHealthChange& c) { return c.camera == name; });
        if (!listed && l.online >= 0) gone.push_back(camera);
      }
      for (const std::string& camera : gone) VIGIL_RETURN_IF_ERROR(keep(camera, -1, std::string(kUnsharedState)));
    }
    return SqlQuery(db_, "COMMIT").run();
  };
  Status s = body();
  if (!s.isOk()) {
    (void)SqlQuery(db_, "ROLLBACK").run();
    return s;
  }
  keptSincePrune_ += kept;
  // Its rates are computed again at the next read, however many messages
  // came meanwhile: a child cannot make this node scan its month of
  // transitions per message.
  if (kept > 0) rated_[childId].stale = true;
  return prune(childId);
}

Status HealthStore::prune(const std::string& childId) {
  const auto now = clock_.steadyNow();
  if (pruned_ && keptSincePrune_ < kPruneEvery && now - *pruned_ < kPrunePeriod) return Status::ok();
  pruned_ = now;
  keptSincePrune_ = 0;
  // Each camera keeps its last transition before the cutoff: its state then.
  const int64_t cutoff =
      clock_.now().unixMicros() - std::chrono::duration_cast<std::chrono::microseconds>(options_.keep).count();
  VIGIL_RETURN_IF_ERROR(SqlQuery(db_,
                                 "DELETE FROM transition WHERE at < ? AND id NOT IN "
                                 "(SELECT MAX(id) FROM transition WHERE at < ? GROUP BY child, camera)")
                            .bind(cutoff)
                            .bind(cutoff)
                            .run());
  const int changed = sqlite3_changes(db_);
  VIGIL_RETURN_IF_ERROR(SqlQuery(db_,
                                 "DELETE FROM transition WHERE child = ? AND id <= "
                                 "(SELECT id FROM transition WHERE child = ? ORDER BY id DESC LIMIT 1 OFFSET ?)")
                            .bind(childId)
                            .bind(childId)
                            .bind(options_.maxTransitionsPerChild)
                            .run());
  if (sqlite3_changes(db_) > 0) {
    log::warn("link.health_capped", {{"child", childId}, {"kept", options_.maxTransitionsPerChild}});
  }
  if (changed > 0) log::info("link.health_pruned", {{"transitions", changed}});
  return Status::ok();
}

Status HealthStore::addSummary(const std::string& childId, const HealthSummary& m) {
  std::lock_guard lock(mutex_);
  // Its cameras' rates move with time: computed again with a summary a
  // minute (at most), off the overview's requests.
  if (auto rated = rated_.find(childId); rated != rated_.end() && rated->second.to + kRatesAge <= clock_.now()) {
    VIGIL_RETURN_IF_ERROR(rate(childId, clock_.now()));
  }
  auto kept = summaries_.find(childId);
  // A summary older than the one kept (given again) changes nothing.
  if (kept != summaries_.end() && m.at < kept->second.at) return Status::ok();
  if (m.withheld) {
    // The owner no longer shares its totals: nothing of them stays here.
    VIGIL_RETURN_IF_ERROR(SqlQuery(db_, "DELETE FROM summary WHERE child = ?").bind(childId).run());
    summaries_.erase(childId);
    return Status::ok();
  }
  const std::vector<uint8_t> body = encode(m);
  VIGIL_RETURN_IF_ERROR(
      SqlQuery(db_,
               "INSERT INTO summary (child, at, cameras_total, cameras_online, received_at, body) "
               "VALUES (?, ?, ?, ?, ?, ?) "
               "ON CONFLICT (child) DO UPDATE SET at = excluded.at, cameras_total = excluded.cameras_total, "
               "cameras_online = excluded.cameras_online, received_at = excluded.received_at, body = excluded.body")
          .bind(childId)
          .bind(m.at.unixMicros())
          .bind(m.camerasTotal)
          .bind(m.camerasOnline)
          .bind(clock_.now().unixMicros())
          .bind(std::string_view(reinterpret_cast<const char*>(body.data()), body.size()))
          .run());
  summaries_.insert_or_assign(childId, m);
  return Status::ok();
}

std::map<std::string, HealthSummary> HealthStore::summaries() {
  std::lock_guard lock(mutex_);
  return summaries_;
}

Result<std::vector<ReportedCamera>> HealthStore::reportedCameras(WallTime to) {
  to = WallTime::fromUnixMicros(std::min(to.unixMicros(), clock_.now().unixMicros()));
  std::lock_guard lock(mutex_);
  std::vector<ReportedCamera> out;
  for (auto& [child, rated] : rated_) {
    if (rated.stale || rated.to + 2 * kRatesAge < to) VIGIL_RETURN_IF_ERROR(rate(child, to));
    out.insert(out.end(), rated.cameras.begin(), rated.cameras.end());
  }
  return out;
}

Status HealthStore::rate(const std::string& childId, WallTime to) {
  const WallTime week = to + std::chrono::hours(-24 * 7);
  const WallTime month = to + std::chrono::hours(-24 * 30);
  std::map<std::string, std::vector<HealthTransition>> timelines;
  // Each camera's last transition before the month, then those within it (one at `to`: its state now).
  SqlQuery before(db_,
                  "SELECT camera, at, online, state FROM transition WHERE id IN "
                  "(SELECT MAX(id) FROM transition WHERE child = ? AND at < ? GROUP BY camera)");
  before.bind(childId).bind(month.unixMicros());
  SqlQuery within(db_,
                  "SELECT camera, at, online, state FROM transition WHERE child = ? AND at >= ? AND at <= ? "
                  "ORDER BY camera, at, id");
  within.bind(childId).bind(month.unixMicros()).bind(to.unixMicros());
  for (SqlQuery* q : {&before, &within}) {
    for (;;) {
      auto row = q->next();
      if (!row) return row.status();
      if (!*row) break;
      timelines[q->text(0)].push_back(transitionAt(*q, 1));
    }
  }
  ++rateComputations_;
  Rated rated{.to = to, .cameras = {}, .stale = false};
  for (auto& [camera, timeline] : timelines) {
    if (!timeline.back().online) continue;  // no longer reported
    rated.cameras.push_back(
        {childId, camera, timeline.back(), onlineTime(timeline, week, to), onlineTime(timeline, month, to)});
  }
  rated_.insert_or_assign(childId, std::move(rated));
  return Status::ok();
}

Result<std::vector<CameraHealthHistory>> HealthStore::history(const std::string& childId, WallTime from, WallTime to) {
  to = WallTime::fromUnixMicros(std::max(from.unixMicros(), std::min(to.unixMicros(), clock_.now().unixMicros())));
  std::lock_guard lock(mutex_);
  std::vector<CameraHealthHistory> out;
  {
    SqlQuery q(db_,
               "SELECT camera, at, online, state FROM transition WHERE id IN "
               "(SELECT MAX(id) FROM transition WHERE child = ? GROUP BY camera) ORDER BY camera");
    q.bind(childId);
    for (;;) {
      auto row = q.next();
      if (!row) return row.status();
      if (!*row) break;
      out.push_back({q.text(0), transitionAt(q, 1), {}, {}, 0});
    }
  }
  for (CameraHealthHistory& c : out) {
    auto kept = timelineLocked(childId, c.camera, from, to);
    if (!kept) return kept.status();
    const std::vector<HealthTransition>& timeline = *kept;
    const size_t first = !timeline.empty() && timeline.front().at < from ? 1 : 0;
    c.time = onlineTime(timeline, from, to);
    // The latest, when there are too many to list.
    const size_t listed = std::min(timeline.size() - first, kMaxListedTransitions);
    c.omitted = static_cast<int64_t>(timeline.size() - first - listed);
    c.transitions.assign(timeline.end() - static_cast<ptrdiff_t>(listed), timeline.end());
  }
  return out;
}

Result<std::vector<HealthTransition>> HealthStore::timeline(const std::string& childId, const std::string& camera,
                                                           WallTime from, WallTime to) {
  to = WallTime::fromUnixMicros(std::max(from.unixMicros(), std::min(to.unixMicros(), clock_.now().unixMicros())));
  std::lock_guard lock(mutex_);
  return timelineLocked(childId, camera, from, to);
}

Result<std::vector<HealthTransition>> HealthStore::timelineLocked(const std::string& childId, const std::string& camera,
                                                                 WallTime from, WallTime to) {
  std::vector<HealthTransition> timeline;
  SqlQuery before(db_,
                  "SELECT at, online, state FROM transition WHERE child = ? AND camera = ? AND at < ? "
                  "ORDER BY at DESC, id DESC LIMIT 1");
  before.bind(childId).bind(camera).bind(from.unixMicros());
  auto row = before.next();
  if (!row) return row.status();
  if (*row) timeline.push_back(transitionAt(before, 0));
  SqlQuery within(db_,
                  "SELECT at, online, state FROM transition WHERE child = ? AND camera = ? AND at >= ? AND at < ? "
                  "ORDER BY at, id");
  within.bind(childId).bind(camera).bind(from.unixMicros()).bind(to.unixMicros());
  for (;;) {
    row = within.next();
    if (!row) return row.status();
    if (!*row) break;
    timeline.push_back(transitionAt(within, 0));
  }
  return timeline;
}

Result<ChildHealth> HealthStore::child(const std::string& childId) {
  std::lock_guard lock(mutex_);
  ChildHealth out;
  if (auto kept = summaries_.find(childId); kept != summaries_.end()) out.summary = kept->second;
  Result<bool> row = false;
  SqlQuery q(db_,
             "SELECT online FROM transition WHERE id IN "
             "(SELECT MAX(id) FROM transition WHERE child = ? GROUP BY camera)");
  q.bind(childId);
  for (;;) {
    row = q.next();
    if (!row) return row.status();
    if (!*row) break;
    const auto online = fromColumn(q.integer(0));
    out.camerasReported += online ? 1 : 0;
    out.camerasReportedOnline += online.value_or(false) ? 1 : 0;
  }
  return out;
}

Result<bool> HealthStore::sharesTotals() {
  std::lock_guard lock(mutex_);
  SqlQuery q(db_, "SELECT value FROM setting WHERE key = 'shares_totals'");
  auto row = q.next();
  if (!row) return row.status();
  return !*row || q.integer(0) != 0;
}

Status HealthStore::setSharesTotals(bool shared) {
  std::lock_guard lock(mutex_);
  return SqlQuery(db_, "INSERT OR REPLACE INTO setting (key, value) VALUES ('shares_totals', ?)")
      .bind(int64_t{shared ? 1 : 0})
      .run();
}

void receiveChildHealth(Outbox& outbox, HealthStore& store) {
  // Only children report health upward: from a parent, taken and dropped like junk.
  outbox.receive(std::string(kHealthChangesMessage), [&store](const Peer& from, std::span<const uint8_t> body) {
    if (from.parent) return Status::ok();
    auto m = decodeHealthChanges(body);
    if (!m) {
      log::warn("link.health_refused", {{"child", from.childId}, {"error", m.status()}});
      return Status::ok();
    }
    return store.addChanges(from.childId, *m);
  });
  outbox.receive(std::string(kHealthSummaryMessage), [&store](const Peer& from, std::span<const uint8_t> body) {
    if (from.parent) return Status::ok();
    auto m = decodeHealthSummary(body);
    if (!m) {
      log::warn("link.health_refused", {{"child", from.childId}, {"error", m.status()}});
      return Status::ok();
    }
    return store.addSummary(from.childId, *m);
  });
}

}  // namespace vigil::link

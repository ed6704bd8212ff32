#include "detect/event_store.h"

#include <nlohmann/json.hpp>

#include "base/log.h"
#include "detect/settings.h"
#include "link/sql.h"

namespace vigil::detect {

namespace {

using link::SqlQuery;

// Times in Unix microseconds; end_us 0: still open. The box is the one in
// the snapshot (the top-scoring picture), in that picture's pixels.
constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS event (
  id TEXT PRIMARY KEY,
  camera TEXT NOT NULL,
  label TEXT NOT NULL,
  score_milli INTEGER NOT NULL,
  start_us INTEGER NOT NULL,
  end_us INTEGER NOT NULL,
  last_seen_us INTEGER NOT NULL,
  zones TEXT NOT NULL,
  box_x INTEGER NOT NULL,
  box_y INTEGER NOT NULL,
  box_w INTEGER NOT NULL,
  box_h INTEGER NOT NULL,
  picture_w INTEGER NOT NULL,
  picture_h INTEGER NOT NULL,
  snapshot BLOB
);
CREATE INDEX IF NOT EXISTS event_by_start ON event (start_us);
CREATE INDEX IF NOT EXISTS event_by_camera ON event (camera, start_us);
CREATE TABLE IF NOT EXISTS camera_settings (
  camera TEXT PRIMARY KEY,
  settings TEXT NOT NULL
);
)sql";

constexpr const char* kColumns =
    "SELECT id, camera, label, score_milli, start_us, end_us, last_seen_us, zones, box_x, box_y, box_w, box_h, "
    "picture_w, picture_h FROM event ";

Result<std::vector<DetectionEvent>> rows(SqlQuery& q) {
  return link::readRows<DetectionEvent>(q, [&]() -> Result<DetectionEvent> {
    DetectionEvent e;
    e.id = q.text(0);
    e.camera = q.text(1);
    e.label = q.text(2);
    e.topScore = e.score = static_cast<float>(q.integer(3)) / 1000;
    e.start = WallTime::fromUnixMicros(q.integer(4));
    if (q.integer(5) != 0) e.end = WallTime::fromUnixMicros(q.integer(5));
    e.lastSeen = WallTime::fromUnixMicros(q.integer(6));
    const auto zones = nlohmann::json::parse(q.text(7), nullptr, false);
    if (!zones.is_array()) return Status::dataLoss("events.db: the zones of " + e.id + " do not parse");
    for (const auto& z : zones) {
      if (z.is_string()) e.zones.push_back(z.get<std::string>());
    }
    e.topBox = e.box = Box{static_cast<int>(q.integer(8)), static_cast<int>(q.integer(9)),
                           static_cast<int>(q.integer(10)), static_cast<int>(q.integer(11))};
    e.pictureWidth = static_cast<int>(q.integer(12));
    e.pictureHeight = static_cast<int>(q.integer(13));
    return e;
  });
}

}  // namespace

Result<std::unique_ptr<EventStore>> EventStore::open(const std::string& path) {
  auto db = link::openDatabase(path, kSchema);
  if (!db) return db.status();
  return std::unique_ptr<EventStore>(new EventStore(*db));
}

EventStore::~EventStore() { sqlite3_close(db_); }

Status EventStore::write(const DetectionEvent& e, const std::optional<std::string>& snapshotJpeg) {
  MutexLock lock(mutex_);
  VIGIL_RETURN_IF_ERROR(SqlQuery(db_, "BEGIN IMMEDIATE").run());
  Status s = SqlQuery(db_,
                      "INSERT INTO event (id, camera, label, score_milli, start_us, end_us, last_seen_us, zones, box_x, "
                      "box_y, box_w, box_h, picture_w, picture_h) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                      "ON CONFLICT (id) DO UPDATE SET score_milli = excluded.score_milli, end_us = excluded.end_us, "
                      "last_seen_us = excluded.last_seen_us, zones = excluded.zones, box_x = excluded.box_x, "
                      "box_y = excluded.box_y, box_w = excluded.box_w, box_h = excluded.box_h, "
                      "picture_w = excluded.picture_w, picture_h = excluded.picture_h")
                 .bind(e.id)
                 .bind(e.camera)
                 .bind(e.label)
                 .bind(static_cast<int64_t>(std::lround(e.topScore * 1000)))
                 .bind(e.start.unixMicros())
                 .bind(e.end ? e.end->unixMicros() : 0)
                 .bind(e.lastSeen.unixMicros())
                 .bind(nlohmann::json(e.zones).dump())
                 .bind(int64_t{e.topBox.x})
                 .bind(int64_t{e.topBox.y})
                 .bind(int64_t{e.topBox.width})
                 .bind(int64_t{e.topBox.height})
                 .bind(int64_t{e.pictureWidth})
                 .bind(int64_t{e.pictureHeight})
                 .run();
  if (s.isOk() && snapshotJpeg) {
    s = SqlQuery(db_, "UPDATE event SET snapshot = ? WHERE id = ?")
            .bind(std::span(reinterpret_cast<const uint8_t*>(snapshotJpeg->data()), snapshotJpeg->size()))
            .bind(e.id)
            .run();
  }
  if (s.isOk()) s = SqlQuery(db_, "COMMIT").run();
  if (!s.isOk()) (void)SqlQuery(db_, "ROLLBACK").run();
  return s;
}

Result<std::vector<DetectionEvent>> EventStore::closeLeftOpen() {
  MutexLock lock(mutex_);
  VIGIL_RETURN_IF_ERROR(SqlQuery(db_, "BEGIN IMMEDIATE").run());
  SqlQuery q(db_, (std::string(kColumns) + "WHERE end_us = 0 ORDER BY start_us").c_str());
  auto open = rows(q);
  Status s = open.status();
  if (s.isOk()) s = SqlQuery(db_, "UPDATE event SET end_us = last_seen_us WHERE end_us = 0").run();
  if (s.isOk()) s = SqlQuery(db_, "COMMIT").run();
  if (!s.isOk()) {
    (void)SqlQuery(db_, "ROLLBACK").run();
    return s;
  }
  for (DetectionEvent& e : *open) e.end = e.lastSeen;
  return open;
}

Result<std::optional<DetectionEvent>> EventStore::get(const std::string& id) {
  MutexLock lock(mutex_);
  SqlQuery q(db_, (std::string(kColumns) + "WHERE id = ?").c_str());
  q.bind(id);
  auto found = rows(q);
  if (!found) return found.status();
  if (found->empty()) return std::optional<DetectionEvent>();
  return std::optional<DetectionEvent>(std::move(found->front()));
}

Result<std::string> EventStore::snapshot(const std::string& id) {
  MutexLock lock(mutex_);
  SqlQuery q(db_, "SELECT snapshot FROM event WHERE id = ? AND length(snapshot) > 0");
  q.bind(id);
  auto more = q.next();
  if (!more) return more.status();
  if (!*more) return Status::notFound("event " + id + " has no snapshot");
  const std::vector<uint8_t> jpeg = q.blob(0);
  return std::string(jpeg.begin(), jpeg.end());
}

Result<std::vector<std::string>> EventStore::cameras() {
  MutexLock lock(mutex_);
  SqlQuery q(db_, "SELECT DISTINCT camera FROM event");
  return link::readRows<std::string>(q, [&]() -> Result<std::string> { return q.text(0); });
}

Result<std::vector<DetectionEvent>> EventStore::list(const EventQuery& query) {
  if (query.cameras && query.cameras->empty()) return std::vector<DetectionEvent>();
  std::string sql = std::string(kColumns) + "WHERE 1 = 1";
  if (query.cameras) {
    sql += " AND camera IN (?";
    for (size_t i = 1; i < query.cameras->size(); ++i) sql += ", ?";
    sql += ")";
  }
  if (!query.label.empty()) sql += " AND label = ?";
  if (query.start) sql += " AND (end_us = 0 OR end_us >= ?)";
  if (query.end) sql += " AND start_us < ?";
  sql += " ORDER BY start_us DESC, id LIMIT ?";
  MutexLock lock(mutex_);
  SqlQuery q(db_, sql.c_str());
  if (query.cameras) {
    for (const std::string& camera : *query.cameras) q.bind(camera);
  }
  if (!query.label.empty()) q.bind(query.label);
  if (query.start) q.bind(query.start->unixMicros());
  if (query.end) q.bind(query.end->unixMicros());
  q.bind(static_cast<int64_t>(query.limit));
  return rows(q);
}

Result<int64_t> EventStore::prune(const std::string& camera, WallTime before) {
  MutexLock lock(mutex_);
  VIGIL_RETURN_IF_ERROR(SqlQuery(db_, "DELETE FROM event WHERE camera = ? AND start_us < ? AND end_us != 0")
                            .bind(camera)
                            .bind(before.unixMicros())
                            .run());
  return static_cast<int64_t>(sqlite3_changes(db_));
}

Status EventStore::setCameraSettings(const std::string& camera, const std::optional<CameraDetectConfig>& settings) {
  MutexLock lock(mutex_);
  if (!settings) return SqlQuery(db_, "DELETE FROM camera_settings WHERE camera = ?").bind(camera).run();
  return SqlQuery(db_,
                  "INSERT INTO camera_settings (camera, settings) VALUES (?, ?) "
                  "ON CONFLICT (camera) DO UPDATE SET settings = excluded.settings")
      .bind(camera)
      .bind(cameraDetectJson(*settings).dump())
      .run();
}

Result<std::map<std::string, CameraDetectConfig>> EventStore::cameraSettings() {
  MutexLock lock(mutex_);
  SqlQuery q(db_, "SELECT camera, settings FROM camera_settings");
  std::map<std::string, CameraDetectConfig> out;
  for (;;) {
    auto more = q.next();
    if (!more) return more.status();
    if (!*more) return out;
    std::string camera = q.text(0);
    auto settings = parseCameraDetectJson(q.text(1));
    if (!settings) {
      log::warn("detect.settings.unreadable", {{"camera", camera}, {"error", settings.status()}});
      continue;
    }
    out.emplace(std::move(camera), std::move(*settings));
  }
}

}  // namespace vigil::detect

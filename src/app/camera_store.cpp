#include "app/camera_store.h"

#include <fmt/format.h>

#include "link/sql.h"

namespace vigil::app {

namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS cameras (
  id TEXT PRIMARY KEY,
  settings TEXT NOT NULL,  -- the table's keys that hold no credential, JSON
  sealed BLOB NOT NULL,    -- the others, JSON sealed by SecretBox
  enabled INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
)sql";

}  // namespace

bool isSecretCameraKey(std::string_view key, const nlohmann::json& value) {
  if (key == "username" || key == "password" || key.ends_with("_username") || key.ends_with("_password")) return true;
  return value.is_string() && value.get_ref<const std::string&>().find("://") != std::string::npos;
}

Result<std::unique_ptr<CameraStore>> CameraStore::open(const std::string& path, access::SecretBox box) {
  auto db = link::openDatabase(path, kSchema);
  if (!db) return db.status();
  return std::unique_ptr<CameraStore>(new CameraStore(*db, std::move(box)));
}

CameraStore::~CameraStore() {
  MutexLock lock(mutex_);
  sqlite3_close(db_);
}

Result<StoredCamera> CameraStore::row(const std::string& id, const std::string& plain,
                                      const std::vector<uint8_t>& sealed, bool enabled) const {
  StoredCamera out{.id = id, .table = nlohmann::json::parse(plain, nullptr, false), .enabled = enabled};
  auto secrets = box_.open(sealed);
  if (!secrets) return Status::dataLoss(fmt::format("cameras.db: camera {}: {}", id, secrets.status().message()));
  nlohmann::json opened = nlohmann::json::parse(*secrets, nullptr, false);
  if (!out.table.is_object() || !opened.is_object()) {
    return Status::dataLoss(fmt::format("cameras.db: camera {}: its settings do not parse", id));
  }
  out.table.update(opened);
  return out;
}

Result<std::vector<StoredCamera>> CameraStore::list() const {
  MutexLock lock(mutex_);
  link::SqlQuery q(db_, "SELECT id, settings, sealed, enabled FROM cameras ORDER BY id");
  return link::readRows<StoredCamera>(q, [&] { return row(q.text(0), q.text(1), q.blob(2), q.integer(3) != 0); });
}

Result<StoredCamera> CameraStore::get(const std::string& id) const {
  MutexLock lock(mutex_);
  link::SqlQuery q(db_, "SELECT id, settings, sealed, enabled FROM cameras WHERE id = ?");
  q.bind(id);
  auto found = q.next();
  if (!found) return found.status();
  if (!*found) return Status::notFound(fmt::format("no camera \"{}\"", id));
  return row(q.text(0), q.text(1), q.blob(2), q.integer(3) != 0);
}

Status CameraStore::put(const StoredCamera& camera) {
  nlohmann::json plain = nlohmann::json::object(), secret = nlohmann::json::object();
  for (const auto& [key, value] : camera.table.items()) (isSecretCameraKey(key, value) ? secret : plain)[key] = value;
  const std::vector<uint8_t> sealed = box_.seal(secret.dump());
  MutexLock lock(mutex_);
  link::SqlQuery q(db_,
                   "INSERT OR REPLACE INTO cameras (id, settings, sealed, enabled, updated_at) "
                   "VALUES (?, ?, ?, ?, strftime('%s', 'now'))");
  q.bind(camera.id).bind(plain.dump()).bind(std::span<const uint8_t>(sealed)).bind(int64_t{camera.enabled});
  return q.run();
}

Status CameraStore::remove(const std::string& id) {
  MutexLock lock(mutex_);
  link::SqlQuery q(db_, "DELETE FROM cameras WHERE id = ?");
  q.bind(id);
  VIGIL_RETURN_IF_ERROR(q.run());
  if (sqlite3_changes(db_) == 0) return Status::notFound(fmt::format("no camera \"{}\"", id));
  return Status::ok();
}

}  // namespace vigil::app

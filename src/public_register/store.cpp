#include "public_register/store.h"

#include <fmt/format.h>

#include "base/config.h"
#include "link/catalog_messages.h"
#include "link/enrolment_messages.h"
#include "link/sql.h"

namespace vigil::public_register {

namespace {

using link::SqlQuery;

// One `settings` row; one `listing` row per listed camera; one `view` row
// per camera of the node.
constexpr const char* kSchema = R"(
CREATE TABLE IF NOT EXISTS settings (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  open INTEGER NOT NULL,
  run_by TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS listing (
  camera TEXT PRIMARY KEY,
  covers TEXT NOT NULL,
  snapshot INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS view (
  camera TEXT PRIMARY KEY,
  digest TEXT NOT NULL);
)";

}  // namespace

Result<std::unique_ptr<RegisterStore>> RegisterStore::open(const std::string& path) {
  auto db = link::openDatabase(path, kSchema);
  if (!db) return db.status();
  Settings settings;
  std::map<std::string, Listing> listings;
  Status s = [&]() -> Status {
    SqlQuery q(*db, "SELECT open, run_by FROM settings");
    auto row = q.next();
    if (!row) return row.status();
    if (*row) settings = {q.integer(0) != 0, q.text(1)};
    SqlQuery l(*db, "SELECT camera, covers, snapshot FROM listing");
    for (;;) {
      auto more = l.next();
      if (!more) return more.status();
      if (!*more) return Status::ok();
      listings[l.text(0)] = {l.text(1), l.integer(2) != 0};
    }
  }();
  if (!s.isOk()) {
    sqlite3_close(*db);
    return s;
  }
  return std::unique_ptr<RegisterStore>(new RegisterStore(*db, std::move(settings), std::move(listings)));
}

RegisterStore::~RegisterStore() {
  MutexLock lock(mutex_);
  sqlite3_close(db_);
}

Settings RegisterStore::settings() const {
  MutexLock lock(mutex_);
  return settings_;
}

Status RegisterStore::setSettings(const Settings& settings) {
  if (!settings.runBy.empty() && !link::isValidNodeName(settings.runBy)) {
    return Status::invalidArgument(
        fmt::format("run_by: 1 to {} bytes of UTF-8, no control characters", link::kMaxNodeNameBytes));
  }
  MutexLock lock(mutex_);
  VIGIL_RETURN_IF_ERROR(SqlQuery(db_, "INSERT OR REPLACE INTO settings (id, open, run_by) VALUES (1, ?, ?)")
                            .bind(int64_t{settings.open})
                            .bind(settings.runBy)
                            .run());
  settings_ = settings;
  return Status::ok();
}

std::optional<Listing> RegisterStore::listing(const std::string& camera) const {
  MutexLock lock(mutex_);
  auto it = listings_.find(camera);
  if (it == listings_.end()) return std::nullopt;
  return it->second;
}

Status RegisterStore::setListing(const std::string& camera, const std::optional<Listing>& listing) {
  if (!isValidId(camera)) return Status::invalidArgument("camera: must be 1 to 64 of a-z, 0-9, '_' and '-'");
  if (listing && !link::isValidCovers(listing->covers)) {
    return Status::invalidArgument(
        fmt::format("covers: 1 to {} bytes of UTF-8, no control characters", link::kMaxCoversBytes));
  }
  MutexLock lock(mutex_);
  if (listing) {
    VIGIL_RETURN_IF_ERROR(SqlQuery(db_, "INSERT OR REPLACE INTO listing (camera, covers, snapshot) VALUES (?, ?, ?)")
                              .bind(camera)
                              .bind(listing->covers)
                              .bind(int64_t{listing->snapshot})
                              .run());
    listings_[camera] = *listing;
  } else {
    VIGIL_RETURN_IF_ERROR(SqlQuery(db_, "DELETE FROM listing WHERE camera = ?").bind(camera).run());
    listings_.erase(camera);
  }
  return Status::ok();
}

std::map<std::string, Listing> RegisterStore::listings() const {
  MutexLock lock(mutex_);
  return listings_;
}

Result<std::map<std::string, std::string>> RegisterStore::views() const {
  MutexLock lock(mutex_);
  std::map<std::string, std::string> out;
  SqlQuery q(db_, "SELECT camera, digest FROM view");
  for (;;) {
    auto row = q.next();
    if (!row) return row.status();
    if (!*row) return out;
    out[q.text(0)] = q.text(1);
  }
}

Status RegisterStore::setView(const std::string& camera, const std::optional<std::string>& view) {
  MutexLock lock(mutex_);
  if (!view) return SqlQuery(db_, "DELETE FROM view WHERE camera = ?").bind(camera).run();
  return SqlQuery(db_, "INSERT OR REPLACE INTO view (camera, digest) VALUES (?, ?)").bind(camera).bind(*view).run();
}

}  // namespace vigil::public_register

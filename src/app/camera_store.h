#pragma once
// The cameras added from the API and the web UI (design/CAMERAS.md):
// <data_dir>/cameras.db, one row per camera with its [[camera]] table as
// the API gave it (app/camera_json.h) and whether it is enabled. What may
// hold a credential is sealed (access/secret_box.h, under the node key):
// `username`, any `password`, `*_username` or `*_password` (the ONVIF
// device's login), and every value that is a URL (its userinfo). The rest is kept in clear, so that the database says
// which cameras exist without the key. Thread-safe.

#include <sqlite3.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "access/secret_box.h"
#include "base/mutex.h"
#include "base/status.h"

namespace vigil::app {

struct StoredCamera {
  std::string id;
  nlohmann::json table;  // the [[camera]] keys, secrets included (opened)
  bool enabled = true;
};

// Whether the key of a camera table may hold a credential (kept sealed,
// never returned by the API): username, password, *_username, *_password,
// and URLs.
bool isSecretCameraKey(std::string_view key, const nlohmann::json& value);

class CameraStore {
 public:
  static Result<std::unique_ptr<CameraStore>> open(const std::string& path, access::SecretBox box);
  ~CameraStore();
  CameraStore(const CameraStore&) = delete;
  CameraStore& operator=(const CameraStore&) = delete;

  // Every camera, by id. DataLoss for a row whose secrets do not open.
  Result<std::vector<StoredCamera>> list() const EXCLUDES(mutex_);
  // NotFound when there is none.
  Result<StoredCamera> get(const std::string& id) const EXCLUDES(mutex_);
  // Inserts or replaces the camera `camera.id`.
  Status put(const StoredCamera& camera) EXCLUDES(mutex_);
  // NotFound when there is none.
  Status remove(const std::string& id) EXCLUDES(mutex_);

 private:
  CameraStore(sqlite3* db, access::SecretBox box) : db_(db), box_(std::move(box)) {}
  Result<StoredCamera> row(const std::string& id, const std::string& plain, const std::vector<uint8_t>& sealed,
                           bool enabled) const;

  mutable Mutex mutex_;
  sqlite3* db_ GUARDED_BY(mutex_);
  const access::SecretBox box_;
};

}  // namespace vigil::app

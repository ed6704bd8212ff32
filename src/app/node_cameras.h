#pragma once
// The node's cameras as its admins manage them from the API and the web UI
// (design/CAMERAS.md): those of the config file, read-only here, and those
// added from the API, kept in <data_dir>/cameras.db (camera_store.h) with
// their credentials sealed under the node key. Every change is checked by
// the config's own reader (camera_json.h), written to the audit log first
// (a `camera_change` row, AUDIT.md), kept, and then applied to the
// running node: Node::addCamera and Node::removeCamera, an update being a
// removal then an addition; a camera with privacy masks, before or after,
// restarts the node in place instead (as a change of masks from the UI
// does: no stream made under the old masks outlives them). Thread-safe.

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "access/audit.h"
#include "app/camera_store.h"
#include "app/config.h"
#include "app/node.h"
#include "base/mutex.h"
#include "camera/camera.h"
#include "storage/store.h"

namespace vigil::http {
struct OnvifCamera;
}  // namespace vigil::http

namespace vigil::app {

// Who asks for a change, for its audit row.
struct CameraChangeBy {
  std::string user;
  std::string client;  // the request's remote address
};

// A camera added, changed or removed from the API, as those that keep
// something of it by its id hear of it (the public register forgets a
// camera that is gone or may now show something else: design/REGISTER.md).
struct CameraChange {
  std::string id;
  const ConfiguredCamera* camera = nullptr;  // as it is after the change; null: removed
  // Added, removed, or its URLs changed: what it shows may not be what its
  // id showed before.
  bool newView = false;
};

class NodeCameras {
 public:
  // Told of every change once its audit row is written and before it is
  // kept; an error refuses the change. Set before the node runs.
  using ChangeHook = std::function<Status(const CameraChange& change, const CameraChangeBy& by)>;
  void onChange(ChangeHook hook) EXCLUDES(mutex_);

  // Opens <dataDir>/cameras.db with the node key of <dataDir>/node.key
  // (made on first use, mode 0600). `file`: the config file's cameras and
  // its path (named in the 409 for changing one of them).
  static Result<std::unique_ptr<NodeCameras>> open(const std::string& dataDir, const std::vector<ConfiguredCamera>& file,
                                                   std::string filePath);

  // The enabled cameras of the database, read as the file's are, for the
  // node to start with after the file's. A row that no longer reads (a key
  // a later version dropped) is logged and left out, not fatal.
  std::vector<ConfiguredCamera> enabledCameras() const EXCLUDES(mutex_);
  // Each database camera's retain_days, disabled ones' too (their
  // recordings stay, and go by age as the camera said).
  std::map<std::string, int> retainDays() const EXCLUDES(mutex_);

  // Where changes go, once the node runs; before, changes are refused
  // (Unavailable). `store` may be null; `restart` restarts the node in place.
  void attach(Node& node, storage::Store* store, access::AuditLog& audit, std::function<void()> restart)
      EXCLUDES(mutex_);

  // The node's camera states, each with managedBy, and the disabled
  // cameras as stopped with reason code "disabled".
  std::vector<camera::CameraStatus> statuses() const EXCLUDES(mutex_);
  // A camera of the file or the database, enabled or not.
  bool has(const std::string& id) const EXCLUDES(mutex_);

  // A camera's [[camera]] keys as the API shows them: credentials never
  // (URLs with "***" for their password; "has_password",
  // "has_onvif_password"), with "managed_by" and "enabled". NotFound.
  Result<nlohmann::json> get(const std::string& id) const EXCLUDES(mutex_);
  // The ONVIF device of a camera of the database (its `onvif` keys) and
  // its login, for PTZ; nullopt without one. Read from the table as kept,
  // so a change holds from the next command, with no restart.
  std::optional<http::OnvifCamera> onvifDevice(const std::string& id) const EXCLUDES(mutex_);

  // `table`: a [[camera]] table as JSON. InvalidArgument naming the key at
  // fault; AlreadyExists for an id taken. Answers get(id).
  Result<nlohmann::json> add(nlohmann::json table, bool enabled, const CameraChangeBy& by) EXCLUDES(mutex_);
  // The whole table again; a password left out, or a URL sent back as
  // get() showed it (with "***"), keeps the one stored (the ONVIF device's
  // login only while the table still has `onvif`). `enabled` unset:
  // unchanged. FailedPrecondition for a camera of the file; NotFound.
  Result<nlohmann::json> update(const std::string& id, nlohmann::json table, std::optional<bool> enabled,
                                const CameraChangeBy& by) EXCLUDES(mutex_);
  // Stops and forgets the camera; its recordings are deleted with
  // `deleteRecordings`, else kept (and still played back by id).
  Status remove(const std::string& id, bool deleteRecordings, const CameraChangeBy& by) EXCLUDES(mutex_);

 private:
  struct Attached {
    Node* node = nullptr;
    storage::Store* store = nullptr;
    access::AuditLog* audit = nullptr;
    std::function<void()> restart;
  };
  NodeCameras(std::unique_ptr<CameraStore> store, std::map<std::string, StoredCamera> stored,
              std::map<std::string, nlohmann::json> file, std::string filePath)
      : store_(std::move(store)), stored_(std::move(stored)), file_(std::move(file)), filePath_(std::move(filePath)) {}
  Status checkChangeable(const std::string& id) const REQUIRES(mutex_);
  Status audit(const std::string& id, nlohmann::json detail, const CameraChangeBy& by) REQUIRES(mutex_);
  // Brings the running node to what stored_ says of `id`: stops what runs
  // (`running`), then starts it again when stored and enabled.
  void apply(const std::string& id, bool running, bool masks, bool deleteRecordings) REQUIRES(mutex_);
  void startAsStored(const std::string& id) REQUIRES(mutex_);

  const std::unique_ptr<CameraStore> store_;
  mutable Mutex mutex_;
  std::map<std::string, StoredCamera> stored_ GUARDED_BY(mutex_);
  const std::map<std::string, nlohmann::json> file_;  // as get() shows them
  const std::string filePath_;
  Attached attached_ GUARDED_BY(mutex_);
  std::set<std::string> stopping_ GUARDED_BY(mutex_);  // in Node::removeCamera's grace period
  std::set<std::string> recordingsToDelete_ GUARDED_BY(mutex_);  // once stopped
  ChangeHook onChange_ GUARDED_BY(mutex_);
};

// The API's view of a [[camera]] table: no password, URLs redacted,
// "has_password" (the camera's own, in `password` or a URL) and
// "has_<key>" for each other `*_password` key. For tests and the fuzz
// target too.
nlohmann::json publicCameraTable(const nlohmann::json& table);
// A PUT's `sent` table with what it left out of `stored` kept: a password
// left out, a URL sent back as shown (with "***"), the ONVIF login while
// `onvif` is still there. InvalidArgument when a password left out would
// go to a host `stored` did not name (a URL, the sub stream's or the
// ONVIF device's, moved elsewhere): it is given again (CAMERAS inv 13).
Status keepStoredSecrets(const nlohmann::json& stored, nlohmann::json& sent);
// Credentials written in `url` moved to `username` and `password` (when
// the table has neither), and those of `sub_url` dropped when the same.
void moveUrlCredentials(nlohmann::json& table);

}  // namespace vigil::app

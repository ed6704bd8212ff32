#pragma once
// What a node's public register says (design/REGISTER.md), as its admins
// set it, <data_dir>/register.db: whether the register is open to anyone
// without an account and the name it shows as who runs the node's cameras,
// and, per camera that looks at a public place, that its owner listed it,
// what it covers and whether a masked snapshot of it is shown. Nothing is
// listed and the register is closed until an admin says otherwise.
// Thread-safe: read from memory, each change written first.

#include <sqlite3.h>

#include <map>
#include <memory>
#include <optional>
#include <string>

#include "base/mutex.h"
#include "base/status.h"

namespace vigil::public_register {

struct Settings {
  bool open = false;  // readable without an account
  std::string runBy;  // who runs this node's cameras, as the register names it; empty: the node's name
  bool operator==(const Settings&) const = default;
};

struct Listing {
  std::string covers;     // what the camera looks at (link::isValidCovers)
  bool snapshot = false;  // a snapshot, masked, is shown
  bool operator==(const Listing&) const = default;
};

class RegisterStore {
 public:
  static Result<std::unique_ptr<RegisterStore>> open(const std::string& path);
  ~RegisterStore();
  RegisterStore(const RegisterStore&) = delete;
  RegisterStore& operator=(const RegisterStore&) = delete;

  Settings settings() const EXCLUDES(mutex_);
  // InvalidArgument for a run_by that is not a valid name.
  Status setSettings(const Settings& settings) EXCLUDES(mutex_);
  // None: the camera is not listed.
  std::optional<Listing> listing(const std::string& camera) const EXCLUDES(mutex_);
  // None unlists the camera. InvalidArgument for a bad camera id or covers.
  Status setListing(const std::string& camera, const std::optional<Listing>& listing) EXCLUDES(mutex_);
  // Every listed camera.
  std::map<std::string, Listing> listings() const EXCLUDES(mutex_);

  // What each of the node's cameras showed when the node last ran (a
  // digest of its URLs: app::NodeRegister), so that a camera of the config
  // file that is gone, or points elsewhere, at a start is told from one
  // that is not. None forgets the camera.
  Result<std::map<std::string, std::string>> views() const EXCLUDES(mutex_);
  Status setView(const std::string& camera, const std::optional<std::string>& view) EXCLUDES(mutex_);

 private:
  RegisterStore(sqlite3* db, Settings settings, std::map<std::string, Listing> listings)
      : db_(db), settings_(std::move(settings)), listings_(std::move(listings)) {}

  mutable Mutex mutex_;
  sqlite3* db_ GUARDED_BY(mutex_);
  Settings settings_ GUARDED_BY(mutex_);
  std::map<std::string, Listing> listings_ GUARDED_BY(mutex_);
};

}  // namespace vigil::public_register

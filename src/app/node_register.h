#pragma once
// A node's public register (design/REGISTER.md): what its admins set,
// kept in <data_dir>/register.db, and what the register says of each of
// the node's listed cameras, which the catalog carries up the tier link
// and the register's routes show: what it covers, who runs it, how long
// its video is kept and how many looks from other tiers it had in the last
// 30 days (counted in the audit log, never who). Thread-safe.

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "access/audit.h"
#include "app/config.h"
#include "base/mutex.h"
#include "link/catalog_messages.h"
#include "public_register/store.h"

namespace vigil::app {

struct CameraChange;
struct CameraChangeBy;

class NodeRegister {
 public:
  // `audit` counts the looks; it must outlive this object.
  static Result<std::unique_ptr<NodeRegister>> open(const std::filesystem::path& dataDir, const NodeConfig& node,
                                                    const std::vector<ConfiguredCamera>& cameras,
                                                    access::AuditLog& audit);

  public_register::RegisterStore& store() { return *store_; }
  // None: the camera is not listed. Its looks are counted again when the
  // count is older than kLooksAge, one camera at a time on the node (the
  // others meanwhile show their last count).
  std::optional<link::PublicListing> listing(const std::string& camera) EXCLUDES(mutex_);

  // A camera added, changed or removed from the API (NodeCameras::onChange):
  // its retention is what it says now, and a camera that may show
  // something else than its id showed (added, removed, another URL) is
  // unlisted, a `register_change` audit row written first: its owner
  // lists it again if it looks at a public place.
  Status cameraChanged(const CameraChange& change, const CameraChangeBy& by) EXCLUDES(mutex_);

  static constexpr auto kLooksAge = std::chrono::seconds(5);

 private:
  struct Count {
    int64_t looks = 0;
    std::chrono::steady_clock::time_point at;
  };
  NodeRegister(std::unique_ptr<public_register::RegisterStore> store, std::string nodeName,
               std::map<std::string, int> retentionDays, access::AuditLog& audit)
      : store_(std::move(store)), nodeName_(std::move(nodeName)), audit_(audit),
        retentionDays_(std::move(retentionDays)) {}
  int64_t looks(const std::string& camera) EXCLUDES(mutex_);

  std::unique_ptr<public_register::RegisterStore> store_;
  const std::string nodeName_;
  access::AuditLog& audit_;
  Mutex mutex_;
  std::map<std::string, int> retentionDays_ GUARDED_BY(mutex_);  // of the node's cameras; 0: not recorded
  std::map<std::string, Count> counts_ GUARDED_BY(mutex_);
  bool counting_ GUARDED_BY(mutex_) = false;  // a count is being made (one at a time)
};

}  // namespace vigil::app

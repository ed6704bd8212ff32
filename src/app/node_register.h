#pragma once
// A node's public register (design/REGISTER.md): what its admins set,
// kept in <data_dir>/register.db, and what the register says of each of
// the node's listed cameras, which the catalog carries up the tier link
// and the register's routes show: what it covers, who runs it, how long
// its video is kept and how many looks from other tiers it had in the last
// 30 days (counted in the audit log, never who). Thread-safe.

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "access/audit.h"
#include "access/secret_box.h"
#include "app/config.h"
#include "base/mutex.h"
#include "http/register_routes.h"
#include "link/catalog_messages.h"
#include "public_register/store.h"

namespace vigil::app {

struct CameraChange;
struct CameraChangeBy;

class NodeRegister {
 public:
  // `cameras`: those the node runs; `isCamera`: any camera of the node's, a
  // disabled one too. A listed camera that is no longer the node's (taken
  // out of the config file), or that runs with other URLs than when the
  // node last ran (kept as a keyed digest, under <data_dir>/node.key), is unlisted, as if changed from the API (a
  // `register_change` row first, by the node, "client": "config"). `audit`
  // counts the looks; it must outlive this object.
  static Result<std::unique_ptr<NodeRegister>> open(const std::filesystem::path& dataDir, const NodeConfig& node,
                                                    const std::vector<ConfiguredCamera>& cameras,
                                                    const std::function<bool(const std::string&)>& isCamera,
                                                    access::AuditLog& audit);

  public_register::RegisterStore& store() { return *store_; }
  // None: the camera is not listed. Its looks are counted again when the
  // count is older than kLooksAge, one camera at a time on the node (the
  // others meanwhile show their last count).
  std::optional<link::PublicListing> listing(const std::string& camera) EXCLUDES(mutex_);

  // A camera added, changed or removed from the API (NodeCameras::onChange):
  // its retention is what it says now, its kept picture is dropped (its
  // masks may have changed), and a camera that may show something else
  // than its id showed (added, removed, another URL) is unlisted, a
  // `register_change` audit row written first: its owner lists it again if
  // it looks at a public place.
  Status cameraChanged(const CameraChange& change, const CameraChangeBy& by) EXCLUDES(mutex_);
  // The pictures the register's routes keep (http::RegisterPictures).
  const std::shared_ptr<http::RegisterPictures>& pictures() const { return pictures_; }

  static constexpr auto kLooksAge = std::chrono::seconds(5);

 private:
  struct Count {
    int64_t looks = 0;
    std::chrono::steady_clock::time_point at;
  };
  NodeRegister(std::unique_ptr<public_register::RegisterStore> store, std::string nodeName,
               std::map<std::string, int> retentionDays, access::KeyedDigest viewDigest, access::AuditLog& audit)
      : store_(std::move(store)), viewDigest_(std::move(viewDigest)), nodeName_(std::move(nodeName)), audit_(audit),
        retentionDays_(std::move(retentionDays)) {}
  int64_t looks(const std::string& camera) EXCLUDES(mutex_);
  // Unlists `camera`, its `register_change` audit row first.
  Status unlist(const std::string& camera, const char* because, const std::string& user, const std::string& client);

  std::unique_ptr<public_register::RegisterStore> store_;
  // What a camera's URLs are kept as in register.db (`views`), keyed by
  // the node key: they may hold tokens.
  const access::KeyedDigest viewDigest_;
  const std::shared_ptr<http::RegisterPictures> pictures_ = std::make_shared<http::RegisterPictures>();
  const std::string nodeName_;
  access::AuditLog& audit_;
  Mutex mutex_;
  std::map<std::string, int> retentionDays_ GUARDED_BY(mutex_);  // of the node's cameras; 0: not recorded
  std::map<std::string, Count> counts_ GUARDED_BY(mutex_);
  bool counting_ GUARDED_BY(mutex_) = false;  // a count is being made (one at a time)
};

}  // namespace vigil::app

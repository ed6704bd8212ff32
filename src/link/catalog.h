#pragma once
// The catalog (design/LINK.md, "Catalog"): which cameras this node and the
// nodes below it share with the tiers above. As a child, it tells its
// parent what its own cameras share now (rights decided at the source,
// per tier from the parent's up) and passes on what its children share
// with those tiers, sending only what changed: at once after a change()
// (debounced), and every half second for cameras' states, hours and
// expiries. As a parent, it keeps each child's entries, under ids
// `<child-id>.….<camera-id>`, refusing a message that claims a path not
// starting at that child or rights for a tier below this node; a child's
// link going up or down drops what it held (a child resends everything
// on each connection).
//
// Threads: the bus handlers on the links' loops, one thread of its own
// for deciding and sending (it reads the shares: disk), the rest from any
// thread.

#include <condition_variable>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "base/mutex.h"
#include "camera/camera.h"
#include "link/bus.h"
#include "link/catalog_messages.h"

namespace vigil::link {

// A camera of a node below, as this node lists it.
struct RemoteCamera {
  std::string id;                     // "township1.village1.house7.door"
  std::vector<std::string> nodePath;  // this node's child first, the owner last
  CatalogEntry entry;                 // its rights: for this node's tier only
};

struct CatalogSources {
  std::function<std::vector<camera::CameraStatus>()> cameras;  // this node's own
  // What a camera of this node shares now, per tier (CameraShares::rightsNow).
  std::function<Result<TierRights>(const std::string& camera)> rights;
  // What the owner lists of a camera in the public register; none (or a
  // null function): it is not listed there.
  std::function<std::optional<PublicListing>(const std::string& camera)> publicListing;
  // Whether a camera has any privacy mask: its sound does not go up, so
  // none is listed (null: no camera has).
  std::function<bool(const std::string& camera)> masked;
};

// A camera of this node shared with at least one tier from the parent's
// up, with those tiers' rights: what the catalog lists upward, and the
// only cameras health reports by name (link/health_reporter.h).
struct SharedCamera {
  camera::CameraStatus status;
  TierRights rights;  // from the parent's tier up; never empty
};
// Of `cameras` (from sources.cameras()), those shared from `lowest` up.
std::vector<SharedCamera> sharedUpward(const CatalogSources& sources, const std::vector<camera::CameraStatus>& cameras,
                                       Tier lowest);

class Catalog {
 public:
  struct Self {
    std::string id;
    std::string name;
    Tier tier = Tier::kHousehold;
    std::optional<Tier> parentTier;  // none: no parent, nothing is sent up
  };
  // Registers its handler and link watcher on `bus` (before the links start).
  Catalog(Bus& bus, Self self, CatalogSources sources);
  ~Catalog();  // stop()s
  Catalog(const Catalog&) = delete;
  Catalog& operator=(const Catalog&) = delete;

  void start();  // the thread that decides and sends (with a parent)
  void stop();
  // Something this node shares may have changed: decide and send soon.
  void changed();
  // Decides and sends what changed since the last send. The thread's work;
  // public for tests.
  void sync();

  // The remote cameras this node's tier has at least one right on.
  std::vector<RemoteCamera> cameras() const;
  bool has(std::string_view id) const;
  // The cameras of nodes below that their owners listed in the public
  // register, each with the rights of every tier from this one up.
  std::vector<RemoteCamera> publicCameras() const;

 private:
  Status receive(const std::string& child, std::span<const uint8_t> payload);
  void linkChanged(const Peer& peer);
  std::map<std::string, CatalogUpdate> ownShares();
  void run();

  Bus& bus_;
  const Self self_;
  const CatalogSources sources_;

  mutable Mutex mutex_;
  std::condition_variable wake_;
  bool dirty_ GUARDED_BY(mutex_) = false;
  bool stopping_ GUARDED_BY(mutex_) = false;
  // Per child, its entries by id at this node ("house7.door").
  std::map<std::string, std::map<std::string, CatalogUpdate>, std::less<>> children_ GUARDED_BY(mutex_);
  // What the parent holds from this node, by id at this node's parent.
  std::map<std::string, CatalogUpdate> sent_ GUARDED_BY(mutex_);
  std::thread thread_;
};

}  // namespace vigil::link

#pragma once
// Looks across tiers (design/LINK.md, "Looks"): a user of this node
// watches a camera of a node below ("house7.door", "village1.house7.door"),
// asked hop by hop down the links; the node that owns the camera decides
// with its owner's shares (access/camera_shares.h), writes the look in its
// own audit log naming the remote user, their node path and tier, and
// ends it the moment the share no longer allows it. Live frames travel up
// once per camera per link, whatever the number of viewers above: every
// node publishes what comes from below into its own live registry, where
// its viewers and its own parent's feed subscribe.
//
// Threads: link messages arrive on the links' loops; decisions and audit
// rows (disk) run on one worker thread of this object; frames going up
// are drained on `loop`. Thread-safe.

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "access/audit.h"
#include "access/audit_tally.h"
#include "access/camera_shares.h"
#include "base/config.h"
#include "base/time.h"
#include "link/ancestors.h"
#include "link/bus.h"
#include "media/live.h"

namespace vigil::link {

class SeenAsks;

struct LooksContext {
  Bus* bus = nullptr;
  media::LiveRegistry* live = nullptr;
  access::CameraShares* shares = nullptr;  // null: this node shares nothing
  access::AuditLog* audit = nullptr;
  // Where refusals are counted into rows, and the asks from above taken
  // (withSourceState, at_source.h).
  std::shared_ptr<access::AuditTally> refusals;
  std::shared_ptr<SeenAsks> seenAsks;
  // Signs the asks of this node's users (none: unsigned, which owners refuse).
  const access::NodeKey* key = nullptr;
  // The key and path pinned here for a node above at a tier (Ancestors::find);
  // none: no ask from above is taken.
  std::function<std::optional<PinnedAsker>(std::string_view id, Tier tier)> askers;
  std::function<bool(std::string_view camera)> cameraExists;  // this node's own cameras
  // The id of this node's alarm that opens its "only during an alarm"
  // shares now (design/ALARMS.md); null or none: no alarm is open.
  std::function<std::optional<std::string>()> openAlarm;
  std::string selfId;
  Tier selfTier = Tier::kHousehold;
  std::optional<Tier> parentTier;  // pinned at enrolment; none without a parent
  std::string parentId;            // pinned at enrolment; empty without a parent
  boost::asio::io_context* loop = nullptr;  // where frames going up are drained
  const Clock* clock = &SystemClock::instance();
  std::chrono::milliseconds recheck{1000};  // shares re-decided for hours and expiry
};

class RemoteMedia;

class RemoteLooks {
 public:
  // One look of a user of this node; destroying it ends it.
  class Look;
  struct Ask {
    std::string camera;  // "house7.door": a child's id, then the camera on that child
    access::ShareRight right = access::ShareRight::kLive;
    std::string user;
  };

  // Registers the handlers on the bus: before the links start.
  explicit RemoteLooks(LooksContext context);
  ~RemoteLooks();
  RemoteLooks(const RemoteLooks&) = delete;
  RemoteLooks& operator=(const RemoteLooks&) = delete;

  // Whether a camera id names a camera of a node below.
  static bool isRemote(std::string_view camera) { return camera.find('.') != std::string_view::npos; }

  // Asks the owner of the camera, and blocks until it answers (at most
  // `timeout`). PermissionDenied with the owner's reason when refused
  // there; Unavailable when a link on the way is down or no answer came.
  // Once accepted, live frames arrive in the live registry under the
  // camera's id, and `onEnded` is called (on a link's loop or the worker)
  // if the look ends from below: revoked, a link lost.
  Result<std::unique_ptr<Look>> open(const Ask& ask, std::function<void(std::string reason)> onEnded,
                                     std::chrono::milliseconds timeout = std::chrono::seconds(5));

  // Looks from above open at this node (served here or passed down).
  size_t openFromAbove() const;

  // Recorded video of the same cameras (link/remote_media.h), on the same links.
  RemoteMedia& media() { return *media_; }

 private:
  struct State;
  std::unique_ptr<RemoteMedia> media_;
  std::shared_ptr<State> state_;
};

class RemoteLooks::Look {
 public:
  ~Look();
  Look(const Look&) = delete;
  Look& operator=(const Look&) = delete;

 private:
  friend class RemoteLooks;
  Look(std::shared_ptr<State> state, std::string child, uint64_t id) : state_(std::move(state)), child_(std::move(child)), id_(id) {}
  std::shared_ptr<State> state_;
  std::string child_;
  uint64_t id_;
};

}  // namespace vigil::link

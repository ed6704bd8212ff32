#pragma once
// The public register (design/REGISTER.md): which cameras of this node and
// of the nodes below look at public places, as their owners listed them.
//   GET /api/v1/register                        anyone, once an admin opened it (404 until then):
//       {"name", "tier", "cameras": [{"covers", "run_by", "watch": {"owner"|tier: ["live", "snapshots",
//        "recorded"]}, "retention_days", "looks_30d", "online", "snapshot": url|null}]}
//   GET /api/v1/register/cameras/{id}/snapshot.jpg  anyone, the same: a listed camera of this node
//       whose owner shows its picture, masked where it has masks; at most one new picture a minute
//   GET/PUT /api/v1/register/settings           admins: {"open": bool, "run_by": "..."}
//   GET/PUT /api/v1/cameras/{id}/register       admins, a camera of this node:
//       {"listed": bool, "covers": "...", "snapshot": bool}
// The two routes without a session are the only ones besides the shell,
// /healthz, login and a TV's pairing (DECISIONS.md 22 and 88), each bounded
// per client (an IPv6 one by its /64) and for the node (429 with
// Retry-After); one picture at a time is taken for the whole node, the
// other requests answered at once. Nothing in them names a user or a node
// that looked: looks are a count. Changes are `register_change` audit
// rows, written before they are made.

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "access/audit.h"
#include "base/config.h"
#include "base/mutex.h"
#include "base/time.h"
#include "camera/camera.h"
#include "http/rate_limit.h"
#include "http/server.h"
#include "link/catalog.h"
#include "media/live.h"
#include "public_register/store.h"

namespace vigil::http {

// The audit row of a change to the register (design/AUDIT.md), here and
// where a camera's removal unlists it (app::NodeRegister). Kept here rather
// than beside the other kinds in access/audit.h for now: that header is
// included everywhere (move it there when next touching it).
inline constexpr const char* kRegisterChange = "register_change";

// The pictures the register keeps for the public (one per camera, at most
// a minute old), shared by its routes and whatever hears of a change to a
// camera (app::NodeRegister): a picture is shown only within the streaming
// spell it was taken in (a camera that went offline shows none, and none
// from before) and is dropped when its camera or listing changes; one
// being taken across a change is neither kept nor shown. Thread-safe.
class RegisterPictures {
 public:
  // The camera's picture taken at most `maxAge` before `now` within the
  // streaming spell that began at `streamingSince`; any other is dropped.
  std::optional<std::string> fresh(const std::string& camera, const std::optional<WallTime>& streamingSince,
                                   std::chrono::steady_clock::time_point now, std::chrono::seconds maxAge)
      EXCLUDES(mutex_);
  // The camera's last picture whatever its age (while a new one is taken).
  std::optional<std::string> last(const std::string& camera) EXCLUDES(mutex_);
  // The camera's changes so far: given back to keep(), which keeps nothing taken across one.
  uint64_t changes(const std::string& camera) EXCLUDES(mutex_);
  // False (nothing kept) when forget() was called since `changesBefore`.
  bool keep(const std::string& camera, std::string jpeg, const std::optional<WallTime>& streamingSince,
            std::chrono::steady_clock::time_point takenAt, uint64_t changesBefore) EXCLUDES(mutex_);
  void forget(const std::string& camera) EXCLUDES(mutex_);
  // forget(), and no picture of the camera is kept or shown again by this
  // object: its masks changed and the node restarts in place, its stream
  // under the old masks until then (a picture taken meanwhile would show
  // what the new masks hide).
  void hold(const std::string& camera) EXCLUDES(mutex_);

 private:
  struct Picture {
    std::string jpeg;
    std::optional<WallTime> streamingSince;
    std::chrono::steady_clock::time_point takenAt;
  };
  Mutex mutex_;
  std::map<std::string, Picture> pictures_ GUARDED_BY(mutex_);
  std::map<std::string, uint64_t> changes_ GUARDED_BY(mutex_);  // forget() calls per camera (this node's)
  std::set<std::string> held_ GUARDED_BY(mutex_);
};

struct RegisterRoutesContext {
  public_register::RegisterStore* store = nullptr;
  access::AuditLog* audit = nullptr;
  std::string nodeName;  // the register's name when run_by is not set
  Tier tier = Tier::kHousehold;
  std::function<std::vector<camera::CameraStatus>()> cameras;  // this node's own
  // What the register says of one of them (what the catalog sends up too); none: not listed.
  std::function<std::optional<link::PublicListing>(const std::string& camera)> listing;
  // What each tier above may see of it now (CameraShares::rightsNow).
  std::function<Result<link::TierRights>(const std::string& camera)> rights;
  // The listed cameras of the nodes below (link::Catalog::publicCameras); null: none.
  std::function<std::vector<link::RemoteCamera>()> below;
  // The live stream a listed camera's snapshot is taken from: never one
  // with a camera's unmasked pictures when it has masks.
  std::function<Result<std::shared_ptr<media::LiveStream>>(const std::string& camera)> pictures;
  RateLimitOptions rate;
  // The kept pictures, shared with what drops them on a camera's change; null: the routes' own.
  std::shared_ptr<RegisterPictures> kept;
};

void addRegisterRoutes(HttpServer& server, RegisterRoutesContext context);

}  // namespace vigil::http

#pragma once
// What an outage of a camera is (design/UPTIME.md): a time its node could
// not show or record it, with one plain reason code. The node that owns
// the camera decides it from the camera's status; a parent, from what its
// child reported (link/health_store.h).

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/time.h"
#include "camera/camera.h"
#include "link/health_store.h"

namespace vigil::uptime {

// The reason codes.
inline constexpr std::string_view kCameraUnreachable = "camera_unreachable";  // no answer, refused, cut off
inline constexpr std::string_view kAuthFailed = "auth_failed";                // 401 or 403
inline constexpr std::string_view kNoMedia = "no_media";  // answers, but no stream, no video, or no packets
inline constexpr std::string_view kStorageFull = "storage_full";  // streams, but recording stopped for space
inline constexpr std::string_view kConnecting = "connecting";     // from when it was configured to its first frame
inline constexpr std::string_view kNodeDown = "node_down";  // from the node's last sign of life until it streams again
inline constexpr std::string_view kOffline = "offline";     // a remote camera its owner reported offline

// The outage `status` shows when the camera's open outage is `open` (none:
// online): none when it streams and, if recorded, has room. A camera
// connecting continues the outage that is open (reconnecting after a
// failure, starting after the node was down), and with none open it is
// its first session; a camera stopped (the node stopping) changes nothing.
std::optional<std::string> outageNow(const camera::CameraStatus& status, const std::optional<std::string>& open);

struct Outage {
  WallTime start;
  WallTime end;  // clipped to the range asked; now when ongoing
  std::string reason;
  bool ongoing = false;
  bool operator==(const Outage&) const = default;
};

// A camera's health over a range: the range clipped to when the camera was
// configured (and, above, reported) and to now; the outages within it.
inline constexpr size_t kMaxListedOutages = 1000;
struct CameraHealth {
  double countedSeconds = 0;  // the range, clipped
  double onlineSeconds = 0;   // countedSeconds less the outages' seconds
  std::optional<double> onlineRate;  // onlineSeconds / countedSeconds; none when nothing counts
  std::vector<Outage> outages;       // in order; the latest kMaxListedOutages
  int64_t outagesOmitted = 0;        // older ones beyond those
};

struct Interval {
  int64_t start;  // Unix µs
  int64_t end;
};

// The end of a range asked for [from, to): `to`, but neither after now
// nor before `from`.
int64_t rangeEnd(WallTime from, WallTime to, WallTime now);

// A camera's outages over a range, each clipped to it: how many, how long
// in all, and the latest kMaxListedOutages of them, in order.
struct ClippedOutages {
  int64_t count = 0;
  int64_t micros = 0;
  std::vector<Outage> latest;
};
// `outages` (in order, disjoint) clipped to [from, min(to, now)).
ClippedOutages clipOutages(std::span<const Outage> outages, WallTime from, WallTime to, WallTime now);

// From the times the camera counts (`counted`, in order, disjoint) and its
// outages (each within a counted interval) clipped to [from, to).
CameraHealth cameraHealth(std::span<const Interval> counted, ClippedOutages outages, WallTime from, WallTime to,
                          WallTime now);

// A remote camera's health from its transitions as its parent keeps them
// (`history`: the last one before `from`, if any, then those within):
// each offline stretch an outage with reason kOffline; what was not
// reported (before the first report, unshared) does not count.
CameraHealth remoteCameraHealth(std::span<const link::HealthTransition> history, WallTime from, WallTime to,
                                WallTime now);

}  // namespace vigil::uptime

#pragma once
// Health up the tiers (design/LINK.md, "Health"): what a node tells its
// parent of its cameras through the outbox, as two message types.
//
//   health.changes  {"at": 1733500000000, "full": false,
//                    "changes": [{"camera": "door", "online": false, "state": "retrying"}]}
//   health.summary  {"at": 1733500000000, "cameras_total": 3, "cameras_online": 2,
//                    "recording": 2, "rate_7d": 0.9812, "rate_30d": 0.97, "daily": [0.99, null, ...],
//                    "storage": [used, bytes_per_day, capacity], "oldest": 1733000000000, "alarms": 0,
//                    "below": [[["house7"], "Zhang family", "household", true, 1733500000000,
//                               3, 2, 2, 0.98, 0.97, used, bytes_per_day, capacity, oldest, 0]]}
//                   {"at": 1733500000000, "withheld": true}
//
// A summary's figures are the overview's (design/UPTIME.md, "Overview"):
// the keys after cameras_online are absent from an older node's summary
// and from one that has no more to say.
// `below` is what the sender holds of the nodes under it whose owners
// share their totals, each as one array (compact: a county takes one from
// each of 2000 links every minute). "withheld": the owner shares no totals
// (the parent forgets what it kept).
//
// `at` is the sender's wall clock in Unix milliseconds. A change names a
// camera the sender shares with a tier above (only those: the node-level
// counts of the summary are all it says of the others); `online` null
// with state "unshared" means the camera is no longer reported. A `full`
// message lists every camera reported now: the others are no longer
// reported. The decoders take bytes from the network: every key, type,
// id and size is checked, an unknown key is refused.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "base/time.h"

namespace vigil::link {

inline constexpr std::string_view kHealthChangesMessage = "health.changes";
inline constexpr std::string_view kHealthSummaryMessage = "health.summary";
// Cameras per changes message: the largest 400 fit one outbox message.
inline constexpr size_t kMaxHealthChanges = 400;
inline constexpr size_t kMaxHealthCameras = 1000000;  // node-level counts
inline constexpr std::string_view kUnsharedState = "unshared";

struct CameraHealthChange {
  std::string camera;          // its id on the sender
  std::optional<bool> online;  // none: no longer reported
  std::string state;           // camera::cameraStateName(), or kUnsharedState: [a-z_]{1,32}
  bool operator==(const CameraHealthChange&) const = default;
};

struct HealthChanges {
  WallTime at;        // whole milliseconds
  bool full = false;  // `changes` is every camera reported now
  std::vector<CameraHealthChange> changes;  // at most kMaxHealthChanges; empty only when full
  bool operator==(const HealthChanges&) const = default;
};

inline constexpr size_t kMaxDailyRates = 31;  // days, oldest first, the last one today so far
// A decoder's bound; the sender puts in what fits one outbox message
// (about 400 nodes of usual names: HealthReporter).
inline constexpr size_t kMaxNodesBelow = 1000;

// A node's figures beyond its two counts, for the overview.
struct NodeFigures {
  int64_t camerasRecording = 0;
  std::optional<double> rate7d;   // online rate 0..1 over 7 days; none: nothing counted
  std::optional<double> rate30d;  // over 30 days
  uint64_t storageUsedBytes = 0;
  uint64_t storageBytesPerDay = 0;   // written per day at the current rate
  uint64_t storageCapacityBytes = 0;  // what recordings may fill (0: not recorded)
  std::optional<WallTime> oldestRecording;  // whole milliseconds
  int64_t alarmsOpen = 0;
  bool operator==(const NodeFigures&) const = default;
};

// A node under the sender, as the sender holds its last summary.
struct NodeBelow {
  std::vector<std::string> path;  // from the sender's child down to the node: 1 or 2 ids
  std::string name;
  std::string tier;  // tierName()
  bool connected = false;          // its link to its parent is up
  std::optional<WallTime> lastSeen;  // whole milliseconds
  int64_t camerasTotal = 0;
  int64_t camerasOnline = 0;
  NodeFigures figures;
  bool operator==(const NodeBelow&) const = default;
};

struct HealthSummary {
  WallTime at;  // whole milliseconds
  int64_t camerasTotal = 0;   // every camera of the node, shared or not
  int64_t camerasOnline = 0;  // of those, streaming now
  NodeFigures figures;
  // Online rate per day of this node's cameras and those below it (each
  // node weighted by its cameras), at most kMaxDailyRates.
  std::vector<std::optional<double>> daily;
  std::vector<NodeBelow> below;  // at most kMaxNodesBelow, each path once
  bool withheld = false;  // the owner shares no totals: nothing above means anything
  bool operator==(const HealthSummary&) const = default;
};

// The values must be what the decoders accept (HealthReporter makes them so).
std::vector<uint8_t> encode(const HealthChanges& m);
std::vector<uint8_t> encode(const HealthSummary& m);
// InvalidArgument naming the field ("changes[2].camera: ...").
Result<HealthChanges> decodeHealthChanges(std::span<const uint8_t> body);
Result<HealthSummary> decodeHealthSummary(std::span<const uint8_t> body);

}  // namespace vigil::link

#pragma once
// Health up the tiers (design/LINK.md, "Health"): what a node tells its
// parent of its cameras through the outbox, as two message types.
//
//   health.changes  {"at": 1733500000000, "full": false,
//                    "changes": [{"camera": "door", "online": false, "state": "retrying"}]}
//   health.summary  {"at": 1733500000000, "cameras_total": 3, "cameras_online": 2}
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

struct HealthSummary {
  WallTime at;  // whole milliseconds
  int64_t camerasTotal = 0;   // every camera of the node, shared or not
  int64_t camerasOnline = 0;  // of those, streaming now
  bool operator==(const HealthSummary&) const = default;
};

// The values must be what the decoders accept (HealthReporter makes them so).
std::vector<uint8_t> encode(const HealthChanges& m);
std::vector<uint8_t> encode(const HealthSummary& m);
// InvalidArgument naming the field ("changes[2].camera: ...").
Result<HealthChanges> decodeHealthChanges(std::span<const uint8_t> body);
Result<HealthSummary> decodeHealthSummary(std::span<const uint8_t> body);

}  // namespace vigil::link

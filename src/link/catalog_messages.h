#pragma once
// The catalog's message (Kind::kCatalog, child -> parent; design/LINK.md,
// "Catalog"): changes to what the sender shares upward, one update per
// camera, each replacing what the parent held for that camera (an entry)
// or removing it (no entry). The payload is JSON:
//
//   {"updates": [{"path": ["village1", "house7"], "camera": "door",
//                 "entry": {"name": "Door", "owner": "Zhang family",
//                           "state": "streaming", "codec": "h264",
//                           "width": 1920, "height": 1080,
//                           "rights": {"township": ["live"], "county": ["live", "snapshot"]},
//                           "public": {"covers": "Lane to the well", "run_by": "Zhang family",
//                                      "retention_days": 30, "looks_30d": 4}}
//                 | null}]}
//
// `public` (optional) is there only when the camera's owner listed it in
// the public register (design/LINK.md, "Public register").
//
// `path` is the node path from the sender (first) to the camera's owner
// (last). The decoder takes bytes from the network: every type, size and
// id is checked, an unknown key is refused.

#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "access/shares.h"
#include "base/config.h"
#include "base/status.h"

namespace vigil::link {

// Nodes on a path, the sender's included: four tiers make at most three
// below the top.
inline constexpr size_t kMaxCatalogPath = 3;
inline constexpr size_t kMaxCatalogUpdates = 1000;  // per message
inline constexpr size_t kMaxCameraStateBytes = 32;
// A camera's state as links carry it: 1 to kMaxCameraStateBytes of [a-z_].
bool isValidCameraState(std::string_view state);

// What the owner of a camera that looks at a public place tells the
// public register: set only by the owner, passed on unchanged above.
inline constexpr size_t kMaxCoversBytes = 512;
inline constexpr int kMaxRetentionDays = 36500;
inline constexpr int64_t kMaxLooks = 1'000'000'000;
struct PublicListing {
  std::string covers;     // what it looks at: 1 to kMaxCoversBytes of UTF-8, no control characters
  std::string runBy;      // who runs it, as the owner names itself there: like a node name
  int retentionDays = 0;  // how long its video is kept: 0 (not recorded) to kMaxRetentionDays
  int64_t looks30d = 0;   // looks from other tiers in the last 30 days: 0 to kMaxLooks
  bool operator==(const PublicListing&) const = default;
};
// 1 to kMaxCoversBytes of UTF-8 without control characters.
bool isValidCovers(std::string_view covers);

// Per tier above the sender, the rights decided now at the source.
using TierRights = std::map<Tier, std::set<access::ShareRight>>;

struct CatalogEntry {
  std::string name;   // the camera's; 1 to kMaxNodeNameBytes, like a node name
  std::string owner;  // the owner node's name
  std::string state;  // camera::cameraStateName(): [a-z_]{1,32}
  std::string codec;  // "h264", "h265" or empty (not known yet)
  int width = 0;      // 0..65535
  int height = 0;
  TierRights rights;  // never empty, no tier without rights
  std::optional<PublicListing> publicListing;  // none: not in the public register
  // Its sound's codec ("aac", "alaw", "ulaw") while it streams sound that
  // goes up with its pictures; empty: none (or withheld: a camera with
  // privacy masks, design/LINK.md "Sound").
  std::string audio;
  bool operator==(const CatalogEntry&) const = default;
};

struct CatalogUpdate {
  std::vector<std::string> path;  // 1 to kMaxCatalogPath node ids, the sender first
  std::string camera;             // the camera's id on its owner node
  std::optional<CatalogEntry> entry;  // none: the camera is no longer shared upward
  bool operator==(const CatalogUpdate&) const = default;
};

// As many payloads as it takes for each to fit a frame (kMaxFrameBytes).
// The strings must be what decodeCatalog() accepts (Catalog makes them so).
std::vector<std::vector<uint8_t>> encodeCatalog(const std::vector<CatalogUpdate>& updates);
// InvalidArgument naming the field ("updates[2].path[0]: ...").
Result<std::vector<CatalogUpdate>> decodeCatalog(std::span<const uint8_t> payload);

}  // namespace vigil::link

#pragma once
// The messages of a look across tiers (design/LINK.md, "Looks"): a user
// on a node above asks, hop by hop down the links, to look at a camera of
// a node below; the node that owns the camera decides and answers; either
// end may end it. JSON payloads of control frames, decoded strictly:
// checked types, bounded sizes, ids by their grammar.
//
//   kLookOpen   parent -> child  {"look", "camera", "right", "user", "via", "tier"}
//   kLookAnswer child -> parent  {"look", "ok", "reason"?, "channel"?}
//   kLookClose  parent -> child  {"look"}
//   kLookEnd    child -> parent  {"look", "reason"}

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "access/shares.h"
#include "base/config.h"
#include "base/status.h"
#include "link/json_fields.h"

namespace vigil::link {

inline constexpr size_t kMaxViaNodes = 8;  // a path longer than the four tiers allow is refused anyway

struct LookOpen {
  uint64_t look = 0;       // the sender's id for it, unique on this link
  std::string camera;      // relative to the receiver: "door", or "house7.door" to pass down
  access::ShareRight right = access::ShareRight::kLive;
  std::string user;        // the user who looks, on the node that asked
  std::vector<std::string> via;  // node ids from the node that asked down to the sender
  Tier tier = Tier::kVillage;    // the tier of the node that asked
};
struct LookAnswer {
  uint64_t look = 0;
  bool ok = false;
  std::string reason;    // why not
  uint32_t channel = 0;  // live: the data channel its frames come on (one per camera per link)
};
struct LookClose {
  uint64_t look = 0;
};
struct LookEnd {
  uint64_t look = 0;
  std::string reason;  // "revoked: ...", "link lost", ...
};

std::vector<uint8_t> encode(const LookOpen& m);
std::vector<uint8_t> encode(const LookAnswer& m);
std::vector<uint8_t> encode(const LookClose& m);
std::vector<uint8_t> encode(const LookEnd& m);

Result<LookOpen> decodeLookOpen(std::span<const uint8_t> payload);
Result<LookAnswer> decodeLookAnswer(std::span<const uint8_t> payload);
Result<LookClose> decodeLookClose(std::span<const uint8_t> payload);
Result<LookEnd> decodeLookEnd(std::span<const uint8_t> payload);

// What every ask from above carries (looks, recorded media), read the
// same strict way: "camera" (a camera ref), "user", "via" and "tier".
void readWhoAsks(JsonFields& f, std::string& camera, std::string& user, std::vector<std::string>& via, Tier& tier);

}  // namespace vigil::link

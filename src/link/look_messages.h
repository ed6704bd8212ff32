#pragma once
// The messages of a look across tiers (design/LINK.md, "Looks"): a user
// on a node above asks, hop by hop down the links, to look at a camera of
// a node below; the node that owns the camera decides and answers; either
// end may end it. JSON payloads of control frames, decoded strictly:
// checked types, bounded sizes, ids by their grammar.
//
//   kLookOpen   parent -> child  {"look", "camera", "right", "user", "via", "tier", "at"?, "nonce"?, "signature"?}
//   kLookAnswer child -> parent  {"look", "ok", "reason"?, "channel"?}
//   kLookClose  parent -> child  {"look"}
//   kLookEnd    child -> parent  {"look", "reason"}

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "access/shares.h"
#include "base/config.h"
#include "base/status.h"
#include "link/json_fields.h"
#include "link/proof.h"

namespace vigil::link {

inline constexpr size_t kMaxViaNodes = 8;  // a path longer than the four tiers allow is refused anyway

// The asking node's signature of an ask (askStatement), passed down
// unchanged; the owner checks it (design/LINK.md, "Who asks").
struct AskProof {
  uint64_t atMs = 0;
  AskNonce nonce{};
  Signature signature{};
  friend bool operator==(const AskProof&, const AskProof&) = default;
};

struct LookOpen {
  uint64_t look = 0;       // the sender's id for it, unique on this link
  std::string camera;      // relative to the receiver: "door", or "house7.door" to pass down
  access::ShareRight right = access::ShareRight::kLive;
  std::string user;        // the user who looks, on the node that asked
  std::vector<std::string> via;  // node ids from the node that asked down to the sender
  Tier tier = Tier::kVillage;    // the tier of the node that asked
  std::optional<AskProof> proof = std::nullopt;  // none: unsigned, refused by the owner
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

// What every ask from above carries (looks, recorded media), read and
// written the same strict way: "camera" (a camera ref), "user", "via",
// "tier", and the proof's "at", "nonce", "signature" (all or none).
void readWhoAsks(JsonFields& f, std::string& camera, std::string& user, std::vector<std::string>& via, Tier& tier,
                 std::optional<AskProof>& proof);
void writeProof(nlohmann::json& j, const std::optional<AskProof>& proof);

}  // namespace vigil::link

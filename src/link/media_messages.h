#pragma once
// The messages of recorded media across tiers (design/LINK.md, "Recorded
// media across tiers"): a user on a node above asks, hop by hop down the
// links, for a recording route of a camera of a node below (its list of
// recordings, a playback playlist or segment, an export); the node that
// owns the camera decides, answers with its own route and streams the
// reply up, never more body bytes than the asker granted (its window,
// then credits), so nothing is dropped on the way and every hop holds at
// most a window per request. Control payloads are JSON decoded strictly
// (checked types, bounded sizes, ids by their grammar); a reply is a data
// frame on the request's channel:
//
//   kMediaOpen   parent -> child  {"request","camera","path","query","range"?,"if_range"?,"user","via","tier","window",
//                                 "at"?,"nonce"?,"signature"?}
//   kMediaCredit parent -> child  {"request","bytes"}
//   kMediaCancel parent -> child  {"request"}
//   kMediaReply  child -> parent  part u8, then: 1 head: JSON {"status","type","length","ranges",
//                                 "content_range"?,"disposition"?,"reason"?}; 2 body: bytes; 3 end: JSON {"reason"?}

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "base/config.h"
#include "base/status.h"
#include "link/look_messages.h"
#include "link/wire.h"

namespace vigil::link {

// Body bytes in one reply frame, and the most a window may hold.
inline constexpr size_t kMediaChunkBytes = kMaxFrameBytes - kHeaderBytes - 1;
inline constexpr uint64_t kMaxMediaWindow = 16 << 20;

struct MediaOpen {
  uint32_t request = 0;  // the sender's id for it, nonzero, unique on this link: the reply's channel
  std::string camera;    // relative to the receiver, as for a look
  std::string path;      // after /api/v1/cameras/{id}/: "recordings", "playback.m3u8", "playback/3.m4s", "export.mp4"
  std::string query;     // raw, without '?'
  std::string range;     // the asker's Range header; empty: none
  std::string ifRange;   // its If-Range header; empty: none
  std::string user;      // the user who asks, on the node that asked
  std::vector<std::string> via;  // node ids from the node that asked down to the sender
  Tier tier = Tier::kVillage;    // the tier of the node that asked
  uint64_t window = 0;           // body bytes the reply may send before any credit
  std::optional<AskProof> proof = std::nullopt;  // none: unsigned, refused by the owner
};
struct MediaCredit {
  uint32_t request = 0;
  uint64_t bytes = 0;  // more body bytes the reply may send
};
struct MediaCancel {
  uint32_t request = 0;
};

// The reply's status and the headers that matter to a player.
struct MediaHead {
  int status = 200;
  std::string type;    // Content-Type
  uint64_t length = 0;  // of the body that follows (Content-Length)
  // The owner answered from a body that serves Range requests (it applied
  // the asker's Range and If-Range itself).
  bool ranges = false;
  std::string contentRange;
  std::string disposition;
  std::string reason;  // set when the link refused (not the route): the owner's words
};
enum class MediaPart : uint8_t { kHead = 1, kBody = 2, kEnd = 3 };
struct MediaReply {
  MediaPart part = MediaPart::kEnd;
  MediaHead head;                 // kHead
  std::span<const uint8_t> body;  // kBody: into the decoded payload
  std::string reason;             // kEnd: empty when the body is whole, else why it was cut
};

std::vector<uint8_t> encode(const MediaOpen& m);
std::vector<uint8_t> encode(const MediaCredit& m);
std::vector<uint8_t> encode(const MediaCancel& m);
std::vector<uint8_t> encodeMediaHead(const MediaHead& head);
std::vector<uint8_t> encodeMediaBody(std::span<const uint8_t> bytes);
std::vector<uint8_t> encodeMediaEnd(std::string_view reason);

Result<MediaOpen> decodeMediaOpen(std::span<const uint8_t> payload);
Result<MediaCredit> decodeMediaCredit(std::span<const uint8_t> payload);
Result<MediaCancel> decodeMediaCancel(std::span<const uint8_t> payload);
// `payload` must outlive a body part's span.
Result<MediaReply> decodeMediaReply(std::span<const uint8_t> payload);
// A reply's part without decoding the rest (what a node passing it up needs).
inline bool isMediaEnd(std::span<const uint8_t> payload) {
  return !payload.empty() && payload[0] == static_cast<uint8_t>(MediaPart::kEnd);
}

}  // namespace vigil::link

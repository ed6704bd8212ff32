#pragma once
// Emergency broadcasts and notices (应急广播, design/ALARMS.md "Broadcasts
// and notices"): what a node above household sends down to the households
// below it, and the receipts that come back up. The three outbox
// messages' bodies, strict (unknown keys refused, times in Unix ms):
//
//   notice.send    parent -> child  JSON: the notice (id, from, text, priority,
//                                   sent_at, expires_at, to, audio_type, audio_bytes)
//   notice.audio   parent -> child  binary: the notice's id (32 hex), the chunk's
//                                   index (4 bytes, big-endian), its bytes
//   notice.receipt child -> parent  JSON: {"id", "households": [{"node",
//                                   "delivered_at", "seen_at"}]}, 0 = not yet;
//                                   "node" the household's path from the
//                                   sender ("house1", "village1.house1")
//
// A notice's audio (at most 1 MiB) does not fit one message (64 KiB): it
// follows the notice as ordered chunks of kAudioChunkBytes, the last one
// shorter; the outbox keeps them in order after the notice.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace vigil::alarm {

inline constexpr std::string_view kNoticeMessage = "notice.send";     // parent -> child
inline constexpr std::string_view kAudioMessage = "notice.audio";     // parent -> child
inline constexpr std::string_view kReceiptMessage = "notice.receipt"; // child -> parent

inline constexpr size_t kMaxNoticeChars = 2000;        // UTF-8 characters
inline constexpr size_t kMaxNoticeTargets = 1000;      // ids in "to"
inline constexpr size_t kMaxAudioBytes = 1 << 20;
inline constexpr size_t kAudioChunkBytes = 48 * 1024;  // with its header, well inside one message
inline constexpr size_t kMaxReceiptRows = 150;         // per message: 150 rows of the longest paths fit 64 KiB

enum class Priority { kNormal, kUrgent };
std::string_view priorityName(Priority p);
std::optional<Priority> priorityFromName(std::string_view name);
// A node a notice names, by its path from the node that reads `to`: its
// child "village1", or further down "village1.house2" (at most 3 ids: a
// county's household).
bool isNoticeTarget(std::string_view path);
// The audio types a notice may carry (what browsers record and play).
bool isAudioType(std::string_view type);

struct Notice {
  std::string id;               // 32 hex digits, random, made by the sender
  std::string from;             // the sender node's id
  std::string text;
  Priority priority = Priority::kNormal;
  int64_t sentAt = 0;           // Unix ms, the sender's clock
  int64_t expiresAt = 0;        // Unix ms: neither delivered nor shown after
  std::vector<std::string> to;  // node paths from the receiver (isNoticeTarget); empty: every household below
  std::string audioType;        // empty: no audio
  int64_t audioBytes = 0;

  int64_t audioChunks() const;
  friend bool operator==(const Notice&, const Notice&) = default;
};

std::vector<uint8_t> encode(const Notice& n);
// InvalidArgument naming the field at fault.
Result<Notice> decodeNotice(std::span<const uint8_t> body);

struct AudioChunk {
  std::string id;
  uint32_t index = 0;
  std::span<const uint8_t> bytes;  // into the body decoded
};
std::vector<uint8_t> encodeAudioChunk(const std::string& id, uint32_t index, std::span<const uint8_t> bytes);
Result<AudioChunk> decodeAudioChunk(std::span<const uint8_t> body);

// One household's receipt, as it travels up (0: not yet). A row with
// neither time only says that the household was targeted.
struct HouseholdReceipt {
  std::string node;  // its path from here: ids are unique only among one parent's children
  int64_t deliveredAt = 0;
  int64_t seenAt = 0;
  friend bool operator==(const HouseholdReceipt&, const HouseholdReceipt&) = default;
};
struct Receipts {
  std::string id;
  std::vector<HouseholdReceipt> households;  // 1..kMaxReceiptRows
  friend bool operator==(const Receipts&, const Receipts&) = default;
};
std::vector<uint8_t> encode(const Receipts& r);
Result<Receipts> decodeReceipts(std::span<const uint8_t> body);

// Folds `theirs` into `ours` (same household): the earliest time of each
// wins, a time set never unsets. True when `ours` changed.
bool merge(HouseholdReceipt& ours, const HouseholdReceipt& theirs);

}  // namespace vigil::alarm

#pragma once
// The per-recording sample index: one entry per access unit (duration in
// 90 kHz ticks, size in bytes, keyframe flag), stored in the recording row
// as a compact varint blob (design/STORAGE.md, "Sample index").
//
// Encoding, per sample, two varints:
//   1. zigzag(duration - previous duration) << 1 | keyframe
//   2. zigzag(size - previous size of a sample of the same kind)
// "Same kind" keeps keyframes (large) and other frames (small) from
// inflating each other's deltas. A steady camera costs about 3 bytes per
// sample: 4.5 KB for a minute at 25 fps.

#include <cstdint>
#include <span>
#include <vector>

#include "base/status.h"

namespace vigil::storage {

struct SampleInfo {
  int32_t duration = 0;  // 90 kHz ticks until the next sample; > 0
  uint32_t bytes = 0;    // length-prefixed NAL units of the access unit; > 0
  bool keyframe = false;

  friend bool operator==(const SampleInfo&, const SampleInfo&) = default;
};

// Appends samples to an encoded index; keeps the delta state so a
// recording's index can grow one sample at a time.
class SampleIndexEncoder {
 public:
  void add(const SampleInfo& sample);
  const std::vector<uint8_t>& bytes() const { return bytes_; }

 private:
  std::vector<uint8_t> bytes_;
  int32_t prevDuration_ = 0;
  uint32_t prevBytes_[2] = {0, 0};  // [keyframe]
};

// Decodes a whole index. A truncated or overflowing varint, a duration or
// size that is not positive, is DataLoss: the blob is corrupt.
Result<std::vector<SampleInfo>> decodeSampleIndex(std::span<const uint8_t> blob);

// 90 kHz media ticks as wall-clock microseconds, rounded down. Every wall
// time derived from media durations (a recording's end, a sample's start)
// goes through this one function so that contiguous recordings meet
// exactly.
inline int64_t ticksToMicros(int64_t ticks) { return ticks * 100 / 9; }

// Varints (LEB128, least significant group first), exposed for tests.
void appendVarint(std::vector<uint8_t>& out, uint64_t value);
// Reads one varint at `pos`, advancing it; false on truncation or > 64 bits.
bool readVarint(std::span<const uint8_t> in, size_t& pos, uint64_t& value);

}  // namespace vigil::storage

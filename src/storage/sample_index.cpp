#include "storage/sample_index.h"

#include <fmt/format.h>

#include <limits>

namespace vigil::storage {
namespace {

uint64_t zigzag(int64_t v) { return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63); }
int64_t unzigzag(uint64_t v) { return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1); }

}  // namespace

void appendVarint(std::vector<uint8_t>& out, uint64_t value) {
  while (value >= 0x80) {
    out.push_back(static_cast<uint8_t>(value | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<uint8_t>(value));
}

bool readVarint(std::span<const uint8_t> in, size_t& pos, uint64_t& value) {
  value = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (pos >= in.size()) return false;
    const uint8_t b = in[pos++];
    if (shift == 63 && (b & 0x7e) != 0) return false;  // more than 64 bits
    value |= uint64_t{b & 0x7fu} << shift;
    if ((b & 0x80) == 0) return true;
  }
  return false;
}

void SampleIndexEncoder::add(const SampleInfo& s) {
  appendVarint(bytes_, zigzag(int64_t{s.duration} - prevDuration_) << 1 | (s.keyframe ? 1 : 0));
  uint32_t& prev = prevBytes_[s.keyframe ? 1 : 0];
  appendVarint(bytes_, zigzag(int64_t{s.bytes} - prev));
  prevDuration_ = s.duration;
  prev = s.bytes;
}

Result<std::vector<SampleInfo>> decodeSampleIndex(std::span<const uint8_t> blob) {
  std::vector<SampleInfo> out;
  int64_t prevDuration = 0;
  int64_t prevBytes[2] = {0, 0};
  size_t pos = 0;
  while (pos < blob.size()) {
    uint64_t first = 0, second = 0;
    if (!readVarint(blob, pos, first) || !readVarint(blob, pos, second)) {
      return Status::dataLoss(fmt::format("sample index: truncated varint at byte {}", pos));
    }
    const bool key = (first & 1) != 0;
    const int64_t duration = prevDuration + unzigzag(first >> 1);
    const int64_t bytes = prevBytes[key ? 1 : 0] + unzigzag(second);
    if (duration <= 0 || duration > std::numeric_limits<int32_t>::max() || bytes <= 0 ||
        bytes > std::numeric_limits<uint32_t>::max()) {
      return Status::dataLoss(fmt::format("sample index: sample {} has duration {} and size {}",
                                          out.size(), duration, bytes));
    }
    out.push_back({static_cast<int32_t>(duration), static_cast<uint32_t>(bytes), key});
    prevDuration = duration;
    prevBytes[key ? 1 : 0] = bytes;
  }
  return out;
}

}  // namespace vigil::storage

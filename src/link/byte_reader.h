#pragma once
// Big-endian fields in and out of the link's binary payloads (wire.h,
// stream_frames.h): writers append, the Reader checks every read against
// what is left and never reads past its input.

#include <fmt/format.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace vigil::link {

inline void putU16(std::vector<uint8_t>& out, uint16_t v) {
  out.push_back(static_cast<uint8_t>(v >> 8));
  out.push_back(static_cast<uint8_t>(v));
}
inline void putU32(std::vector<uint8_t>& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<uint8_t>(v >> shift));
}
inline void putU64(std::vector<uint8_t>& out, uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<uint8_t>(v >> shift));
}
inline void putBytes(std::vector<uint8_t>& out, std::span<const uint8_t> bytes) {
  out.insert(out.end(), bytes.begin(), bytes.end());
}

// Reads fields off a payload; every read checks what is left.
class Reader {
 public:
  Reader(std::span<const uint8_t> bytes, std::string_view what) : bytes_(bytes), what_(what) {}
  bool u8(uint8_t& v) { return fixed(&v, 1); }
  bool u16(uint16_t& v) {
    uint8_t b[2];
    if (!fixed(b, 2)) return false;
    v = static_cast<uint16_t>(b[0] << 8 | b[1]);
    return true;
  }
  bool u32(uint32_t& v) {
    uint8_t b[4];
    if (!fixed(b, 4)) return false;
    v = uint32_t{b[0]} << 24 | uint32_t{b[1]} << 16 | uint32_t{b[2]} << 8 | b[3];
    return true;
  }
  bool u64(uint64_t& v) {
    uint8_t b[8];
    if (!fixed(b, 8)) return false;
    v = 0;
    for (uint8_t x : b) v = v << 8 | x;
    return true;
  }
  template <size_t N>
  bool array(std::array<uint8_t, N>& out) {
    return fixed(out.data(), N);
  }
  bool string(std::string& out, size_t size) {
    if (bytes_.size() < size) return false;
    out.assign(reinterpret_cast<const char*>(bytes_.data()), size);
    bytes_ = bytes_.subspan(size);
    return true;
  }
  // The next `size` bytes, not copied.
  bool view(std::span<const uint8_t>& out, size_t size) {
    if (bytes_.size() < size) return false;
    out = bytes_.first(size);
    bytes_ = bytes_.subspan(size);
    return true;
  }
  size_t left() const { return bytes_.size(); }
  Status error(std::string_view why) const { return Status::invalidArgument(fmt::format("link {}: {}", what_, why)); }
  Status truncated() const { return error("truncated"); }
  // OK when everything was read.
  Status done() const { return bytes_.empty() ? Status::ok() : error("trailing bytes"); }

 private:
  bool fixed(uint8_t* out, size_t n) {
    if (bytes_.size() < n) return false;
    std::memcpy(out, bytes_.data(), n);
    bytes_ = bytes_.subspan(n);
    return true;
  }
  std::span<const uint8_t> bytes_;
  std::string_view what_;
};

}  // namespace vigil::link

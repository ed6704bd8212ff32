#pragma once
// Byte and text helpers shared by the protocol parsers: base64 (SDP
// sprop-parameter-sets, HTTP Basic auth), lower-case hex (digests), URL
// percent-encoding, trimming, and big-endian integers.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace vigil {

std::string base64Encode(std::span<const uint8_t> bytes);
// Standard alphabet; padding optional; whitespace is not accepted.
std::optional<std::vector<uint8_t>> base64Decode(std::string_view text);
std::string hexEncode(std::span<const uint8_t> bytes);

// Decodes "%XY" escapes (RFC 3986, hex digits of either case). nullopt when
// a '%' is not followed by two hex digits. With plusIsSpace, '+' stands for
// ' ' (application/x-www-form-urlencoded: query strings); otherwise it is
// kept. Decoded bytes are not checked: callers refuse what they must ('/',
// NUL...).
std::optional<std::string> percentDecode(std::string_view text, bool plusIsSpace = false);
// The same without '+', for text people type (credentials in camera URLs):
// a '%' that starts no valid escape is kept as it is.
std::string percentDecodeLenient(std::string_view text);

// `text` without the leading and trailing characters found in `chars`
// (by default HTTP's and RTSP's optional whitespace, space and tab).
std::string_view trim(std::string_view text, std::string_view chars = " \t");

// Big-endian (network order) integers read from and written to `p`, which
// must hold enough bytes.
inline uint16_t readBigEndian16(const uint8_t* p) { return static_cast<uint16_t>((p[0] << 8) | p[1]); }
inline uint32_t readBigEndian24(const uint8_t* p) {
  return (uint32_t{p[0]} << 16) | (uint32_t{p[1]} << 8) | p[2];
}
inline uint32_t readBigEndian32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}
inline void writeBigEndian16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}
inline void writeBigEndian32(uint8_t* p, uint32_t v) {
  writeBigEndian16(p, static_cast<uint16_t>(v >> 16));
  writeBigEndian16(p + 2, static_cast<uint16_t>(v));
}

}  // namespace vigil

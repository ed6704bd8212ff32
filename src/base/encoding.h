#pragma once
// Byte encodings used by protocols: base64 (SDP sprop-parameter-sets, HTTP
// Basic auth), lower-case hex (digests) and URL percent-encoding.

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

}  // namespace vigil

#pragma once
// Byte encodings used by protocols: base64 (SDP sprop-parameter-sets, HTTP
// Basic auth) and lower-case hex (digests).

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

}  // namespace vigil

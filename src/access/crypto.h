#pragma once
// The access module's cryptography, all from libsodium: Argon2id password
// hashes, random passwords and session tokens, SHA-256.

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "base/status.h"

namespace vigil::access {

inline constexpr size_t kMinPasswordLength = 12;
// Bounds the work an attacker can ask of the hasher with one request.
inline constexpr size_t kMaxPasswordLength = 1024;

// InvalidArgument saying what is wrong (too short, too long); never echoes
// the password.
Status checkPasswordPolicy(std::string_view password);

// crypto_pwhash_str (Argon2id, libsodium's "interactive" limits): a string
// holding algorithm, parameters, salt and hash.
Result<std::string> hashPassword(std::string_view password);
// Constant-time check against a hashPassword() string; false for a malformed hash.
bool verifyPassword(std::string_view password, std::string_view hash);

// 16 characters from an alphabet without look-alikes (about 90 bits).
std::string generatePassword();
// 256 random bits as 64 lower-case hex characters.
std::string generateSessionToken();
bool looksLikeSessionToken(std::string_view token);

std::array<uint8_t, 32> sha256(std::string_view data);
// Lower-case hex SHA-256.
std::string sha256Hex(std::string_view data);
// A string's bytes, for the APIs that sign and hash bytes.
inline std::span<const uint8_t> asBytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}
// Lower-case hex of exactly out.size() bytes into `out`; false for anything
// else (keys, signatures and digests are spelled one way only).
bool hexDecode(std::string_view hex, std::span<uint8_t> out);

}  // namespace vigil::access

#pragma once
// Invitation codes (design/LINK.md, "Enrolment"): 20 symbols of Crockford
// base32 in four groups, "7K3QD-M2XW9-4HBTR-P0ZC6". The first 8 symbols
// (40 bits) are the one-time secret; the last 12 (60 bits) are the start
// of SHA-256 of the parent's public key, so the child knows which key to
// expect before it sends the secret anywhere.

#include <span>
#include <string>
#include <string_view>

#include "base/status.h"

namespace vigil::link {

inline constexpr size_t kSecretSymbols = 8;
inline constexpr size_t kFingerprintSymbols = 12;

struct InviteCode {
  std::string secret;       // kSecretSymbols canonical symbols (upper case)
  std::string fingerprint;  // kFingerprintSymbols symbols
  std::string toString() const;  // grouped by 5, with '-'
};

// kFingerprintSymbols symbols of base32(SHA-256(publicKey)).
std::string keyFingerprint(std::span<const uint8_t> publicKey);
// A fresh secret (libsodium's randombytes) for the parent holding this key.
InviteCode newInviteCode(std::span<const uint8_t> parentKey);
// What people type: case, spaces and '-' do not matter, and O, I and L
// read as 0, 1 and 1 (Crockford). InvalidArgument saying what is wrong.
Result<InviteCode> parseInviteCode(std::string_view text);

}  // namespace vigil::link

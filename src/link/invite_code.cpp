#include "link/invite_code.h"

#include <fmt/format.h>
#include <sodium.h>

#include <array>

namespace vigil::link {

namespace {

constexpr std::string_view kAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
constexpr size_t kGroup = 5;

// The first `symbols` base32 symbols of `bytes`, 5 bits each, most
// significant first.
std::string base32Prefix(std::span<const uint8_t> bytes, size_t symbols) {
  std::string out;
  for (size_t i = 0; i < symbols; ++i) {
    unsigned value = 0;
    for (size_t bit = i * 5; bit < i * 5 + 5; ++bit) {
      value = value << 1 | ((bytes[bit / 8] >> (7 - bit % 8)) & 1u);
    }
    out.push_back(kAlphabet[value]);
  }
  return out;
}

// The canonical symbol for a typed character, or 0.
char canonical(char c) {
  if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  if (c == 'O') return '0';
  if (c == 'I' || c == 'L') return '1';
  return kAlphabet.find(c) == std::string_view::npos ? 0 : c;
}

}  // namespace

std::string InviteCode::toString() const {
  const std::string all = secret + fingerprint;
  std::string out;
  for (size_t i = 0; i < all.size(); ++i) {
    if (i > 0 && i % kGroup == 0) out.push_back('-');
    out.push_back(all[i]);
  }
  return out;
}

std::string keyFingerprint(std::span<const uint8_t> publicKey) {
  std::array<uint8_t, crypto_hash_sha256_BYTES> digest{};
  crypto_hash_sha256(digest.data(), publicKey.data(), publicKey.size());
  return base32Prefix(digest, kFingerprintSymbols);
}

InviteCode newInviteCode(std::span<const uint8_t> parentKey) {
  std::array<uint8_t, 5> random{};  // 40 bits: exactly kSecretSymbols symbols
  randombytes_buf(random.data(), random.size());
  return {base32Prefix(random, kSecretSymbols), keyFingerprint(parentKey)};
}

Result<InviteCode> parseInviteCode(std::string_view text) {
  std::string symbols;
  for (char c : text) {
    if (c == '-' || c == ' ') continue;
    const char s = canonical(c);
    if (s == 0) return Status::invalidArgument("invitation code: only letters, digits and '-' (it looks like 7K3QD-M2XW9-4HBTR-P0ZC6)");
    symbols.push_back(s);
  }
  if (symbols.size() != kSecretSymbols + kFingerprintSymbols) {
    return Status::invalidArgument(fmt::format("invitation code: {} symbols, expected {} (it looks like 7K3QD-M2XW9-4HBTR-P0ZC6)",
                                               symbols.size(), kSecretSymbols + kFingerprintSymbols));
  }
  return InviteCode{symbols.substr(0, kSecretSymbols), symbols.substr(kSecretSymbols)};
}

}  // namespace vigil::link

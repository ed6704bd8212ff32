#include "access/crypto.h"

#include <fmt/format.h>
#include <sodium.h>

#include <cstdlib>

#include "base/encoding.h"

namespace vigil::access {

namespace {

// sodium_init() is thread-safe and idempotent; it fails only when the
// system has no source of randomness, which vigil cannot run without.
void ensureSodium() {
  static const bool ready = sodium_init() >= 0;
  if (!ready) std::abort();
}

}  // namespace

Status checkPasswordPolicy(std::string_view password) {
  if (password.size() < kMinPasswordLength) {
    return Status::invalidArgument(fmt::format("password: must have at least {} characters", kMinPasswordLength));
  }
  if (password.size() > kMaxPasswordLength) {
    return Status::invalidArgument(fmt::format("password: must have at most {} characters", kMaxPasswordLength));
  }
  return Status::ok();
}

Result<std::string> hashPassword(std::string_view password) {
  ensureSodium();
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str(out, password.data(), password.size(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                        crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
    return Status::resourceExhausted("password hashing ran out of memory");
  }
  return std::string(out);
}

bool verifyPassword(std::string_view password, std::string_view hash) {
  ensureSodium();
  if (hash.empty() || hash.size() >= crypto_pwhash_STRBYTES) return false;
  const std::string terminated(hash);  // the API wants a NUL-terminated string
  return crypto_pwhash_str_verify(terminated.c_str(), password.data(), password.size()) == 0;
}

std::string generatePassword() {
  ensureSodium();
  static constexpr char kAlphabet[] = "abcdefghijkmnpqrstuvwxyzACDEFGHJKLMNPQRSTUVWXYZ23456789";
  std::string out;
  for (int i = 0; i < 16; ++i) out += kAlphabet[randombytes_uniform(sizeof(kAlphabet) - 1)];
  return out;
}

std::string generateSessionToken() {
  ensureSodium();
  uint8_t bytes[32];
  randombytes_buf(bytes, sizeof(bytes));
  return hexEncode(bytes);
}

bool looksLikeSessionToken(std::string_view token) {
  if (token.size() != 64) return false;
  for (char c : token) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

std::array<uint8_t, 32> sha256(std::string_view data) {
  ensureSodium();
  static_assert(crypto_hash_sha256_BYTES == 32);
  std::array<uint8_t, 32> digest;
  crypto_hash_sha256(digest.data(), reinterpret_cast<const unsigned char*>(data.data()), data.size());
  return digest;
}

bool hexDecode(std::string_view hex, std::span<uint8_t> out) {
  if (hex.size() != 2 * out.size()) return false;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  for (size_t i = 0; i < out.size(); ++i) {
    const int hi = nibble(hex[2 * i]), lo = nibble(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    out[i] = static_cast<uint8_t>(hi * 16 + lo);
  }
  return true;
}
std::string sha256Hex(std::string_view data) { return hexEncode(sha256(data)); }

}  // namespace vigil::access

#include "onvif/wsse.h"

#include <fmt/format.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <array>
#include <vector>

#include "base/encoding.h"
#include "onvif/soap.h"

namespace vigil::onvif {

std::string passwordDigest(std::span<const uint8_t> nonce, std::string_view created, std::string_view password) {
  std::vector<uint8_t> input(nonce.begin(), nonce.end());
  input.insert(input.end(), created.begin(), created.end());
  input.insert(input.end(), password.begin(), password.end());
  std::array<uint8_t, SHA_DIGEST_LENGTH> digest{};
  SHA1(input.data(), input.size(), digest.data());
  return base64Encode(digest);
}

std::string securityHeader(std::string_view user, std::string_view password, WallTime now) {
  if (user.empty()) return {};
  std::array<uint8_t, 16> nonce{};
  if (RAND_bytes(nonce.data(), static_cast<int>(nonce.size())) != 1) {
    // OpenSSL's generator does not fail once seeded; a fixed nonce would
    // make digests replayable, so refuse to send one.
    return {};
  }
  // Seconds precision, "2026-12-07T12:00:00Z": some cameras reject fractions.
  const std::string created = WallTime::fromUnixMicros(now.unixMicros() / 1'000'000 * 1'000'000).toRfc3339();
  return fmt::format(
      R"(<wsse:Security s:mustUnderstand="1"><wsse:UsernameToken><wsse:Username>{}</wsse:Username>)"
      R"(<wsse:Password Type="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordDigest">{}</wsse:Password>)"
      R"(<wsse:Nonce EncodingType="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary">{}</wsse:Nonce>)"
      R"(<wsu:Created>{}</wsu:Created></wsse:UsernameToken></wsse:Security>)",
      xmlEscape(user), passwordDigest(nonce, created, password), base64Encode(nonce), created);
}

Status checkUsernameToken(pugi::xml_node header, std::string_view user, std::string_view password) {
  pugi::xml_node token = child(child(header, "Security"), "UsernameToken");
  if (!token) return Status::permissionDenied("no UsernameToken");
  if (childText(token, {"Username"}) != user) return Status::permissionDenied("unknown user");
  const auto nonce = base64Decode(childText(token, {"Nonce"}));
  if (!nonce) return Status::permissionDenied("the nonce is not Base64");
  const std::string expected = passwordDigest(*nonce, childText(token, {"Created"}), password);
  const std::string sent = childText(token, {"Password"});
  if (sent.size() != expected.size() || CRYPTO_memcmp(sent.data(), expected.data(), sent.size()) != 0) {
    return Status::permissionDenied("wrong password digest");
  }
  return Status::ok();
}

}  // namespace vigil::onvif

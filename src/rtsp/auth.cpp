#include "rtsp/auth.h"

#include <fmt/format.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "base/encoding.h"
#include "rtsp/message.h"

namespace vigil::rtsp {
namespace {

std::string digestHex(std::string_view algorithm, std::string_view text) {
  const EVP_MD* md = algorithm == "SHA-256" ? EVP_sha256() : EVP_md5();
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(text.data(), text.size(), out, &len, md, nullptr);
  return hexEncode(std::span<const uint8_t>(out, len));
}

// Splits `key=value, key="quoted, value"` parameter lists.
std::vector<std::pair<std::string, std::string>> parseParams(std::string_view s) {
  std::vector<std::pair<std::string, std::string>> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ' ' || s[i] == ',' || s[i] == '\t')) ++i;
    const size_t keyStart = i;
    while (i < s.size() && s[i] != '=' && s[i] != ',') ++i;
    std::string key(s.substr(keyStart, i - keyStart));
    while (!key.empty() && key.back() == ' ') key.pop_back();
    std::string value;
    if (i < s.size() && s[i] == '=') {
      ++i;
      while (i < s.size() && s[i] == ' ') ++i;
      if (i < s.size() && s[i] == '"') {
        ++i;
        while (i < s.size() && s[i] != '"') {
          if (s[i] == '\\' && i + 1 < s.size()) ++i;
          value += s[i++];
        }
        ++i;  // closing quote
      } else {
        while (i < s.size() && s[i] != ',') value += s[i++];
        while (!value.empty() && value.back() == ' ') value.pop_back();
      }
    }
    if (!key.empty()) out.emplace_back(std::move(key), std::move(value));
  }
  return out;
}

int strength(const Challenge& c) {
  if (c.scheme == "Basic") return 1;
  return c.algorithm == "SHA-256" ? 3 : 2;
}

}  // namespace

std::optional<Challenge> parseChallenge(std::string_view header) {
  const size_t sp = header.find(' ');
  const std::string_view scheme = header.substr(0, sp);
  const std::string_view rest = sp == std::string_view::npos ? std::string_view() : header.substr(sp + 1);
  Challenge c;
  if (equalsIgnoreCase(scheme, "Basic")) {
    c.scheme = "Basic";
  } else if (equalsIgnoreCase(scheme, "Digest")) {
    c.scheme = "Digest";
  } else {
    return std::nullopt;
  }
  for (auto& [key, value] : parseParams(rest)) {
    if (equalsIgnoreCase(key, "realm")) c.realm = value;
    else if (equalsIgnoreCase(key, "nonce")) c.nonce = value;
    else if (equalsIgnoreCase(key, "opaque")) c.opaque = value;
    else if (equalsIgnoreCase(key, "stale")) c.stale = equalsIgnoreCase(value, "true");
    else if (equalsIgnoreCase(key, "algorithm")) c.algorithm = value;
    else if (equalsIgnoreCase(key, "qop")) {
      // A list such as "auth,auth-int": we support "auth".
      for (auto& [q, unused] : parseParams(value)) {
        if (equalsIgnoreCase(q, "auth")) c.qopAuth = true;
      }
    }
  }
  if (c.scheme == "Digest") {
    if (equalsIgnoreCase(c.algorithm, "MD5")) c.algorithm = "MD5";
    else if (equalsIgnoreCase(c.algorithm, "SHA-256")) c.algorithm = "SHA-256";
    else return std::nullopt;  // MD5-sess, SHA-512-256...: not offered by cameras we know
    if (c.nonce.empty()) return std::nullopt;
  }
  return c;
}

std::optional<Challenge> strongestChallenge(const std::vector<std::string_view>& headers) {
  std::optional<Challenge> best;
  for (std::string_view h : headers) {
    auto c = parseChallenge(h);
    if (c && (!best || strength(*c) > strength(*best))) best = std::move(c);
  }
  return best;
}

std::string Authenticator::authorization(std::string_view method, std::string_view uri) {
  if (!challenge_) return {};
  const Challenge& c = *challenge_;
  if (c.scheme == "Basic") {
    const std::string plain = username_ + ":" + password_;
    return "Basic " + base64Encode(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(plain.data()), plain.size()));
  }
  const std::string ha1 = digestHex(c.algorithm, fmt::format("{}:{}:{}", username_, c.realm, password_));
  const std::string ha2 = digestHex(c.algorithm, fmt::format("{}:{}", method, uri));
  std::string out = fmt::format("Digest username=\"{}\", realm=\"{}\", nonce=\"{}\", uri=\"{}\"",
                                username_, c.realm, c.nonce, uri);
  if (c.qopAuth) {
    if (cnonce_.empty()) {
      uint8_t random[8];
      RAND_bytes(random, sizeof(random));
      cnonce_ = hexEncode(random);
    }
    const std::string nc = fmt::format("{:08x}", ++nonceCount_);
    const std::string response =
        digestHex(c.algorithm, fmt::format("{}:{}:{}:{}:auth:{}", ha1, c.nonce, nc, cnonce_, ha2));
    out += fmt::format(", response=\"{}\", qop=auth, nc={}, cnonce=\"{}\"", response, nc, cnonce_);
  } else {
    out += fmt::format(", response=\"{}\"", digestHex(c.algorithm, fmt::format("{}:{}:{}", ha1, c.nonce, ha2)));
  }
  if (c.algorithm != "MD5") out += fmt::format(", algorithm={}", c.algorithm);
  if (!c.opaque.empty()) out += fmt::format(", opaque=\"{}\"", c.opaque);
  return out;
}

}  // namespace vigil::rtsp

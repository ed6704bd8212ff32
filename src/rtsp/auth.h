#pragma once
// RTSP client authentication (RFC 2326 §D, via HTTP's schemes): Basic
// (RFC 7617) and Digest (RFC 2617 / RFC 7616) with MD5 or SHA-256, qop
// "auth" or none. Given the WWW-Authenticate challenges of a 401, picks the
// strongest scheme offered and produces Authorization header values.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace vigil::rtsp {

struct Challenge {
  std::string scheme;  // "Basic" | "Digest" (as recognised, case normalised)
  std::string realm;
  std::string nonce;
  std::string opaque;
  std::string algorithm = "MD5";  // "MD5" | "SHA-256"
  bool qopAuth = false;
  bool stale = false;
};

// Parses one WWW-Authenticate value; nullopt for schemes we do not speak.
std::optional<Challenge> parseChallenge(std::string_view header);
// The strongest usable challenge: Digest SHA-256 > Digest MD5 > Basic.
std::optional<Challenge> strongestChallenge(const std::vector<std::string_view>& headers);

class Authenticator {
 public:
  Authenticator(std::string username, std::string password)
      : username_(std::move(username)), password_(std::move(password)) {}
  void setChallenge(Challenge challenge) {
    challenge_ = std::move(challenge);
    nonceCount_ = 0;
  }
  bool hasChallenge() const { return challenge_.has_value(); }
  // The Authorization value for a request; empty when there is no challenge.
  std::string authorization(std::string_view method, std::string_view uri);

  // For tests: a fixed client nonce.
  void setClientNonceForTest(std::string cnonce) { cnonce_ = std::move(cnonce); }

 private:
  std::string username_;
  std::string password_;
  std::optional<Challenge> challenge_;
  unsigned nonceCount_ = 0;
  std::string cnonce_;
};

}  // namespace vigil::rtsp

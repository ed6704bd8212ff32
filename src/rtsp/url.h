#pragma once
// rtsp:// URLs as cameras use them: credentials in the authority are split
// off (and percent-decoded) so that requests and logs never carry them.
// The userinfo ends at the URL's LAST '@' (base/url_credentials.h), so a
// password may hold '@', '/' and ':'; an '@' in a path must be written %40.

#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"

namespace vigil::rtsp {

struct RtspUrl {
  std::string host;      // without brackets for IPv6
  uint16_t port = 554;
  std::string username;  // percent-decoded; empty when none
  std::string password;
  std::string pathAndQuery = "/";
  // "rtsp://host:port/path?query" without credentials: what goes in requests.
  std::string withoutCredentials() const;
  // "host:port" ("[::1]:554"), for messages.
  std::string hostPort() const;
  // Same host (as written, ASCII case ignored; no name is resolved) and
  // same port: where a camera's credentials may be sent.
  bool sameOrigin(const RtspUrl& other) const;
};

// InvalidArgument for anything but rtsp://[user[:pass]@]host[:port][/path].
// The message never repeats the URL (it may hold a password).
Result<RtspUrl> parseRtspUrl(std::string_view url);

}  // namespace vigil::rtsp

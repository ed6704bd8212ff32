#pragma once
// rtsp:// URLs as cameras use them: credentials in the authority are split
// off (and percent-decoded) so that requests and logs never carry them.

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
};

// InvalidArgument for anything but rtsp://[user[:pass]@]host[:port][/path].
// The message never repeats the URL (it may hold a password).
Result<RtspUrl> parseRtspUrl(std::string_view url);

// Removes "user:pass@" from any URL-looking text, for logs.
std::string redactCredentials(std::string_view url);

}  // namespace vigil::rtsp

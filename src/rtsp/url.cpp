#include "rtsp/url.h"

#include <fmt/format.h>

#include <charconv>

#include "base/encoding.h"
#include "base/url_credentials.h"
#include "rtsp/message.h"

namespace vigil::rtsp {

namespace {

std::string bracketed(const std::string& host) {
  return host.find(':') != std::string::npos ? fmt::format("[{}]", host) : host;
}

}  // namespace

std::string RtspUrl::withoutCredentials() const {
  return port == 554 ? fmt::format("rtsp://{}{}", bracketed(host), pathAndQuery)
                     : fmt::format("rtsp://{}:{}{}", bracketed(host), port, pathAndQuery);
}

std::string RtspUrl::hostPort() const { return fmt::format("{}:{}", bracketed(host), port); }

bool RtspUrl::sameOrigin(const RtspUrl& other) const {
  return port == other.port && equalsIgnoreCase(host, other.host);
}

Result<RtspUrl> parseRtspUrl(std::string_view url) {
  constexpr std::string_view kScheme = "rtsp://";
  if (url.size() < kScheme.size() || url.substr(0, kScheme.size()) != kScheme) {
    return Status::invalidArgument("not an rtsp:// URL");
  }
  RtspUrl out;
  std::string_view rest = url.substr(kScheme.size());
  if (const auto userinfo = findUrlUserinfo(url)) {
    out.username = percentDecodeLenient(userinfo->user);
    if (userinfo->password) out.password = percentDecodeLenient(*userinfo->password);
    rest = url.substr(userinfo->end + 1);
  }
  const size_t slash = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, slash);
  out.pathAndQuery = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  if (!out.pathAndQuery.empty() && out.pathAndQuery[0] == '?') out.pathAndQuery.insert(0, "/");
  std::string_view portText;
  if (!authority.empty() && authority[0] == '[') {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) return Status::invalidArgument("unterminated IPv6 address in URL");
    out.host = std::string(authority.substr(1, close - 1));
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') return Status::invalidArgument("bad port in URL");
      portText = after.substr(1);
    }
  } else {
    const size_t colon = authority.find(':');
    out.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) portText = authority.substr(colon + 1);
  }
  if (out.host.empty()) return Status::invalidArgument("URL has no host");
  if (!portText.empty()) {
    unsigned port = 0;
    auto [ptr, ec] = std::from_chars(portText.data(), portText.data() + portText.size(), port);
    if (ec != std::errc() || ptr != portText.data() + portText.size() || port == 0 || port > 65535) {
      return Status::invalidArgument("bad port in URL");
    }
    out.port = static_cast<uint16_t>(port);
  }
  return out;
}

}  // namespace vigil::rtsp

#include "rtsp/url.h"

#include <fmt/format.h>

#include <charconv>

#include "base/encoding.h"

namespace vigil::rtsp {

std::string RtspUrl::withoutCredentials() const {
  const std::string h = host.find(':') != std::string::npos ? fmt::format("[{}]", host) : host;
  return port == 554 ? fmt::format("rtsp://{}{}", h, pathAndQuery)
                     : fmt::format("rtsp://{}:{}{}", h, port, pathAndQuery);
}

Result<RtspUrl> parseRtspUrl(std::string_view url) {
  constexpr std::string_view kScheme = "rtsp://";
  if (url.size() < kScheme.size() || url.substr(0, kScheme.size()) != kScheme) {
    return Status::invalidArgument("not an rtsp:// URL");
  }
  std::string_view rest = url.substr(kScheme.size());
  const size_t slash = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, slash);
  RtspUrl out;
  out.pathAndQuery = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  if (!out.pathAndQuery.empty() && out.pathAndQuery[0] == '?') out.pathAndQuery.insert(0, "/");
  const size_t at = authority.rfind('@');
  if (at != std::string_view::npos) {
    const std::string_view userinfo = authority.substr(0, at);
    const size_t colon = userinfo.find(':');
    out.username = percentDecodeLenient(userinfo.substr(0, colon));
    if (colon != std::string_view::npos) out.password = percentDecodeLenient(userinfo.substr(colon + 1));
    authority = authority.substr(at + 1);
  }
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

std::string redactCredentials(std::string_view url) {
  std::string out(url);
  size_t scheme = out.find("://");
  while (scheme != std::string::npos) {
    const size_t start = scheme + 3;
    const size_t end = out.find_first_of("/?# ", start);
    const size_t at = out.rfind('@', end == std::string::npos ? out.size() : end);
    if (at != std::string::npos && at >= start) out.erase(start, at + 1 - start);
    scheme = out.find("://", start);
  }
  return out;
}

}  // namespace vigil::rtsp

#include "rtsp/transport.h"

#include <fmt/format.h>

#include <charconv>

#include "base/encoding.h"
#include "rtsp/message.h"

namespace vigil::rtsp {
namespace {

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  while (true) {
    const size_t p = s.find(sep);
    out.push_back(s.substr(0, p));
    if (p == std::string_view::npos) break;
    s.remove_prefix(p + 1);
  }
  return out;
}

bool parseUnsigned(std::string_view s, uint32_t max, uint32_t& out) {
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && ptr == s.data() + s.size() && out <= max;
}

// "a-b" or "a" (then b = a + 1).
bool parsePair(std::string_view s, uint32_t max, uint32_t& a, uint32_t& b) {
  const size_t dash = s.find('-');
  if (dash == std::string_view::npos) {
    if (!parseUnsigned(s, max, a)) return false;
    b = a + 1;
    return b <= max;
  }
  return parseUnsigned(s.substr(0, dash), max, a) && parseUnsigned(s.substr(dash + 1), max, b);
}

Result<TransportSpec> parseOne(std::string_view text) {
  TransportSpec spec;
  auto params = split(text, ';');
  const std::string_view proto = trim(params[0]);
  if (equalsIgnoreCase(proto, "RTP/AVP/TCP")) {
    spec.tcp = true;
  } else if (!equalsIgnoreCase(proto, "RTP/AVP") && !equalsIgnoreCase(proto, "RTP/AVP/UDP")) {
    return Status::unimplemented(fmt::format("transport protocol \"{}\"", proto));
  }
  for (size_t i = 1; i < params.size(); ++i) {
    const std::string_view p = trim(params[i]);
    const size_t eq = p.find('=');
    const std::string_view key = p.substr(0, eq);
    const std::string_view value = eq == std::string_view::npos ? std::string_view() : p.substr(eq + 1);
    uint32_t a = 0, b = 0;
    if (equalsIgnoreCase(key, "multicast")) {
      spec.multicast = true;
    } else if (equalsIgnoreCase(key, "interleaved")) {
      if (!parsePair(value, 255, a, b)) return Status::invalidArgument("bad interleaved channels");
      spec.interleavedRtp = static_cast<int>(a);
      spec.interleavedRtcp = static_cast<int>(b);
    } else if (equalsIgnoreCase(key, "client_port")) {
      if (!parsePair(value, 65535, a, b)) return Status::invalidArgument("bad client_port");
      spec.clientRtpPort = static_cast<uint16_t>(a);
      spec.clientRtcpPort = static_cast<uint16_t>(b);
    } else if (equalsIgnoreCase(key, "server_port")) {
      if (!parsePair(value, 65535, a, b)) return Status::invalidArgument("bad server_port");
      spec.serverRtpPort = static_cast<uint16_t>(a);
      spec.serverRtcpPort = static_cast<uint16_t>(b);
    } else if (equalsIgnoreCase(key, "ssrc")) {
      uint32_t ssrc = 0;
      auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), ssrc, 16);
      if (ec != std::errc() || ptr != value.data() + value.size()) {
        return Status::invalidArgument("bad ssrc");
      }
      spec.ssrc = ssrc;
    }
  }
  return spec;
}

}  // namespace

std::string TransportSpec::toString() const {
  std::string out = tcp ? "RTP/AVP/TCP;unicast" : (multicast ? "RTP/AVP;multicast" : "RTP/AVP;unicast");
  if (interleavedRtp >= 0) out += fmt::format(";interleaved={}-{}", interleavedRtp, interleavedRtcp);
  if (clientRtpPort) out += fmt::format(";client_port={}-{}", clientRtpPort, clientRtcpPort);
  if (serverRtpPort) out += fmt::format(";server_port={}-{}", serverRtpPort, serverRtcpPort);
  if (ssrc) out += fmt::format(";ssrc={:08X}", *ssrc);
  return out;
}

Result<std::vector<TransportSpec>> parseTransportHeader(std::string_view value) {
  std::vector<TransportSpec> out;
  Status last = Status::invalidArgument("empty Transport header");
  for (std::string_view alt : split(value, ',')) {
    auto spec = parseOne(alt);
    if (spec) {
      out.push_back(*spec);
    } else {
      last = spec.status();
    }
  }
  if (out.empty()) return last;
  return out;
}

}  // namespace vigil::rtsp

#include "access/client_address.h"

#include <arpa/inet.h>

#include <cstdint>
#include <cstring>

namespace vigil::access {

ClientKeys clientKeys(std::string_view text) {
  // A link-local peer comes as "fe80::1%eth0": inet_pton takes no scope.
  const size_t percent = text.find('%');
  const std::string bare(text.substr(0, percent));
  const std::string_view scope = percent == std::string_view::npos ? "" : text.substr(percent);
  char out[INET6_ADDRSTRLEN] = {};
  auto ipv4 = [&](const uint8_t* bytes) {
    ::inet_ntop(AF_INET, bytes, out, sizeof out);
    ClientKeys keys{out, "", bytes[0] == 127 && bytes[1] == 0 && bytes[2] == 0 && bytes[3] == 1};
    uint8_t net[4] = {bytes[0], bytes[1], bytes[2], 0};
    ::inet_ntop(AF_INET, net, out, sizeof out);
    keys.network = std::string(out) + "/24";
    return keys;
  };
  in_addr v4{};
  if (::inet_pton(AF_INET, bare.c_str(), &v4) == 1) return ipv4(reinterpret_cast<const uint8_t*>(&v4));
  in6_addr v6{};
  if (::inet_pton(AF_INET6, bare.c_str(), &v6) != 1) return {std::string(text), "", false};
  static constexpr uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::memcmp(v6.s6_addr, kMapped, sizeof kMapped) == 0) return ipv4(v6.s6_addr + 12);
  if (v6.s6_addr[0] == 0xfe && (v6.s6_addr[1] & 0xc0) == 0x80) return {"fe80::/10" + std::string(scope), "", false};
  const bool loopback = IN6_IS_ADDR_LOOPBACK(&v6);
  auto prefix = [&](int bytes, std::string_view suffix) {
    in6_addr p = v6;
    std::memset(p.s6_addr + bytes, 0, 16 - bytes);
    ::inet_ntop(AF_INET6, &p, out, sizeof out);
    return std::string(out) + std::string(suffix);
  };
  return {prefix(8, "/64"), prefix(6, "/48"), loopback};
}

std::string printableUserAgent(std::string_view agent) {
  constexpr size_t kMaxUserAgent = 200;
  std::string out;
  for (char c : agent.substr(0, kMaxUserAgent)) out += (c >= 0x20 && c < 0x7f) ? c : '?';
  return out;
}

}  // namespace vigil::access

#include "onvif/discovery.h"

#include <fmt/format.h>
#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <functional>

#include "base/encoding.h"
#include "onvif/messages.h"
#include "onvif/soap.h"

namespace vigil::onvif {

namespace asio = boost::asio;
using asio::ip::udp;

std::string randomUrnUuid() {
  std::array<uint8_t, 16> b{};
  RAND_bytes(b.data(), static_cast<int>(b.size()));
  b[6] = static_cast<uint8_t>((b[6] & 0x0f) | 0x40);  // version 4
  b[8] = static_cast<uint8_t>((b[8] & 0x3f) | 0x80);  // RFC 4122 variant
  const std::string hex = hexEncode(b);
  return fmt::format("urn:uuid:{}-{}-{}-{}-{}", hex.substr(0, 8), hex.substr(8, 4), hex.substr(12, 4),
                     hex.substr(16, 4), hex.substr(20));
}

Result<std::vector<DiscoveredDevice>> discover(const DiscoveryOptions& options) {
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(options.target.host, ec);
  if (ec) return Status::invalidArgument(fmt::format("WS-Discovery: \"{}\" is not an IP address", options.target.host));
  asio::io_context io;
  udp::socket socket(io);
  socket.open(address.is_v4() ? udp::v4() : udp::v6(), ec);
  if (!ec) socket.bind(udp::endpoint(address.is_v4() ? udp::v4() : udp::v6(), 0), ec);
  if (ec) return Status::unavailable(fmt::format("WS-Discovery: cannot open a UDP socket: {}", ec.message()));

  const std::string messageId = randomUrnUuid();
  const std::string probe = probeMessage(messageId);
  socket.send_to(asio::buffer(probe), udp::endpoint(address, options.target.port), 0, ec);
  if (ec) return Status::unavailable(fmt::format("WS-Discovery: cannot send the Probe to {}: {}", options.target.toString(), ec.message()));

  std::vector<DiscoveredDevice> devices;
  auto add = [&](DiscoveredDevice found) {
    auto same = std::find_if(devices.begin(), devices.end(),
                             [&](const DiscoveredDevice& d) { return d.endpointReference == found.endpointReference; });
    if (same == devices.end()) {
      devices.push_back(std::move(found));
      return;
    }
    for (std::string& xaddr : found.xaddrs) {
      if (std::find(same->xaddrs.begin(), same->xaddrs.end(), xaddr) == same->xaddrs.end()) {
        same->xaddrs.push_back(std::move(xaddr));
      }
    }
  };

  std::array<char, 65536> datagram{};  // a UDP datagram's most
  udp::endpoint sender;
  std::function<void()> receive = [&] {
    socket.async_receive_from(asio::buffer(datagram), sender, [&](boost::system::error_code error, size_t n) {
      if (error) return;  // cancelled at the deadline
      if (auto answer = SoapDocument::parse(std::string_view(datagram.data(), n))) {
        if (auto found = parseProbeMatches(*answer, messageId)) {
          for (DiscoveredDevice& device : *found) add(std::move(device));
        }
      }
      receive();
    });
  };
  receive();
  asio::steady_timer deadline(io, options.timeout);
  deadline.async_wait([&](boost::system::error_code) { socket.close(); });
  io.run();
  return devices;
}

}  // namespace vigil::onvif

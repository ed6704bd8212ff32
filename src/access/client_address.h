#pragma once
// What a client address counts as for limits per address (throttle.h,
// device_pairing.h), and what it says it is (its User-Agent, shown). One host usually has a whole IPv6 /64, so a limit per
// raw IPv6 address would give one attacker billions of addresses.

#include <string>
#include <string_view>

namespace vigil::access {

// IPv4: the address and its /24. IPv6: the /64 and the /48; a link-local
// one (any fe80::/10 of one interface: its interface id is the peer's
// choice) one key alone. A v4-mapped address ("::ffff:a.b.c.d", from a
// dual-stack listener) is its IPv4 address. Anything else is one key as
// it is.
struct ClientKeys {
  std::string address;  // "10.0.0.7", "2001:db8:1:2::/64"
  std::string network;  // "10.0.0.0/24", "2001:db8:1::/48"; empty when there is none apart from the address
  // 127.0.0.1 or ::1, what an operator's tools and SSH tunnels come from.
  // Not the rest of 127/8: any local process may bind those.
  bool loopback = false;
};

ClientKeys clientKeys(std::string_view text);

// A User-Agent header as kept and shown (sessions, a TV's pairing): its
// first 200 bytes, each byte outside printable ASCII as '?', so that it is
// valid UTF-8 in any JSON answer and cannot pass for other text.
std::string printableUserAgent(std::string_view agent);

}  // namespace vigil::access

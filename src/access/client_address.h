#pragma once
// What a client address counts as for limits per address (throttle.h,
// device_pairing.h). One host usually has a whole IPv6 /64, so a limit per
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

}  // namespace vigil::access

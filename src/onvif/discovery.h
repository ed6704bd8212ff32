#pragma once
// WS-Discovery (ONVIF's flavour): one Probe for NetworkVideoTransmitter
// devices, sent only when asked, answers collected until a deadline.

#include <chrono>
#include <string>
#include <vector>

#include "base/config.h"
#include "base/status.h"
#include "onvif/device.h"

namespace vigil::onvif {

// WS-Discovery's multicast group and port.
inline const HostPort kDiscoveryGroup{"239.255.255.250", 3702};

struct DiscoveryOptions {
  // Where the Probe goes: the multicast group, or (tests) any unicast
  // address where a device listens.
  HostPort target = kDiscoveryGroup;
  // Answers are collected this long after the Probe, then discover returns.
  std::chrono::milliseconds timeout{2000};
};

// The devices that answered, one per endpoint reference (a device that
// answers twice, or on two interfaces, is listed once with the XAddrs of
// both), in the order they first answered. Answers that are not SOAP, not
// ProbeMatches, or relate to another Probe are ignored. Unavailable when
// the Probe cannot be sent.
Result<std::vector<DiscoveredDevice>> discover(const DiscoveryOptions& options);

// "urn:uuid:" and a random version 4 UUID: WS-Discovery's message ids and
// the simulator's endpoint reference.
std::string randomUrnUuid();

}  // namespace vigil::onvif

#pragma once
// The [onvif] options of a node: where `POST /api/v1/onvif/discover`
// sends its Probe.

#include <string_view>

#include "base/config.h"
#include "onvif/discovery.h"

namespace vigil::onvif {

struct OnvifConfig {
  // discovery = "ADDR:PORT": WS-Discovery's group by default; a unicast
  // address probes one host (and lets tests run on loopback).
  HostPort discovery = kDiscoveryGroup;
};

inline constexpr std::string_view kOnvifConfigKeys[] = {"discovery"};
Status readOnvifConfig(const ConfigTable& table, OnvifConfig& out);

}  // namespace vigil::onvif

#pragma once
// The [onvif] options of a node (where `POST /api/v1/onvif/discover`
// sends its Probe), and the key of a [[camera]] table that names the
// camera's ONVIF device.

#include <string>
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

// A camera's `onvif = "http://HOST[:PORT]/onvif/device_service"`, reached
// with the camera's `username` and `password` (PTZ); empty when absent.
struct CameraOnvifConfig {
  std::string deviceUrl;
};

inline constexpr std::string_view kCameraOnvifConfigKeys[] = {"onvif"};
Status readCameraOnvifConfig(const ConfigTable& table, CameraOnvifConfig& out);

}  // namespace vigil::onvif

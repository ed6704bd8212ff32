#pragma once
// The [onvif] options of a node (where `POST /api/v1/onvif/discover`
// sends its Probe), and the key of a [[camera]] table that names the
// camera's ONVIF device.

#include <optional>
#include <string>
#include <string_view>

#include "base/config.h"
#include "onvif/client.h"
#include "onvif/discovery.h"

namespace vigil::onvif {

struct OnvifConfig {
  // discovery = "ADDR:PORT": WS-Discovery's group by default; a unicast
  // address probes one host (and lets tests run on loopback).
  HostPort discovery = kDiscoveryGroup;
};

inline constexpr std::string_view kOnvifConfigKeys[] = {"discovery"};
Status readOnvifConfig(const ConfigTable& table, OnvifConfig& out);

// A camera's `onvif = "http://HOST[:PORT]/onvif/device_service"` (PTZ),
// checked by checkDeviceUrl; empty when absent. Reached with
// `onvif_username` and `onvif_password`, each in place of the camera's
// `username` and `password` when given (a camera added by discovery keeps
// the login its device was read with); they need `onvif`.
struct CameraOnvifConfig {
  std::string deviceUrl;
  std::optional<std::string> username;  // onvif_username
  std::optional<std::string> password;  // onvif_password

  Credentials login(const std::string& cameraUsername, const std::string& cameraPassword) const {
    return {username.value_or(cameraUsername), password.value_or(cameraPassword)};
  }
};

inline constexpr std::string_view kCameraOnvifConfigKeys[] = {"onvif", "onvif_username", "onvif_password"};
Status readCameraOnvifConfig(const ConfigTable& table, CameraOnvifConfig& out);

}  // namespace vigil::onvif

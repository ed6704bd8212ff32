#pragma once
// An ONVIF device reached over HTTP (Boost.Beast), each call one blocking
// SOAP POST signed with a fresh WS-Security UsernameToken digest. Not
// thread-safe: one client per caller. Only http:// device addresses; an
// answer over kMaxSoapBytes, not SOAP, or with a DOCTYPE is
// InvalidArgument; a wrong user or password is PermissionDenied "wrong
// user name or password"; an unreachable device Unavailable and a slow one
// DeadlineExceeded (naming host and step).

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "onvif/device.h"

namespace vigil::onvif {

class SoapDocument;

struct Credentials {
  std::string user;  // empty: requests go without a Security header
  std::string password;
};

class OnvifClient {
 public:
  // `deviceUrl`: the device service, "http://192.168.1.64/onvif/device_service".
  // `timeout` bounds each call as a whole.
  OnvifClient(std::string deviceUrl, Credentials credentials,
              std::chrono::milliseconds timeout = std::chrono::seconds(5));
  ~OnvifClient();

  const std::string& deviceUrl() const { return deviceUrl_; }

  Result<DeviceInformation> deviceInformation();
  // GetServices, or GetCapabilities for a device that does not know it;
  // asked once, then kept.
  Result<ServiceAddresses> services();
  Result<std::vector<Profile>> profiles();
  Result<std::string> streamUri(std::string_view profile);
  Result<std::string> snapshotUri(std::string_view profile);
  Status continuousMove(std::string_view profile, const PtzVelocity& velocity);
  Status stop(std::string_view profile);
  Status gotoPreset(std::string_view profile, std::string_view preset);
  // The new preset's token.
  Result<std::string> setPreset(std::string_view profile, std::string_view name);
  Result<std::vector<Preset>> presets(std::string_view profile);

 private:
  Result<SoapDocument> call(const std::string& url, const std::string& body);
  Result<std::string> ptzUrl();

  std::string deviceUrl_;
  Credentials credentials_;
  std::chrono::milliseconds timeout_;
  std::optional<ServiceAddresses> services_;
};

// Whether `url` is a device address this client reaches:
// http://HOST[:PORT][/PATH], with no user or password in it and no space
// or control character. InvalidArgument saying what is wrong, worded to
// follow the key it came in ("must be an http:// URL (https:// is not
// supported yet)").
Status checkDeviceUrl(std::string_view url);

// Device information, services and every profile with its stream URI
// (and snapshot URI, when the device gives one), profiles largest first.
Result<DeviceSummary> describeDevice(OnvifClient& client);

}  // namespace vigil::onvif

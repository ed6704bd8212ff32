#pragma once
// What vigil learns from an ONVIF device (plain data, no XML).

#include <string>
#include <vector>

namespace vigil::onvif {

struct DeviceInformation {
  std::string manufacturer;
  std::string model;
  std::string firmwareVersion;
  std::string serialNumber;
  std::string hardwareId;
};

// The services' addresses (XAddr); empty for a service the device lacks.
struct ServiceAddresses {
  std::string media;
  std::string ptz;
};

struct Profile {
  std::string token;
  std::string name;
  std::string encoding;  // "H264", "H265"...; empty when the profile has no video encoder
  int width = 0;
  int height = 0;
  bool ptz = false;  // the profile has a PTZ configuration
};

struct Preset {
  std::string token;
  std::string name;
};

// Speeds in ONVIF's generic space, each in [-1, 1]; 0 does not move that axis.
struct PtzVelocity {
  double pan = 0;
  double tilt = 0;
  double zoom = 0;
};

struct DiscoveredDevice {
  std::string endpointReference;   // urn:uuid:...: the device's identity
  std::vector<std::string> xaddrs; // its device service URLs
  std::vector<std::string> scopes; // onvif://www.onvif.org/name/..., /hardware/...
};

// A profile with its URIs (GetStreamUri, GetSnapshotUri).
struct ProfileUris {
  Profile profile;
  std::string streamUri;
  std::string snapshotUri;  // empty when the device has none
};

// A device as the API shows it. Profiles largest first: the first is the
// main stream, the second (when there is one) the sub stream.
struct DeviceSummary {
  std::string address;  // the device service URL
  DeviceInformation info;
  ServiceAddresses services;
  std::vector<ProfileUris> profiles;
};

}  // namespace vigil::onvif

#pragma once
// An ONVIF camera for tests and the demo (vigil testcam --onvif-port):
// answers WS-Discovery Probes and the device, media and PTZ calls vigil
// makes (and those the npm `onvif` client makes on connect: the system
// time and the video sources), with one profile per testcam stream of a
// camera. Every call but GetSystemDateAndTime needs a UsernameToken digest
// for the configured user and password (a wrong one: a NotAuthorized
// fault). It moves nothing: PTZ calls are recorded, and
// GET /debug/ptz lists them as JSON, so a test can read what arrived.

#include <boost/asio/io_context.hpp>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/config.h"
#include "base/status.h"

namespace vigil::onvif {

struct SimulatedStream {
  std::string path;  // on testcam's RTSP server, "/cam/0"
  std::string encoding = "H264";
  int width = 1280;
  int height = 720;
};

struct SimulatorOptions {
  HostPort listen{"127.0.0.1", 0};  // HTTP, for the SOAP services
  // Answer Probes sent here: a multicast group (joined) or a unicast
  // address. None: no discovery.
  std::optional<HostPort> discovery;
  std::string user = "admin";
  std::string password;
  uint16_t rtspPort = 8554;  // testcam's; stream URIs use the address the client reached us on
  SimulatedStream main;
  std::optional<SimulatedStream> sub;
  std::string model = "vigil testcam";
};

// One PTZ call as received.
struct PtzCall {
  std::string call;     // "ContinuousMove", "Stop", "GotoPreset", "SetPreset", "GetPresets"
  std::string profile;  // its ProfileToken
  std::string body;     // the SOAP Body's element, as XML
};

class DeviceSimulator {
 public:
  DeviceSimulator(boost::asio::io_context& io, SimulatorOptions options);
  ~DeviceSimulator();

  // Binds the HTTP port and starts serving on the io_context. A discovery
  // socket that cannot be opened (no multicast route) is logged and left
  // out (discoveryPort() is then 0): the device still answers at its URL.
  Status start();
  uint16_t port() const;
  uint16_t discoveryPort() const;  // 0 without discovery
  std::string deviceServiceUrl() const;
  std::vector<PtzCall> ptzCalls() const;
  // Closes the sockets; connections end with their current request.
  void stop();

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace vigil::onvif

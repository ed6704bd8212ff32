#pragma once
// vigil demo's synthetic cameras (README, "vigil demo"): the RTSP streams
// it serves itself on loopback and the cameras its node reads them as,
// chosen to show what vigil does without setting anything up:
//   camera 1  "Demo front door": a person walks in every 30 s (detection on)
//   camera 2  with sound (AAC, a beep every second)
//   camera N  (with 3 or more) an H.265 camera, with an H.264 sub stream:
//             browsers that play no H.265 watch it through that
//   the others plain H.264; each camera 1280x720 with a 640x360 sub stream.
// Beside them, one stream that is no camera of the node: the simulated
// ONVIF device's (onvif/simulator.h), found by discovery on the Cameras
// page and added from there.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "app/config.h"
#include "app/testcam.h"
#include "onvif/simulator.h"

namespace vigil::app {

// The ONVIF device's user and password, printed by the demo.
inline constexpr const char* kDemoOnvifUser = "admin";
inline constexpr const char* kDemoOnvifPassword = "demo";

// The streams of `cameras` demo cameras ("/cam/0" .. "/cam/N-1", each with
// "/cam/i/sub") and the ONVIF device's ("/cam/N"). `doorScene`: the JPEG
// walking in on camera 1; empty: the test pattern.
Result<std::shared_ptr<TestcamCatalog>> buildDemoCatalog(int cameras, const std::string& doorScene);

// The node's cameras over those streams, served at `rtspPort`: "cam-1" ..
// "cam-N", recorded continuously.
std::vector<ConfiguredCamera> demoCameras(int cameras, uint16_t rtspPort, bool doorScene);

// The ONVIF device of stream N on loopback: any free port, answering
// WS-Discovery Probes at 127.0.0.1 (any free port; the demo's [onvif]
// discovery is set to it: multicast on loopback reaches nothing).
onvif::SimulatorOptions demoOnvifDevice(const TestcamCatalog& catalog, uint16_t rtspPort,
                                        int cameras);

}  // namespace vigil::app

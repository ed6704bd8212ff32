#include "app/demo_cameras.h"

#include <fmt/format.h>

#include "app/test_tone.h"

namespace vigil::app {

namespace {

// Every demo camera's main stream: 720p, 2 Mbit/s, a 30 s loop. 30 s: the
// door's visitor, gone for longer than an event's quiet period, is a new
// event each time; back sooner on the same spot, it would be one
// stationary person.
TestcamOptions mainOptions() {
  TestcamOptions o;
  o.listen = {"127.0.0.1", 0};
  o.width = 1280;
  o.height = 720;
  o.fps = 25;
  o.bitrateKbps = 2000;
  o.loopSeconds = 30;
  return o;
}

bool isH265Camera(int index, int cameras) { return cameras >= 3 && index == cameras - 1; }

}  // namespace

Result<std::shared_ptr<TestcamCatalog>> buildDemoCatalog(int cameras,
                                                         const std::string& doorScene) {
  auto sound = encodeTestTone(media::AudioCodec::kAac);
  if (!sound) return sound.status();
  std::vector<TestcamStreamSpec> specs;
  for (int i = 0; i < cameras; ++i) {
    TestcamStreamSpec spec{.options = mainOptions(), .index = i};
    if (i == 0 && !doorScene.empty()) spec.options.scenes = {doorScene};
    if (i == 1) spec.audio = *sound;
    spec.sub = subStreamOptions(spec.options);
    if (isH265Camera(i, cameras)) {
      // libx265 is the slow encoder of the start: a 4 s loop of it.
      spec.options.codec = media::VideoCodec::kH265;
      spec.options.loopSeconds = 4;
      spec.sub->loopSeconds = 4;
    }
    specs.push_back(std::move(spec));
  }
  // The ONVIF device's: smaller, a short loop (nothing walks in).
  TestcamOptions device = mainOptions();
  device.width = 640;
  device.height = 360;
  device.bitrateKbps = 800;
  device.loopSeconds = 4;
  specs.push_back({.options = device, .index = cameras, .sub = subStreamOptions(device)});
  return buildTestcamCatalog(specs);
}

std::vector<ConfiguredCamera> demoCameras(int cameras, uint16_t rtspPort, bool doorScene) {
  std::vector<ConfiguredCamera> configs;
  for (int i = 0; i < cameras; ++i) {
    ConfiguredCamera c;  // recorded continuously
    c.camera.id = fmt::format("cam-{}", i + 1);
    c.camera.name = fmt::format("Demo camera {}", i + 1);
    c.camera.url = fmt::format("rtsp://127.0.0.1:{}/cam/{}", rtspPort, i);
    // Grid tiles and detection read the sub stream (640x360).
    c.camera.subUrl = fmt::format("rtsp://127.0.0.1:{}/cam/{}/sub", rtspPort, i);
    if (i == 0 && doorScene) {
      c.camera.name = "Demo front door";
      c.detect.labels = {detect::Label::kPerson, detect::Label::kVehicle, detect::Label::kAnimal};
    }
    if (isH265Camera(i, cameras)) c.camera.name = "Demo H.265 camera";
    configs.push_back(std::move(c));
  }
  return configs;
}

onvif::SimulatorOptions demoOnvifDevice(const TestcamCatalog& catalog, uint16_t rtspPort,
                                        int cameras) {
  TestcamOptions o;
  o.listen = {"127.0.0.1", 0};
  o.onvifPort = 0;
  o.onvifUser = kDemoOnvifUser;
  o.onvifPassword = kDemoOnvifPassword;
  o.onvifDiscovery = HostPort{"127.0.0.1", 0};
  onvif::SimulatorOptions device = testcamOnvifDevice(o, catalog, rtspPort, cameras);
  device.model = "vigil demo ONVIF camera";
  return device;
}

}  // namespace vigil::app

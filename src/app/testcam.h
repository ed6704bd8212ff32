#pragma once
// vigil testcam: the synthetic camera that tests and benchmarks use. Each
// stream's content is encoded once at start-up (libavcodec with libx264 or
// libx265) into a loop of whole GOPs, padded with filler data to the
// requested bitrate, and then served by the RTSP server to any number of
// clients with no per-client encoding.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/config.h"
#include "base/status.h"
#include "onvif/simulator.h"
#include "rtsp/server.h"

namespace vigil::app {

struct TestcamOptions {
  HostPort listen{"127.0.0.1", 8554};
  int streams = 1;
  media::VideoCodec codec = media::VideoCodec::kH264;
  int width = 1280;
  int height = 720;
  int fps = 25;
  int bitrateKbps = 2000;
  int gop = 0;          // frames per GOP; 0 = 2 seconds
  int loopSeconds = 10; // rounded up to whole GOPs
  // Stream i shows scenes[i] (a JPEG sliding in and out, test_scene.h)
  // instead of the test pattern, when given and not empty.
  std::vector<std::string> scenes;
  // Every stream also serves this audio (app/test_tone.h) as a second
  // track, over TCP; `audioOffsetMs` moves its beeps after the seconds.
  std::optional<media::AudioCodec> audio;
  int audioOffsetMs = 0;
  // Each stream's sub stream, "/cam/N/sub": the same pictures and clock at
  // subWidth x subHeight (0: half the width and height) and a quarter of
  // the bitrate. Off: none is encoded (load tests).
  bool subStreams = true;
  int subWidth = 0;
  int subHeight = 0;

  // ONVIF (onvif/simulator.h): stream i is also a device at onvifPort + i
  // on the listen host (0: any free port each), answering WS-Discovery
  // Probes sent to onvifDiscovery. None: no ONVIF.
  std::optional<uint16_t> onvifPort;
  std::string onvifUser = "admin";
  std::string onvifPassword = "admin";
  std::optional<HostPort> onvifDiscovery;
};

// The options of stream i's sub stream: its size and bitrate.
TestcamOptions subStreamOptions(const TestcamOptions& options);

// Checks ranges; the message names the option.
Status validateTestcamOptions(const TestcamOptions& options);

// Encodes the loop of one stream (its number is burnt into the picture),
// with `audio` as its audio track when given.
Result<std::shared_ptr<const rtsp::LoopedStream>> encodeTestStream(
    const TestcamOptions& options, int streamIndex, std::shared_ptr<const rtsp::LoopedAudio> audio = nullptr);

// Serves "/cam/0" .. "/cam/N-1", and "/cam/i/sub" when given sub streams
// (one per stream, or none).
class TestcamCatalog final : public rtsp::StreamCatalog {
 public:
  explicit TestcamCatalog(std::vector<std::shared_ptr<const rtsp::LoopedStream>> streams,
                          std::vector<std::shared_ptr<const rtsp::LoopedStream>> subStreams = {})
      : streams_(std::move(streams)), subStreams_(std::move(subStreams)) {}
  std::shared_ptr<const rtsp::LoopedStream> find(std::string_view path) const override;
  size_t size() const { return streams_.size(); }

 private:
  std::vector<std::shared_ptr<const rtsp::LoopedStream>> streams_;
  std::vector<std::shared_ptr<const rtsp::LoopedStream>> subStreams_;
};

// Stream i's ONVIF device as the simulator serves it: a main profile for
// "/cam/i" and a sub profile for "/cam/i/sub" when the catalog has one.
onvif::SimulatorOptions testcamOnvifDevice(const TestcamOptions& options, const rtsp::StreamCatalog& catalog,
                                           uint16_t rtspPort, int streamIndex);

// Encodes every stream, spreading the work over the cores and logging
// progress; fails on the first encoder error.
Result<std::shared_ptr<TestcamCatalog>> buildTestcamCatalog(const TestcamOptions& options);

// One stream of a catalog whose streams differ (vigil demo: one with
// sound, one H.265): encoded with its own options as stream `index` (the
// number in the picture), with `audio` when given, and with its sub stream
// when `sub` is given (for every stream or none).
struct TestcamStreamSpec {
  TestcamOptions options;
  int index = 0;
  std::shared_ptr<const rtsp::LoopedAudio> audio;
  std::optional<TestcamOptions> sub;
};
// The same, spec i served as "/cam/i" (and "/cam/i/sub").
Result<std::shared_ptr<TestcamCatalog>> buildTestcamCatalog(const std::vector<TestcamStreamSpec>& specs);

}  // namespace vigil::app

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <cstdio>
#include <memory>

#include "app/commands.h"
#include "app/testcam.h"
#include "base/event_loops.h"
#include "base/log.h"
#include "base/net.h"
#include "onvif/discovery.h"

namespace vigil::app {

namespace {
// Fails fast on a taken port, before the (possibly long) encoding.
Status probePort(const HostPort& address) {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor probe(io);
  return listenOn(probe, address);
}

// "1280x720" -> width, height.
bool parseSize(const std::string& text, int& width, int& height) {
  const size_t x = text.find('x');
  if (x == std::string::npos) return false;
  try {
    size_t used = 0;
    width = std::stoi(text.substr(0, x), &used);
    if (used != x) return false;
    height = std::stoi(text.substr(x + 1), &used);
    return used == text.size() - x - 1;
  } catch (const std::exception&) {
    return false;
  }
}

int runTestcam(const TestcamOptions& options) {
  if (Status s = validateTestcamOptions(options); !s.isOk()) {
    fmt::print(stderr, "vigil testcam: {}\n", s.message());
    return kUsageError;
  }
  if (Status s = probePort(options.listen); !s.isOk()) {
    fmt::print(stderr, "vigil testcam: {}\n", s.message());
    return kUsageError;
  }
  log::info("testcam.encode.start", {{"streams", options.streams},
                                     {"codec", media::codecName(options.codec)},
                                     {"size", fmt::format("{}x{}", options.width, options.height)},
                                     {"fps", options.fps},
                                     {"kbps", options.bitrateKbps}});
  auto catalog = buildTestcamCatalog(options);
  if (!catalog) {
    fmt::print(stderr, "vigil testcam: {}\n", catalog.status().message());
    return 1;
  }
  EventLoopPool loops;
  rtsp::RtspServerOptions serverOptions;
  serverOptions.serverName = fmt::format("vigil-testcam/{}", kVersion);
  rtsp::RtspServer server(loops, *catalog, serverOptions);
  if (Status s = server.listen(options.listen); !s.isOk()) {
    fmt::print(stderr, "vigil testcam: {}\n", s.message());
    return kUsageError;
  }
  std::vector<std::unique_ptr<onvif::DeviceSimulator>> devices;
  if (options.onvifPort) {
    for (int i = 0; i < options.streams; ++i) {
      devices.push_back(std::make_unique<onvif::DeviceSimulator>(
          loops.loop(0), testcamOnvifDevice(options, **catalog, server.port(), i)));
      if (Status s = devices.back()->start(); !s.isOk()) {
        fmt::print(stderr, "vigil testcam: ONVIF: {}\n", s.message());
        return kUsageError;
      }
    }
  }
  StopSignals signals(loops.loop(0), [&](int) {
    for (auto& device : devices) device->stop();
    server.stop();
    loops.stop();
  });
  loops.start();
  // Tests read this line to learn the port.
  fmt::print("testcam: serving {} {} streams {}x{}@{} {} kbit/s at rtsp://{}/cam/0 .. /cam/{}\n",
             options.streams, media::codecName(options.codec), options.width, options.height,
             options.fps, options.bitrateKbps, HostPort{options.listen.host, server.port()}.toString(),
             options.streams - 1);
  if (options.subStreams) {
    const TestcamOptions sub = subStreamOptions(options);
    fmt::print("testcam: sub streams {}x{} {} kbit/s at /cam/N/sub\n", sub.width, sub.height, sub.bitrateKbps);
  }
  for (const auto& device : devices) {
    fmt::print("testcam: ONVIF device at {} (WS-Discovery: {})\n", device->deviceServiceUrl(),
               device->discoveryPort() == 0
                   ? std::string("off")
                   : HostPort{options.onvifDiscovery->host, device->discoveryPort()}.toString());
  }
  std::fflush(stdout);
  loops.join();
  const auto stats = server.stats();
  log::info("testcam.stopped", {{"frames_sent", stats.framesSent},
                                {"frames_dropped", stats.framesDropped},
                                {"bytes_sent", stats.bytesSent}});
  return 0;
}

}  // namespace

void addTestcamCommand(CLI::App& cli, Subcommands& out) {
  struct Args {
    TestcamOptions options;
    std::string codec = "h264";
    std::string audio;
    std::string size = fmt::format("{}x{}", options.width, options.height);
    std::string subSize;
    bool noSub = false;
    std::string onvifDiscovery = onvif::kDiscoveryGroup.toString();
  };
  auto args = std::make_shared<Args>();
  TestcamOptions& o = args->options;
  auto* tc = cli.add_subcommand("testcam", "Serve synthetic RTSP streams (/cam/0 .. /cam/N-1, each with /cam/N/sub) for tests and load");
  addListenOption(*tc, o.listen, "ADDR:PORT to listen on (port 0: any)");
  tc->add_option("--streams", o.streams, "number of independent streams")->capture_default_str();
  tc->add_option("--codec", args->codec, "h264 or h265")->check(CLI::IsMember({"h264", "h265"}))->capture_default_str();
  tc->add_option("--size", args->size, "picture size WxH")->capture_default_str();
  tc->add_option("--fps", o.fps, "frames per second")->capture_default_str();
  tc->add_option("--bitrate", o.bitrateKbps, "kbit/s per stream (padded with filler data)")->capture_default_str();
  tc->add_option("--gop", o.gop, "frames per GOP (0: two seconds)")->capture_default_str();
  tc->add_option("--loop-seconds", o.loopSeconds, "length of the encoded loop")->capture_default_str();
  tc->add_option("--sub-size", args->subSize, "each stream's sub stream /cam/N/sub, WxH (default: half the size)");
  tc->add_flag("--no-sub", args->noSub, "serve no sub streams (nothing more to encode at start-up)");
  tc->add_option("--scene", o.scenes,
                 "a JPEG that slides in and out over a still background, for detection; the first "
                 "--scene is stream 0's, the next stream 1's (\"\" keeps the test pattern)");
  tc->add_option("--audio", args->audio,
                 "also serve audio, over TCP: a 1 kHz beep at every second (aac: AAC-LC 16 kHz; "
                 "pcma/pcmu: G.711 8 kHz)")
      ->check(CLI::IsMember({"aac", "pcma", "pcmu"}));
  tc->add_option("--audio-offset-ms", o.audioOffsetMs, "beeps this long after each second (0-900)")
      ->capture_default_str();
  tc->add_option("--onvif-port", o.onvifPort,
                 "serve each stream as an ONVIF device too (WS-Discovery, device, media and PTZ calls; "
                 "PTZ is recorded, GET /debug/ptz lists it) at this port + stream number (0: any free port)");
  tc->add_option("--onvif-user", o.onvifUser, "the ONVIF devices' user")->capture_default_str();
  tc->add_option("--onvif-password", o.onvifPassword, "the ONVIF devices' password")->capture_default_str();
  tc->add_option("--onvif-discovery", args->onvifDiscovery,
                 "ADDR:PORT where the ONVIF devices answer WS-Discovery Probes (a multicast group or, for tests, "
                 "a unicast address; \"off\": none)")
      ->capture_default_str();
  out.push_back({tc, [args] {
                   if (args->onvifDiscovery != "off") {
                     auto where = parseHostPort(args->onvifDiscovery);
                     if (!where) {
                       fmt::print(stderr, "vigil testcam: --onvif-discovery: {}\n", where.status().message());
                       return kUsageError;
                     }
                     args->options.onvifDiscovery = *where;
                   }
                   if (!args->audio.empty()) {
                     args->options.audio = args->audio == "aac"    ? media::AudioCodec::kAac
                                           : args->audio == "pcma" ? media::AudioCodec::kPcma
                                                                   : media::AudioCodec::kPcmu;
                   }
                   args->options.codec = args->codec == "h265" ? media::VideoCodec::kH265 : media::VideoCodec::kH264;
                   if (!parseSize(args->size, args->options.width, args->options.height)) {
                     fmt::print(stderr, "vigil testcam: --size: \"{}\" is not WxH like 1280x720\n", args->size);
                     return kUsageError;
                   }
                   args->options.subStreams = !args->noSub;
                   if (!args->subSize.empty() &&
                       !parseSize(args->subSize, args->options.subWidth, args->options.subHeight)) {
                     fmt::print(stderr, "vigil testcam: --sub-size: \"{}\" is not WxH like 640x360\n", args->subSize);
                     return kUsageError;
                   }
                   return runTestcam(args->options);
                 }});
}

}  // namespace vigil::app

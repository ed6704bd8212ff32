#include <fmt/format.h>
#include <openssl/rand.h>

#include <cstdio>
#include <filesystem>

#include "app/commands.h"
#include "app/node.h"
#include "base/event_loops.h"
#include "base/log.h"
#include "http/camera_routes.h"
#include "http/server.h"

namespace vigil::app {

namespace {

// 16 characters from an unambiguous alphabet: about 80 bits.
std::string randomPassword() {
  static constexpr char kAlphabet[] = "abcdefghijkmnpqrstuvwxyzACDEFGHJKLMNPQRSTUVWXYZ23456789";
  std::string out;
  uint8_t bytes[16];
  RAND_bytes(bytes, sizeof(bytes));
  for (uint8_t b : bytes) out += kAlphabet[b % (sizeof(kAlphabet) - 1)];
  return out;
}

}  // namespace

int runDemo(const DemoOptions& options) {
  std::error_code ec;
  std::filesystem::create_directories(options.dataDir, ec);
  if (ec) {
    fmt::print(stderr, "vigil demo: cannot create data directory {}: {}\n", options.dataDir, ec.message());
    return 2;
  }

  // The synthetic cameras: vigil testcam inside this process, on loopback.
  TestcamOptions cams;
  cams.listen = {"127.0.0.1", 0};
  cams.streams = options.cameras;
  cams.width = 1280;
  cams.height = 720;
  cams.fps = 25;
  cams.bitrateKbps = 2000;
  log::info("demo.encoding", {{"cameras", options.cameras}});
  auto catalog = buildTestcamCatalog(cams);
  if (!catalog) {
    fmt::print(stderr, "vigil demo: {}\n", catalog.status().message());
    return 1;
  }

  EventLoopPool loops;
  rtsp::RtspServer cameraServer(loops, *catalog);
  if (Status s = cameraServer.listen(cams.listen); !s.isOk()) {
    fmt::print(stderr, "vigil demo: {}\n", s.message());
    return 2;
  }

  // The node reads them back through its real RTSP client, like any camera.
  std::vector<CameraConfig> configs;
  for (int i = 0; i < options.cameras; ++i) {
    CameraConfig c;
    c.id = fmt::format("cam-{}", i + 1);
    c.name = fmt::format("Demo camera {}", i + 1);
    c.url = fmt::format("rtsp://127.0.0.1:{}/cam/{}", cameraServer.port(), i);
    configs.push_back(std::move(c));
  }
  Node node(loops, std::move(configs));

  http::HttpServerOptions httpOptions;
  httpOptions.adminPassword = randomPassword();
  http::HttpServer web(loops, httpOptions);
  http::addCameraRoutes(web, "vigil demo", [&node] { return node.cameraStatuses(); });
  if (Status s = web.listen(options.listen); !s.isOk()) {
    fmt::print(stderr, "vigil demo: {}\n", s.message());
    return 2;
  }

  StopSignals signals(loops.loop(0), [&](int) {
    web.stop();
    node.shutdown([&] {
      cameraServer.stop();
      loops.stop();
    });
  });
  loops.start();
  node.start();
  const std::string host =
      options.listen.host.find(':') != std::string::npos ? fmt::format("[{}]", options.listen.host) : options.listen.host;
  fmt::print(
      "vigil demo is running with {} synthetic cameras (data in {}).\n"
      "  URL:            http://{}:{}/\n"
      "  user:           admin\n"
      "  admin password: {}\n"
      "Press Ctrl-C to stop.\n",
      options.cameras, options.dataDir, host, web.port(), httpOptions.adminPassword);
  std::fflush(stdout);
  loops.join();
  return 0;
}

}  // namespace vigil::app

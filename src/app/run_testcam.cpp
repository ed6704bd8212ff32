#include <fmt/format.h>

#include <boost/asio/ip/tcp.hpp>
#include <cstdio>

#include "app/commands.h"
#include "base/event_loops.h"
#include "base/log.h"
#include "base/net.h"

namespace vigil::app {

namespace {
// Fails fast on a taken port, before the (possibly long) encoding.
Status probePort(const HostPort& address) {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor probe(io);
  return listenOn(probe, address);
}
}  // namespace

int runTestcam(const TestcamOptions& options) {
  if (Status s = validateTestcamOptions(options); !s.isOk()) {
    fmt::print(stderr, "vigil testcam: {}\n", s.message());
    return 2;
  }
  if (Status s = probePort(options.listen); !s.isOk()) {
    fmt::print(stderr, "vigil testcam: {}\n", s.message());
    return 2;
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
    return 2;
  }
  StopSignals signals(loops.loop(0), [&](int) {
    server.stop();
    loops.stop();
  });
  loops.start();
  const std::string host = options.listen.host.find(':') != std::string::npos
                               ? fmt::format("[{}]", options.listen.host)
                               : options.listen.host;
  // Tests read this line to learn the port.
  fmt::print("testcam: serving {} {} streams {}x{}@{} {} kbit/s at rtsp://{}:{}/cam/0 .. /cam/{}\n",
             options.streams, media::codecName(options.codec), options.width, options.height,
             options.fps, options.bitrateKbps, host, server.port(), options.streams - 1);
  std::fflush(stdout);
  loops.join();
  const auto stats = server.stats();
  log::info("testcam.stopped", {{"frames_sent", stats.framesSent},
                                {"frames_dropped", stats.framesDropped},
                                {"bytes_sent", stats.bytesSent}});
  return 0;
}

}  // namespace vigil::app

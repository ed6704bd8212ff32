#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <memory>

#include "access/crypto.h"
#include "app/commands.h"
#include "app/node.h"
#include "app/node_access.h"
#include "app/node_http.h"
#include "app/testcam.h"
#include "base/config.h"
#include "base/event_loops.h"
#include "base/log.h"
#include "storage/store.h"

namespace vigil::app {

namespace {

struct DemoOptions {
  std::string dataDir = "vigil-demo";
  HostPort listen{"127.0.0.1", 8080};
  int cameras = 4;
  std::string webRoot;  // empty: findWebRoot()
};

// The demo prints a working admin password at every start: the first run
// creates the account, later runs (same --data) give it a new password,
// which ends the sessions of the previous run. A real node (vigil serve)
// never resets a password by itself.
Result<std::string> demoAdminPassword(access::Accounts& accounts) {
  auto created = accounts.ensureAdmin();
  if (!created) return created.status();
  if (created->has_value()) return std::move(**created);
  std::string password = access::generatePassword();
  VIGIL_RETURN_IF_ERROR(accounts.changePassword({"", "demo"}, "admin", password));
  return password;
}

int runDemo(const DemoOptions& options) {
  auto access = openNodeAccess({options.dataDir, ""});
  if (!access) {
    fmt::print(stderr, "vigil demo: {}\n", access.status().message());
    return 2;
  }
  auto adminPassword = demoAdminPassword(*access->accounts);
  if (!adminPassword) {
    fmt::print(stderr, "vigil demo: {}\n", adminPassword.status().message());
    return 1;
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
  std::vector<ConfiguredCamera> configs;
  for (int i = 0; i < options.cameras; ++i) {
    ConfiguredCamera c;  // recorded continuously
    c.camera.id = fmt::format("cam-{}", i + 1);
    c.camera.name = fmt::format("Demo camera {}", i + 1);
    c.camera.url = fmt::format("rtsp://127.0.0.1:{}/cam/{}", cameraServer.port(), i);
    configs.push_back(std::move(c));
  }
  // The demo keeps at most 2 GiB of video (about half an hour of 4 cameras)
  // and leaves 512 MiB of the disk free: it is left running on laptops.
  storage::StoreOptions storeOptions{.dataDir = options.dataDir};
  storeOptions.writer.maxBytes = uint64_t{2} << 30;
  storeOptions.writer.minFreeBytes = uint64_t{512} << 20;
  auto store = storage::Store::open(std::move(storeOptions));
  if (!store) {
    fmt::print(stderr, "vigil demo: {}\n", store.status().message());
    return 1;
  }
  Node node(loops, std::move(configs), store->get());

  auto web = startNodeHttp(loops, node, *access, {.nodeName = "vigil demo", .listen = options.listen, .store = store->get(), .webRoot = options.webRoot});
  if (!web) {
    fmt::print(stderr, "vigil demo: {}\n", web.status().message());
    return 2;
  }
  // Responses in flight (a clip being downloaded) finish first, briefly.
  StopSignals signals(loops.loop(0), [&](int) {
    (*web)->stop([&] {
      node.shutdown([&] {
        cameraServer.stop();
        loops.stop();
      });
    });
  });
  loops.start();
  node.start();
  fmt::print(
      "vigil demo is running with {} synthetic cameras (data in {}).\n"
      "  URL:            http://{}/\n"
      "  user:           admin\n"
      "  admin password: {}\n"
      "Press Ctrl-C to stop.\n",
      options.cameras, options.dataDir, HostPort{options.listen.host, (*web)->port()}.toString(), *adminPassword);
  std::fflush(stdout);
  loops.join();
  (*store)->stop();  // writes what is queued and seals every recording
  return 0;
}

}  // namespace

void addDemoCommand(CLI::App& cli, Subcommands& out) {
  auto options = std::make_shared<DemoOptions>();
  auto* dm = cli.add_subcommand("demo", "Run a node with synthetic cameras, SQLite and the web UI");
  dm->add_option("--data", options->dataDir, "data directory")->capture_default_str();
  addListenOption(*dm, options->listen, "ADDR:PORT of the web UI");
  dm->add_option("--cameras", options->cameras, "number of synthetic cameras")->capture_default_str()
      ->check(CLI::Range(1, 64));
  dm->add_option("--web-root", options->webRoot, "the built web UI (default: web/dist of the source tree)");
  out.push_back({dm, [options] { return runDemo(*options); }});
}

}  // namespace vigil::app

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>

#include "alarm/alarms.h"
#include "app/commands.h"
#include "app/demo_cameras.h"
#include "app/demo_village.h"
#include "app/join_parent.h"
#include "app/node.h"
#include "app/node_access.h"
#include "app/node_cameras.h"
#include "app/node_events.h"
#include "app/node_http.h"
#include "app/node_link.h"
#include "app/node_register.h"
#include "app/node_uptime.h"
#include "app/testcam.h"
#include "base/config.h"
#include "base/event_loops.h"
#include "base/log.h"
#include "onvif/simulator.h"
#include "storage/store.h"

namespace vigil::app {

namespace {

struct DemoOptions {
  std::string dataDir = "vigil-demo";
  HostPort listen{"127.0.0.1", 8080};
  std::optional<HostPort> villageListen;  // none: --listen's host, its port + 1 (0 stays 0)
  bool village = true;
  int cameras = 4;
  std::string webRoot;  // empty: findWebRoot()
};

constexpr std::string_view kHouseholdId = "house1";
constexpr const char* kDoorScene = "tests/data/scenes/person.jpg";
const access::Actor kDemo{"", "demo"};

// The household's side of the demo's link: joined on the first run (the
// real enrolment, over HTTPS), with its first camera shared with the
// village so that the desk has something to watch; the owner changes that
// under Sharing. Later runs find the village pinned, perhaps at a new port.
Status linkToVillage(NodeLink& link, const Config& household, const DemoVillage& village, NodeAccess& access) {
  auto joined = link.store->parent();
  if (!joined) return joined.status();
  if (*joined) {
    link::ParentRecord parent = **joined;
    if (parent.url == village.url()) return Status::ok();
    parent.url = village.url();  // trust is the pinned key, not the address
    return link.store->setParent(parent);
  }
  auto parent = joinAndPinParent(link, household, village.url(), village.inviteCode());
  if (!parent) return parent.status();
  access::Share desk;
  desk.tier = Tier::kVillage;
  desk.rights = {access::ShareRight::kLive, access::ShareRight::kSnapshot, access::ShareRight::kPlayback};
  return access.shares->replace(kDemo, "cam-1", {desk});
}

// The first run raises one alarm from the household, so the village's
// Duty desk has one to acknowledge (and the household's page its state).
void raiseDemoAlarm(alarm::Alarms& alarms) {
  auto earlier = alarms.store().list(std::nullopt, 1);
  if (!earlier || !earlier->empty() || !alarms.canRaise()) return;
  auto raised = alarms.raise("admin", alarm::Kind::kOther, "A demo alarm: acknowledge it at the village's Duty desk",
                             {"cam-1"});
  if (!raised) log::warn("demo.no_alarm", {{"error", raised.status()}});
}

// The first run (the village made the household's invitation) sends one
// notice from the village, so the household's Notices has one and the
// village's Broadcasts its receipts.
// The first run opens the public register and lists camera 1 in it (with
// its snapshot), so /api/v1/register and the Register page show what a
// listed camera says; its owner closes it or unlists it under Register.
Status openDemoRegister(public_register::RegisterStore& reg) {
  VIGIL_RETURN_IF_ERROR(reg.setSettings({.open = true, .runBy = "Demo household"}));
  return reg.setListing("cam-1", public_register::Listing{.covers = "The lane in front of the demo house", .snapshot = true});
}

void sendDemoNotice(const DemoVillage& village) {
  Status sent = village.sendNotice(
      "演示通知：明天上午 9 点到 11 点停水检修。Demo notice: the water is off tomorrow from 9 to 11 am for repairs.");
  if (!sent.isOk()) log::warn("demo.no_notice", {{"error", sent}});
}

int runDemo(const DemoOptions& options) {
  // Declared before the access database, destroyed after it: the audit
  // log's last checkpoint, made as the access goes, is queued in the link's
  // outbox (as in vigil serve).
  std::optional<NodeLink> link;
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

  // The synthetic cameras (demo_cameras.h): vigil testcam inside this
  // process, on loopback.
  const std::string doorScene = findInSourceTree(kDoorScene);
  if (doorScene.empty()) {
    log::warn("demo.no_door_scene",
              {{"missing", kDoorScene}, {"reason", "not in the source tree: camera 1 detects nothing"}});
  }
  log::info("demo.encoding", {{"cameras", options.cameras}});
  auto catalog = buildDemoCatalog(options.cameras, doorScene);
  if (!catalog) {
    fmt::print(stderr, "vigil demo: {}\n", catalog.status().message());
    return 1;
  }

  EventLoopPool loops;
  rtsp::RtspServer cameraServer(loops, *catalog);
  // At the web UI's port + 2 (the village has + 1), so that a camera added
  // from the UI plays again after a restart; any free port when that one
  // is taken or the UI's is any.
  const uint16_t rtspPort =
      options.listen.port == 0 || options.listen.port > 65533 ? 0 : static_cast<uint16_t>(options.listen.port + 2);
  Status listening = cameraServer.listen({"127.0.0.1", rtspPort});
  if (!listening.isOk() && rtspPort != 0) listening = cameraServer.listen({"127.0.0.1", 0});
  if (!listening.isOk()) {
    fmt::print(stderr, "vigil demo: {}\n", listening.message());
    return 2;
  }
  // A camera to find on the Cameras page ("Find cameras on the network").
  onvif::DeviceSimulator onvifDevice(loops.loop(0), demoOnvifDevice(**catalog, cameraServer.port(), options.cameras));
  if (Status s = onvifDevice.start(); !s.isOk()) {
    fmt::print(stderr, "vigil demo: ONVIF: {}\n", s.message());
    return 2;
  }

  // The node reads them back through its real RTSP client, like any
  // camera, with those its admin added from the UI (cameras.db) after them.
  std::vector<ConfiguredCamera> configs = demoCameras(options.cameras, cameraServer.port(), !doorScene.empty());
  auto managed = NodeCameras::open(options.dataDir, configs, "of vigil demo (its built-in cameras)");
  if (!managed) {
    fmt::print(stderr, "vigil demo: {}\n", managed.status().message());
    return 1;
  }
  for (ConfiguredCamera& c : (*managed)->enabledCameras()) configs.push_back(std::move(c));
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
  // Detection events, in events.db beside the recordings (the demo
  // household has no [notify]: its UI polls them).
  auto openedEvents = NodeEventsRunner::open(options.dataDir, configs, nullptr);
  if (!openedEvents) {
    fmt::print(stderr, "vigil demo: {}\n", openedEvents.status().message());
    return 1;
  }
  std::unique_ptr<NodeEventsRunner> events = std::move(*openedEvents);
  Node node(loops, configs, store->get(), {}, events->detection({}));
  // Settings from the camera page apply at once; the demo does not restart
  // itself, so new masks wait for the next start (vigil serve restarts).
  events->settings()->onChange([&](const std::string& camera, const detect::CameraDetectConfig& detect,
                                   bool masksChanged) {
    if (masksChanged) log::warn("demo.masks_changed", {{"camera", camera}, {"effect", "from the next start"}});
    events->configure(camera, detect);
    if (Status s = node.configureDetection(camera, detect); !s.isOk()) {
      log::error("detect.configure.failed", {{"camera", camera}, {"error", s}});
    }
  });
  events->start(loops, node);
  // Cameras added, changed and deleted from the Cameras page apply at once;
  // one with privacy masks would restart vigil serve in place, and waits
  // for the demo's next start.
  (*managed)->attach(node, store->get(), *access->audit, [] {
    log::warn("demo.camera_masks_changed", {{"effect", "from the next start"}});
  });
  // Each camera's outage history, beside the recordings (design/UPTIME.md).
  auto uptime = NodeUptime::open(options.dataDir, configs, node);
  if (!uptime) {
    fmt::print(stderr, "vigil demo: {}\n", uptime.status().message());
    return 1;
  }

  // The household's tier link, and the village it is linked to. Without a
  // village (it failed to start, or --no-village) the household runs alone.
  Config household;
  household.node.id = kHouseholdId;
  household.node.name = "Demo household";
  household.node.tier = Tier::kHousehold;
  household.node.dataDir = options.dataDir;
  if (auto opened = openNodeLink(household, *access->audit)) {
    link = std::move(*opened);
  } else {
    fmt::print(stderr, "vigil demo: {}\n", opened.status().message());
    return 1;
  }
  std::unique_ptr<DemoVillage> village;
  if (options.village) {
    auto joined = link->store->parent();
    const uint16_t nextPort = options.listen.port == 0 ? 0 : static_cast<uint16_t>(options.listen.port + 1);
    const HostPort villageListen = options.villageListen.value_or(HostPort{options.listen.host, nextPort});
    auto started = DemoVillage::start(std::filesystem::path(options.dataDir) / "village", villageListen,
                                      std::string(kHouseholdId), joined.isOk() && !*joined);
    Status linked = started.status();
    if (started) linked = linkToVillage(*link, household, **started, *access);
    if (linked.isOk()) {
      village = std::move(*started);
      household.link.parent = village->url();
      // Opened again now that it has a parent, which its alarms go up to.
      link.reset();
      auto reopened = openNodeLink(household, *access->audit);
      if (!reopened) {
        fmt::print(stderr, "vigil demo: {}\n", reopened.status().message());
        return 1;
      }
      link = std::move(*reopened);
    } else {
      log::warn("demo.no_village", {{"error", linked}});
      fmt::print(stderr, "vigil demo: the village did not start, the household runs alone: {}\n", linked.message());
    }
  }
  // The public register (design/REGISTER.md), beside the link that
  // carries the listed cameras up.
  const bool firstRegister = !std::filesystem::exists(std::filesystem::path(options.dataDir) / "register.db");
  auto publicRegister = NodeRegister::open(
      options.dataDir, household.node, configs, [&](const std::string& id) { return (*managed)->has(id); },
      *access->audit);
  if (!publicRegister) {
    fmt::print(stderr, "vigil demo: {}\n", publicRegister.status().message());
    return 1;
  }
  if (firstRegister) {
    if (Status s = openDemoRegister((*publicRegister)->store()); !s.isOk()) log::warn("demo.no_register", {{"error", s}});
  }
  // A camera from the UI is in the register with its retention; one
  // removed, or re-pointed at another URL, leaves it (as in vigil serve).
  (*managed)->onChange([reg = publicRegister->get()](const CameraChange& change, const CameraChangeBy& by) {
    return reg->cameraChanged(change, by);
  });
  NodeLinkServices services = nodeLinkServices(node, &*access, link->alarms.get(), publicRegister->get());
  // A register snapshot of a masked camera comes from the same masked stream as a look from above.
  auto publicPictures = [&node, masked = services.masked, maskedLive = services.maskedLive](
                            const std::string& camera) -> Result<std::shared_ptr<media::LiveStream>> {
    if (masked(camera)) return maskedLive(camera);
    return node.live().stream(camera);
  };
  Status linkStarted = relayAuditCheckpoints(*link, household, *access->audit);
  if (linkStarted.isOk()) linkStarted = startNodeLink(*link, household, loops, std::move(services));
  if (Status s = linkStarted; !s.isOk()) {
    fmt::print(stderr, "vigil demo: {}\n", s.message());
    return 1;
  }

  auto web = startNodeHttp(loops, node, *access,
                           {.node = household.node,
                            .listen = options.listen,
                            .store = store->get(),
                            .uptime = (*uptime)->store.get(),
                            .events = events->store(),
                            .onvif = {.discovery = {"127.0.0.1", onvifDevice.discoveryPort()}},
                            .detectionSettings = events->settings(),
                            .clipRoll = [&events](const std::string& camera) { return events->clipRoll(camera); },
                            .webRoot = options.webRoot,
                            .link = &*link,
                            .publicRegister = publicRegister->get(),
                            .publicPictures = publicPictures,
                            .cameras = managed->get()});
  if (!web) {
    fmt::print(stderr, "vigil demo: {}\n", web.status().message());
    return 2;
  }
  // Responses in flight (a clip being downloaded) finish first, briefly.
  StopSignals signals(loops.loop(0), [&](int) {
    events->stop();
    if (link->parent) link->parent->stop();
    (*web)->stop([&] {
      node.shutdown([&] {
        onvifDevice.stop();
        cameraServer.stop();
        loops.stop();
      });
    });
  });
  loops.start();
  node.start();
  (*uptime)->recorder->start();
  if (village) raiseDemoAlarm(*link->alarms);
  if (village && village->inviteCode().size() > 0) sendDemoNotice(*village);
  fmt::print(
      "vigil demo is running with {} synthetic cameras (data in {}).\n"
      "  URL:            http://{}/\n"
      "  user:           admin\n"
      "  admin password: {}\n",
      options.cameras, options.dataDir, HostPort{options.listen.host, (*web)->port()}.toString(), *adminPassword);
  fmt::print(
      "A camera to add from the UI: Camera settings, \"Find cameras on the network\" finds a simulated\n"
      "ONVIF camera at {} (user {}, password {}).\n",
      onvifDevice.deviceServiceUrl(), kDemoOnvifUser, kDemoOnvifPassword);
  if (village) {
    fmt::print(
        "The demo village, to which this household is linked (it sees what the household shares with it:\n"
        "its camera 1 to start with; change that under Sharing):\n"
        "  village URL:    {}/  (a self-signed certificate: let the browser go on)\n"
        "  village user:   admin\n"
        "  village password: {}\n"
        "  The household raised a demo alarm on the first run: acknowledge it under Duty desk.\n",
        village->url(), village->adminPassword());
  }
  fmt::print("Press Ctrl-C to stop.\n");
  std::fflush(stdout);
  loops.join();
  (*uptime)->recorder->stop();
  stopNodeLink(*link);
  village.reset();
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
  dm->add_option_function<std::string>(
         "--village-listen",
         [options](const std::string& text) {
           auto parsed = parseHostPort(text);
           if (!parsed) throw CLI::ValidationError("--village-listen", parsed.status().message());
           options->villageListen = *parsed;
         },
         "ADDR:PORT of the demo village (default: --listen's port + 1)");
  dm->add_flag("!--no-village", options->village, "run the household alone, without the demo village");
  dm->add_option("--web-root", options->webRoot, "the built web UI (default: web/dist of the source tree)");
  out.push_back({dm, [options] { return runDemo(*options); }});
}

}  // namespace vigil::app

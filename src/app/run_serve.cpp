#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "access/config_audit.h"
#include "app/commands.h"
#include "app/config.h"
#include "app/node.h"
#include "app/node_access.h"
#include "app/node_cameras.h"
#include "app/node_alerts.h"
#include "app/node_events.h"
#include "app/node_http.h"
#include "app/node_uptime.h"
#include "app/systemd_notify.h"
#include "base/log.h"
#include "storage/store.h"

namespace vigil::app {

namespace {
// Retention keeps this much of the disk free, whatever the cameras' retain_days.
constexpr uint64_t kMinFreeBytes = uint64_t{512} << 20;

// What runServe asks of its caller when it returns.
enum class AfterServe { kExit, kRestart };

int runServe(const Config& config, AfterServe& after) {
  log::info("serve.start", {{"file", config.sourcePath},
                            {"node", config.node.name},
                            {"tier", tierName(config.node.tier)},
                            {"cameras", config.cameras.size()}});  // the file's
  // Accounts live in [access] database or the data directory; without
  // either there is no one to let in, so the HTTP server stays off.
  // Declared first, destroyed last: the audit log's last checkpoint, made
  // as `access` goes, is queued in the link's outbox.
  std::optional<NodeLink> link;
  std::optional<NodeAccess> access;
  if (!config.node.dataDir.empty() || !config.access.database.empty()) {
    const AccessLocation where{config.node.dataDir, config.access.database};
    vigil::access::AccountsOptions accountsOptions;
    accountsOptions.sessionLifetime = std::chrono::seconds(config.access.sessionLifetimeSeconds);
    accountsOptions.idleTimeout = std::chrono::seconds(config.access.sessionIdleSeconds);
    accountsOptions.deviceIdleTimeout = std::chrono::seconds(config.access.deviceIdleSeconds);
    accountsOptions.throttle.checksPerSecond = config.access.passwordChecksPerSecond;
    auto opened = openNodeAccess(where, AccessUse::kReadWrite, accountsOptions);
    if (!opened) {
      fmt::print(stderr, "vigil serve: {}\n", opened.status().message());
      return 1;
    }
    access = std::move(*opened);
    log::info("serve.access", {{"database", where.describe()}, {"node_key", access->nodeKeyHex}});
    if (Status s = vigil::access::auditConfigChange(
            *access->audit, *access->store,
            {config.node.name, config.sourcePath, config.sourceText, config.canonicalSections});
        !s.isOk()) {
      fmt::print(stderr, "vigil serve: {}\n", s.message());
      return 1;
    }
    auto created = access->accounts->ensureAdmin();
    if (!created) {
      fmt::print(stderr, "vigil serve: {}\n", created.status().message());
      return 1;
    }
    if (created->has_value()) {
      // Shown once, on the first run; `vigil user passwd admin` sets a new one.
      fmt::print("vigil serve: created user admin\n  admin password: {}\n", **created);
      std::fflush(stdout);
    }
  } else {
    log::warn("serve.http_off", {{"reason", "neither node.data_dir nor access.database is set"}});
  }

  // The cameras added from the API (design/CAMERAS.md) live in the data
  // directory: the enabled ones start after the file's, with everything
  // the file's cameras get.
  std::vector<ConfiguredCamera> cameras = config.cameras;
  std::unique_ptr<NodeCameras> managed;
  if (!config.node.dataDir.empty()) {
    auto opened = NodeCameras::open(config.node.dataDir, config.cameras, config.sourcePath);
    if (!opened) {
      fmt::print(stderr, "vigil serve: {}\n", opened.status().message());
      return 1;
    }
    managed = std::move(*opened);
    for (ConfiguredCamera& c : managed->enabledCameras()) cameras.push_back(std::move(c));
  }

  // Recordings live in the data directory too.
  std::unique_ptr<storage::Store> store;
  if (!config.node.dataDir.empty()) {
    storage::StoreOptions options{.dataDir = config.node.dataDir};
    for (const auto& [camera, recording, detect] : cameras) options.writer.retainDays[camera.id] = recording.retainDays;
    if (managed) options.writer.retainDays.merge(managed->retainDays());  // disabled ones' too
    // A recorded sub stream (record_sub) keeps its camera's retention.
    for (const auto& [id, days] : std::map(options.writer.retainDays)) options.writer.retainDays[camera::subStreamId(id)] = days;
    options.writer.minFreeBytes = kMinFreeBytes;
    auto opened = storage::Store::open(std::move(options));
    if (!opened) {
      fmt::print(stderr, "vigil serve: {}\n", opened.status().message());
      return 1;
    }
    store = std::move(*opened);
  } else if (std::any_of(cameras.begin(), cameras.end(),
                         [](const ConfiguredCamera& c) { return c.recording.record != storage::RecordMode::kOff; })) {
    log::warn("serve.recording_off", {{"reason", "node.data_dir is not set"}});
  }

  // The tier link (design/LINK.md) lives in the data directory too.
  if (!config.node.dataDir.empty()) {
    auto opened = openNodeLink(config, *access->audit);  // a data directory: access is open
    if (!opened) {
      fmt::print(stderr, "vigil serve: {}\n", opened.status().message());
      return 1;
    }
    link = std::move(*opened);
    if (Status s = access ? relayAuditCheckpoints(*link, config, *access->audit) : Status::ok(); !s.isOk()) {
      fmt::print(stderr, "vigil serve: {}\n", s.message());
      return 1;
    }
  }

  // Detection events (design/DETECT.md, "Events") in the data directory,
  // with the detection settings the owner set in the UI, which the cameras
  // start with; the notifier's entities are added before the link starts it.
  EventLoopPool loops;
  std::unique_ptr<NodeEventsRunner> events;
  if (!config.node.dataDir.empty()) {
    auto opened = NodeEventsRunner::open(config.node.dataDir, cameras, link ? link->notifier.get() : nullptr);
    if (!opened) {
      fmt::print(stderr, "vigil serve: {}\n", opened.status().message());
      return 1;
    }
    events = std::move(*opened);
  }
  Node node(loops, cameras, store.get(), {},
            events ? events->detection(config.detect) : NodeDetection{.config = config.detect});
  // The cameras' outage history (design/UPTIME.md): what the last run left
  // open ends at its last heartbeat, and the time down counts as node_down.
  std::unique_ptr<NodeUptime> uptime;
  if (!config.node.dataDir.empty()) {
    auto opened = NodeUptime::open(config.node.dataDir, cameras, node);
    if (!opened) {
      fmt::print(stderr, "vigil serve: {}\n", opened.status().message());
      return 1;
    }
    uptime = std::move(*opened);
  }
  // The overview's figures of this node (design/UPTIME.md, "Overview").
  NodeOverviewSources overviewSources{.cameras = [&node] { return node.cameraStatuses(); },
                                      .store = store.get(),
                                      .minFreeBytes = kMinFreeBytes,
                                      .uptime = uptime ? uptime->store.get() : nullptr,
                                      .alarms = link ? link->alarmStore.get() : nullptr};
  for (const ConfiguredCamera& c : cameras) {
    if (c.recording.record != storage::RecordMode::kOff) overviewSources.recorded.insert(c.camera.id);
  }
  NodeOverview overview(std::move(overviewSources));
  if (events) events->start(loops, node);
  // The public register (design/REGISTER.md), beside the link that carries
  // this node's listed cameras up.
  std::unique_ptr<NodeRegister> publicRegister;
  if (access && !config.node.dataDir.empty()) {
    // With a data directory, `managed` knows every camera of the node: the file's and the database's.
    auto opened = NodeRegister::open(config.node.dataDir, config.node, cameras,
                                     [&](const std::string& id) { return managed->has(id); }, *access->audit);
    if (!opened) {
      fmt::print(stderr, "vigil serve: {}\n", opened.status().message());
      return 1;
    }
    publicRegister = std::move(*opened);
    // A camera from the UI is in the register with its retention; one
    // removed, or re-pointed at another URL, leaves it.
    if (managed) {
      managed->onChange([reg = publicRegister.get()](const CameraChange& change, const CameraChangeBy& by) {
        return reg->cameraChanged(change, by);
      });
    }
  }
  std::function<Result<std::shared_ptr<media::LiveStream>>(const std::string&)> publicPictures;
  if (link) {
    NodeLinkServices services =
        nodeLinkServices(node, access ? &*access : nullptr, link->alarms.get(), publicRegister.get());
    services.overview = [&overview] { return overview.own(); };
    // A register snapshot of a masked camera comes from the same masked stream as a look from above.
    publicPictures = [&node, masked = services.masked, maskedLive = services.maskedLive](
                         const std::string& camera) -> Result<std::shared_ptr<media::LiveStream>> {
      if (masked(camera)) return maskedLive(camera);
      return node.live().stream(camera);
    };
    // Dials the parent once the loops run.
    if (Status s = startNodeLink(*link, config, loops, std::move(services)); !s.isOk()) {
      fmt::print(stderr, "vigil serve: {}\n", s.message());
      return 2;
    }
  }
  // Alerts for the owner and the desk (design/UPTIME.md, "Alerts").
  AlertSources alertSources{.cameras = [&node] { return node.cameraStatuses(); },
                            .recorded = [&node] { return node.recordedCameras(); },
                            .store = store.get()};
  if (link) {
    alertSources.parent = [&link]() -> std::optional<link::ParentLinkStatus> {
      if (!link->parent) return std::nullopt;
      return link->parent->status();
    };
    alertSources.children = [&link] { return link->children->status(); };
    if (link->catalog) alertSources.below = [&link] { return link->catalog->cameras(); };
  }
  std::unique_ptr<uptime::AlertStore> keptAlerts;
  if (!config.node.dataDir.empty()) {
    auto opened = uptime::AlertStore::open((std::filesystem::path(config.node.dataDir) / "alerts.db").string());
    if (!opened) {
      fmt::print(stderr, "vigil serve: alerts.db: {}\n", opened.status().message());
      return 1;
    }
    keptAlerts = std::move(*opened);
  }
  NodeAlerts alerts(config.alerts, std::move(alertSources), link ? link->notifier.get() : nullptr, keptAlerts.get());
  std::unique_ptr<http::HttpServer> web;
  bool stopping = false;  // on loop 0: a signal during a restart's stop must not stop twice
  auto stopAll = [&] {
    if (stopping) return;
    stopping = true;
    if (events) events->stop();
    if (link && link->parent) link->parent->stop();
    auto stopNode = [&] { node.shutdown([&] { loops.stop(); }); };
    if (web) {
      web->stop(stopNode);
    } else {
      stopNode();
    }
  };
  // A restart in place (a parent joined from the web UI): stopped as on
  // SIGTERM, a moment after the answer is sent, then run again from the
  // config file by the caller.
  boost::asio::steady_timer restartTimer(loops.loop(0));
  auto restartSoon = [&] {
    boost::asio::post(loops.loop(0), [&] {
      if (stopping) return;  // a signal came first: it exits
      after = AfterServe::kRestart;
      restartTimer.expires_after(std::chrono::milliseconds(500));
      restartTimer.async_wait([&](const boost::system::error_code& ec) {
        if (!ec) stopAll();
      });
    });
  };
  // Settings from the UI (design/DETECT.md): labels and zones apply at
  // once; new privacy masks restart the node in place, so that no stream,
  // cached picture or encoder made under the old masks outlives them. The
  // link to the parent ends at once: no look from above waits for the
  // restart under the old masks.
  if (events) {
    events->settings()->onChange([&](const std::string& camera, const detect::CameraDetectConfig& detect,
                                     bool masksChanged) {
      if (masksChanged) {
        log::info("detect.masks_changed", {{"camera", camera}, {"effect", "restart in place"}});
        if (publicRegister) publicRegister->pictures()->hold(camera);  // none shown until the restart either
        if (link && link->parent) link->parent->stop();
        restartSoon();
        return;
      }
      events->configure(camera, detect);
      if (Status s = node.configureDetection(camera, detect); !s.isOk()) {
        log::error("detect.configure.failed", {{"camera", camera}, {"error", s}});
      }
    });
  }
  if (managed && access) managed->attach(node, store.get(), *access->audit, restartSoon);
  if (access) {
    auto started = startNodeHttp(loops, node, *access,
                                 {.node = config.node,
                                  .listen = config.http.listen,
                                  .hosts = config.http.hosts,
                                  .tlsCert = config.http.tlsCert,
                                  .tlsKey = config.http.tlsKey,
                                  .store = store.get(),
                                  .uptime = uptime ? uptime->store.get() : nullptr,
                                  .overview = &overview,
                                  .events = events ? events->store() : nullptr,
                                  .onvif = config.onvif,
                                  .onvifCamera = [&config](const std::string& id) -> std::optional<http::OnvifCamera> {
                                    auto device = config.cameraOnvif.find(id);
                                    if (device == config.cameraOnvif.end()) return std::nullopt;
                                    for (const ConfiguredCamera& c : config.cameras) {
                                      if (c.camera.id != id) continue;
                                      return http::OnvifCamera{device->second.deviceUrl,
                                                               device->second.login(c.camera.username,
                                                                                    c.camera.password)};
                                    }
                                    return std::nullopt;
                                  },
                                  .detectionSettings = events ? events->settings() : nullptr,
                                  .clipRoll = [&events](const std::string& camera) { return events->clipRoll(camera); },
                                  .webRoot = config.http.webRoot,
                                  .liveViewsPerSession = config.http.liveViewsPerSession,
                                  .liveViewsPerUser = config.http.liveViewsPerUser,
                                  .transcode = config.transcode,
                                  .link = link ? &*link : nullptr,
                                  .publicRegister = publicRegister.get(),
                                  .publicPictures = publicPictures,
                                  .alerts = &alerts,
                                  .config = &config,
                                  .restart = restartSoon,
                                  .cameras = managed.get()});
    if (!started) {
      fmt::print(stderr, "vigil serve: {}\n", started.status().message());
      return 2;
    }
    web = std::move(*started);
  }
  // Responses in flight (a clip being downloaded) finish first, briefly.
  // A signal exits, even while a restart in place is pending or under way.
  StopSignals signals(loops.loop(0), [&](int) {
    after = AfterServe::kExit;
    restartTimer.cancel();
    notifySystemd("STOPPING=1");
    stopAll();
  });
  // Logged once signals are handled, so a test that waits for it may stop us.
  if (web) {
    log::info("serve.http", {{"listen", config.http.listen.toString()},
                             {"port", web->port()},
                             {"tls", !config.http.tlsCert.empty()}});
  }
  // systemd (Type=notify) starts what comes after vigil once the port
  // listens and the admin password, on a first run, is printed.
  notifySystemd("READY=1");
  loops.start();
  node.start();
  if (uptime) uptime->recorder->start();
  alerts.start();
  loops.join();
  alerts.stop();
  if (uptime) uptime->recorder->stop();  // its last heartbeat: this run ends now
  if (link) stopNodeLink(*link);
  if (store) store->stop();  // writes what is queued and seals every recording
  log::info("serve.stopped", {});
  return 0;
}

}  // namespace

void addServeCommand(CLI::App& cli, Subcommands& out) {
  auto configPath = std::make_shared<std::string>();
  auto* serve = cli.add_subcommand("serve", "Run a node from a config file");
  serve->add_option("--config", *configPath, "TOML config file")->required();
  out.push_back({serve, [configPath] {
                   for (;;) {
                     auto config = loadConfigFile(*configPath);
                     if (!config) {
                       fmt::print(stderr, "vigil serve: {}\n", config.status().message());
                       return kUsageError;
                     }
                     AfterServe after = AfterServe::kExit;
                     const int code = runServe(*config, after);
                     if (code != 0 || after == AfterServe::kExit) return code;
                     log::info("serve.restart", {{"file", *configPath}});
                   }
                 }});
}

}  // namespace vigil::app

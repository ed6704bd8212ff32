#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <optional>

#include "access/config_audit.h"
#include "app/commands.h"
#include "app/node.h"
#include "app/node_access.h"
#include "app/node_http.h"
#include "base/log.h"
#include "storage/store.h"

namespace vigil::app {

namespace {
// Retention keeps this much of the disk free, whatever the cameras' retain_days.
constexpr uint64_t kMinFreeBytes = uint64_t{512} << 20;
}  // namespace

int runServe(const Config& config) {
  log::info("serve.start", {{"file", config.sourcePath},
                            {"node", config.node.name},
                            {"tier", tierName(config.node.tier)},
                            {"cameras", config.cameras.size()}});
  // Accounts live in [access] database or the data directory; without
  // either there is no one to let in, so the HTTP server stays off.
  std::optional<NodeAccess> access;
  if (!config.node.dataDir.empty() || !config.access.database.empty()) {
    const AccessLocation where{config.node.dataDir, config.access.database};
    auto opened = openNodeAccess(where);
    if (!opened) {
      fmt::print(stderr, "vigil serve: {}\n", opened.status().message());
      return 1;
    }
    access = std::move(*opened);
    log::info("serve.access", {{"database", where.describe()}});
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

  // Recordings live in the data directory too.
  std::unique_ptr<storage::Store> store;
  if (!config.node.dataDir.empty()) {
    storage::StoreOptions options{.dataDir = config.node.dataDir};
    for (const CameraConfig& c : config.cameras) options.writer.retainDays[c.id] = c.retainDays;
    options.writer.minFreeBytes = kMinFreeBytes;
    auto opened = storage::Store::open(std::move(options));
    if (!opened) {
      fmt::print(stderr, "vigil serve: {}\n", opened.status().message());
      return 1;
    }
    store = std::move(*opened);
  } else if (std::any_of(config.cameras.begin(), config.cameras.end(),
                         [](const CameraConfig& c) { return c.record != RecordMode::kOff; })) {
    log::warn("serve.recording_off", {{"reason", "node.data_dir is not set"}});
  }

  // The tier link (design/LINK.md) lives in the data directory too.
  std::optional<NodeLink> link;
  if (!config.node.dataDir.empty()) {
    auto opened = openNodeLink(config);
    if (!opened) {
      fmt::print(stderr, "vigil serve: {}\n", opened.status().message());
      return 1;
    }
    link = std::move(*opened);
  }

  EventLoopPool loops;
  Node node(loops, config.cameras, store.get());
  if (link) {
    // Dials the parent once the loops run.
    if (Status s = startNodeLink(*link, config, loops); !s.isOk()) {
      fmt::print(stderr, "vigil serve: {}\n", s.message());
      return 2;
    }
  }
  std::unique_ptr<http::HttpServer> web;
  if (access) {
    auto started = startNodeHttp(loops, node, *access,
                                 {.nodeName = config.node.name,
                                  .listen = config.http.listen,
                                  .tlsCert = config.http.tlsCert,
                                  .tlsKey = config.http.tlsKey,
                                  .store = store.get(),
                                  .webRoot = config.http.webRoot,
                                  .link = link ? &*link : nullptr});
    if (!started) {
      fmt::print(stderr, "vigil serve: {}\n", started.status().message());
      return 2;
    }
    web = std::move(*started);
  }
  // Responses in flight (a clip being downloaded) finish first, briefly.
  StopSignals signals(loops.loop(0), [&](int) {
    if (link && link->parent) link->parent->stop();
    auto stopNode = [&] { node.shutdown([&] { loops.stop(); }); };
    if (web) {
      web->stop(stopNode);
    } else {
      stopNode();
    }
  });
  // Logged once signals are handled, so a test that waits for it may stop us.
  if (web) {
    log::info("serve.http", {{"listen", config.http.listen.toString()},
                             {"port", web->port()},
                             {"tls", !config.http.tlsCert.empty()}});
  }
  loops.start();
  node.start();
  loops.join();
  if (link) link->children->stop();
  if (store) store->stop();  // writes what is queued and seals every recording
  log::info("serve.stopped", {});
  return 0;
}

}  // namespace vigil::app

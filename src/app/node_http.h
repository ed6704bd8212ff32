#pragma once
// The HTTP side of a node, the same for `vigil serve` and `vigil demo`:
// one server with every route of the API (cameras, accounts and audit,
// live view, recordings) over the node's cameras, store and audit log.

#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include "app/config.h"
#include "app/detection_settings.h"
#include "app/node.h"
#include "app/node_access.h"
#include "app/node_link.h"
#include "app/node_overview.h"
#include "base/config.h"
#include "base/event_loops.h"
#include "detect/event_store.h"
#include "http/detection_event_routes.h"
#include "http/server.h"
#include "uptime/store.h"

namespace vigil::app {

struct NodeHttpOptions {
  NodeConfig node;  // [node]: its name heads the camera list, its id and tier are in /api/v1/me
  HostPort listen;
  std::vector<std::string> hosts;  // [http] hosts; the listen host is added
  std::string tlsCert;  // both set: HTTPS only
  std::string tlsKey;
  storage::Store* store = nullptr;  // the node's recordings; null when it records nothing
  uptime::UptimeStore* uptime = nullptr;  // its cameras' outages; null: none kept
  NodeOverview* overview = nullptr;  // its figures for GET /api/v1/overview; null: no such route
  detect::EventStore* events = nullptr;  // the node's detection events; null: none (no routes)
  // Its cameras' detection settings (the owner's, over the file's); null: no such routes.
  DetectionSettings* detectionSettings = nullptr;
  // Each camera's pre- and post-roll, for an event's clip.
  std::function<http::ClipRoll(const std::string& camera)> clipRoll;
  // The built web UI; empty: findWebRoot(), and without one a login page.
  std::string webRoot;
  int liveViewsPerSession = 32;  // [http] live_views_per_session
  int liveViewsPerUser = 64;
  NodeLink* link = nullptr;  // the tier link's routes; null: none
  // With `link`: the file POST /api/v1/link/parent writes [link] parent into; null: no such route.
  const Config* config = nullptr;
  // With `config`: restarts the node in place after a join (runServe); null: none.
  std::function<void()> restart;
};

// A file of the source tree: `relative` looked for in the ancestors of the
// executable's directory (build/<preset>/src/app/vigil lies inside the
// tree), then of the working directory. Empty when none has it.
std::string findInSourceTree(const std::filesystem::path& relative);
// Where the built web UI is when no directory is configured: web/dist of
// the source tree (findInSourceTree), empty when it has no index.html.
std::string findWebRoot();

// Registers every route and listens. InvalidArgument (bad TLS files) or the
// listen error otherwise; the message names what is at fault.
Result<std::unique_ptr<http::HttpServer>> startNodeHttp(EventLoopPool& loops, Node& node, NodeAccess& access,
                                                        const NodeHttpOptions& options);

}  // namespace vigil::app

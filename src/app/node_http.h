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
#include "app/node_cameras.h"
#include "app/node_alerts.h"
#include "app/node_link.h"
#include "app/node_register.h"
#include "app/node_overview.h"
#include "base/config.h"
#include "base/event_loops.h"
#include "detect/event_store.h"
#include "http/detection_event_routes.h"
#include "http/server.h"
#include "http/onvif_routes.h"
#include "onvif/config.h"
#include "transcode/config.h"
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
  onvif::OnvifConfig onvif;  // [onvif]: where discovery probes
  // A file camera's ONVIF device (its `onvif` keys and login); null: none
  // has one. Those of `cameras` are asked after it.
  std::function<std::optional<http::OnvifCamera>(const std::string& camera)> onvifCamera;
  // Its cameras' detection settings (the owner's, over the file's); null: no such routes.
  DetectionSettings* detectionSettings = nullptr;
  // Each camera's pre- and post-roll, for an event's clip.
  std::function<http::ClipRoll(const std::string& camera)> clipRoll;
  // The built web UI; empty: findWebRoot(), and without one a login page.
  std::string webRoot;
  int liveViewsPerSession = 32;  // [http] live_views_per_session
  int liveViewsPerUser = 64;
  transcode::TranscodeConfig transcode;  // [transcode]: live H.264 for browsers that cannot play a camera
  NodeLink* link = nullptr;  // the tier link's routes; null: none
  // The public register's routes (design/REGISTER.md); null: none.
  NodeRegister* publicRegister = nullptr;
  // With it: the live stream a listed camera's register snapshot is taken
  // from (its masked one when it has masks for what is shared).
  std::function<Result<std::shared_ptr<media::LiveStream>>(const std::string& camera)> publicPictures;
  NodeAlerts* alerts = nullptr;  // GET /api/v1/alerts; null: no such route
  // With `link`: the file POST /api/v1/link/parent writes [link] parent into; null: no such route.
  const Config* config = nullptr;
  // With `config`: restarts the node in place after a join (runServe); null: none.
  std::function<void()> restart;
  // The cameras its admins manage from the API (design/CAMERAS.md); null:
  // the node's cameras only, and no such routes.
  NodeCameras* cameras = nullptr;
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

#include "app/node_http.h"

#include <algorithm>
#include <filesystem>

#include "app/join_parent.h"
#include "app/stream_probe.h"
#include "base/log.h"
#include "http/access_routes.h"
#include "http/device_routes.h"
#include "http/alarm_routes.h"
#include "http/alert_routes.h"
#include "http/broadcast_routes.h"
#include "http/camera_admin_routes.h"
#include "http/camera_health_routes.h"
#include "http/camera_routes.h"
#include "http/live_routes.h"
#include "http/onvif_routes.h"
#include "http/metrics_routes.h"
#include "http/overview_routes.h"
#include "http/recording_routes.h"
#include "http/event_routes.h"
#include "http/link_routes.h"
#include "http/register_routes.h"
#include "http/share_routes.h"
#include "mask/masked_recording.h"
#include "transcode/browser_transcodes.h"

namespace vigil::app {

std::string findInSourceTree(const std::filesystem::path& relative) {
  std::vector<std::filesystem::path> starts;
  std::error_code ec;
  const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) starts.push_back(exe.parent_path());
  starts.push_back(std::filesystem::current_path(ec));
  for (const auto& start : starts) {
    for (auto dir = start; !dir.empty(); dir = dir.parent_path()) {
      const auto candidate = dir / relative;
      if (std::filesystem::is_regular_file(candidate, ec)) return candidate.string();
      if (dir == dir.parent_path()) break;
    }
  }
  return "";
}

std::string findWebRoot() {
  const std::string index = findInSourceTree("web/dist/index.html");
  return index.empty() ? "" : std::filesystem::path(index).parent_path().string();
}

Result<std::unique_ptr<http::HttpServer>> startNodeHttp(EventLoopPool& loops, Node& node, NodeAccess& access,
                                                        const NodeHttpOptions& options) {
  http::HttpServerOptions serverOptions;
  serverOptions.accounts = access.accounts.get();
  // A broadcast carries its audio in its body. The limit holds for every
  // route, before any session is checked: only a node that sends
  // broadcasts (above household) takes such bodies.
  if (options.link && options.node.tier != Tier::kHousehold) {
    serverOptions.maxBodyBytes = std::max(serverOptions.maxBodyBytes, http::kMaxBroadcastRequestBytes);
  }
  link::Catalog* below = options.link ? options.link->catalog.get() : nullptr;
  NodeCameras* managed = options.cameras;
  // A disabled camera exists too: its recordings are still played back.
  serverOptions.cameraExists = [&node, below, managed](std::string_view id) {
    return node.hasCamera(std::string(id)) || (managed && managed->has(std::string(id))) || (below && below->has(id));
  };
  const http::CameraStatusSource statuses = managed ? http::CameraStatusSource([managed] { return managed->statuses(); })
                                                    : http::CameraStatusSource([&node] { return node.cameraStatuses(); });
  serverOptions.hosts = options.hosts;
  serverOptions.hosts.push_back(options.listen.host);
  auto server = std::make_unique<http::HttpServer>(loops, serverOptions);
  // Before the routes: the camera routes add a login page only without a UI.
  const std::string webRoot = options.webRoot.empty() ? findWebRoot() : options.webRoot;
  if (!webRoot.empty()) {
    VIGIL_RETURN_IF_ERROR(server->serveStaticFiles(webRoot));
    log::info("http.web_root", {{"path", webRoot}});
  } else {
    log::warn("http.no_web_ui", {{"reason", "no web/dist with an index.html found; run npm run build in web/"}});
  }
  http::addCameraRoutes(*server, options.node.name, statuses,
                        below ? http::RemoteCameraSource([below] { return below->cameras(); }) : nullptr);
  http::addAccessRoutes(*server, *access.accounts, *access.audit, options.node);
  http::addDeviceRoutes(*server, *access.accounts, *access.pairing, options.node);
  http::addRecordingRoutes(*server, {.store = options.store,
                                     .audit = access.audit.get(),
                                     .remote = options.link ? &options.link->looks->media() : nullptr,
                                     .maskedAbove = [&node](const std::string& camera) -> storage::SampleTransform {
                                       auto m = node.masks().find(camera);
                                       if (m == node.masks().end()) return nullptr;
                                       return mask::maskingTransform(m->second);
                                     }});
  // Kept by the routes that use it; started by the first viewer asking.
  auto transcodes = std::make_shared<transcode::BrowserTranscodes>(node.live(), options.transcode);
  http::addLiveRoutes(*server, {.live = &node.live(),
                                .audit = access.audit.get(),
                                .loops = &loops,
                                .remote = options.link ? options.link->looks.get() : nullptr,
                                .streamId = [&node](const std::string& camera,
                                                    bool sub) { return node.liveStreamId(camera, sub); },
                                .h264ForBrowsers =
                                    [transcodes](const std::string& camera) { return transcodes->hold(camera); },
                                .maxViewsPerSession = options.liveViewsPerSession,
                                .maxViewsPerUser = options.liveViewsPerUser});
  http::addCameraHealthRoutes(
      *server, {.local = [&node](std::string_view id) { return node.hasCamera(std::string(id)); },
                .uptime = options.uptime,
                .remote = below ? http::RemoteCameraSource([below] { return below->cameras(); }) : nullptr,
                .children = options.link ? options.link->health.get() : nullptr});
  http::addMetricsRoute(*server, {.cameras = [&node] { return node.cameraStatuses(); },
                                  .live = &node.live(),
                                  .store = options.store,
                                  .uptime = options.uptime,
                                  .browserTranscodes = [transcodes] { return transcodes->active(); }});
  // The file's cameras, then those of the API (a database row the file
  // shadows is not among them: NodeCameras::open).
  auto onvifCamera = [file = options.onvifCamera,
                      cameras = options.cameras](const std::string& id) -> std::optional<http::OnvifCamera> {
    if (auto device = file ? file(id) : std::nullopt) return device;
    return cameras ? cameras->onvifDevice(id) : std::nullopt;
  };
  http::addOnvifRoutes(*server, {.discovery = {.target = options.onvif.discovery},
                                 .camera = onvifCamera,
                                 .audit = access.audit.get()});
  if (NodeOverview* overview = options.overview) {
    http::addOverviewRoutes(*server, {.node = options.node,
                                      .own = [overview] { return overview->own(); },
                                      .cameras = [overview] { return overview->cameras(); },
                                      .children = options.link ? options.link->children.get() : nullptr,
                                      .health = options.link ? options.link->health.get() : nullptr,
                                      .remote = below ? http::RemoteCameraSource([below] { return below->cameras(); })
                                                      : nullptr});
  }
  http::addEventRoutes(
      *server, [&node](const std::string& id, bool open) { return node.setEventOpen(id, open); }, *access.audit);
  if (options.events) {
    DetectionSettings* settings = options.detectionSettings;
    http::addDetectionEventRoutes(
        *server, {.store = options.events,
                  .audit = access.audit.get(),
                  .clipRoll = options.clipRoll,
                  .notifies = settings ? [settings](const std::string& camera, std::string_view label) {
                    auto current = settings->get(camera);
                    const auto parsed = detect::parseLabel(label);
                    return current.isOk() && parsed && current->config.notifies(*parsed);
                  } : std::function<bool(const std::string&, std::string_view)>()});
  }
  if (DetectionSettings* settings = options.detectionSettings) {
    http::addDetectionSettingsRoutes(
        *server, {.get = [settings](const std::string& camera) { return settings->get(camera); },
                  .set = [settings](const std::string& camera, const std::optional<detect::CameraDetectConfig>& config) {
                    return settings->set(camera, config);
                  },
                  .audit = access.audit.get()});
  }
  if (NodeLink* tierLink = options.link) {
    http::addLinkRoutes(*server, {.enrolment = tierLink->enrolment.get(),
                                  .children = tierLink->children.get(),
                                  .store = tierLink->store.get(),
                                  .outbox = tierLink->outbox.get(),
                                  .health = tierLink->health.get(),
                                  .parent = [tierLink]() -> std::optional<link::ParentLinkStatus> {
                                    if (!tierLink->parent) return std::nullopt;
                                    return tierLink->parent->status();
                                  },
                                  .joinParent = options.config ? http::LinkRouteOptions::JoinParent(
                                                                     [tierLink, config = options.config, &access](
                                                                         const access::Actor& by, const std::string& url,
                                                                         const std::string& code) {
                                                                       return joinLinkParent(*tierLink, *config, url, code,
                                                                                             *access.audit, by);
                                                                     })
                                                               : nullptr,
                                  .restart = options.restart});
    http::addAlarmRoutes(*server, {.alarms = tierLink->alarms.get(),
                                   .audit = access.audit.get(),
                                   .cameraExists = [&node](std::string_view id) { return node.hasCamera(std::string(id)); }});
    http::addBroadcastRoutes(*server, *tierLink->notices, *access.audit);
  }
  http::addShareRoutes(*server, *access.shares);
  if (managed) {
    using By = http::CameraAdminRoutesContext::By;
    auto by = [](const By& b) { return CameraChangeBy{b.user, b.client}; };
    http::addCameraAdminRoutes(
        *server,
        {.get = [managed](const std::string& id) { return managed->get(id); },
         .add = [managed, by](nlohmann::json table, bool enabled, const By& b) {
           return managed->add(std::move(table), enabled, by(b));
         },
         .update = [managed, by](const std::string& id, nlohmann::json table, std::optional<bool> enabled,
                                 const By& b) { return managed->update(id, std::move(table), enabled, by(b)); },
         .remove = [managed, by](const std::string& id, bool deleteRecordings,
                                 const By& b) { return managed->remove(id, deleteRecordings, by(b)); },
         .probe = [&loops](const http::CameraAdminRoutesContext::Probe& probe) { return probeCamera(loops, probe); }});
  }
  if (NodeAlerts* alerts = options.alerts) http::addAlertRoutes(*server, [alerts] { return alerts->open(); });
  if (NodeRegister* reg = options.publicRegister) {
    http::addRegisterRoutes(
        *server, {.store = &reg->store(),
                  .audit = access.audit.get(),
                  .nodeName = options.node.name,
                  .tier = options.node.tier,
                  .cameras = [&node] { return node.cameraStatuses(); },
                  .listing = [reg](const std::string& camera) { return reg->listing(camera); },
                  .rights = [&access](const std::string& camera) { return access.shares->rightsNow(camera, false); },
                  .below = below ? std::function<std::vector<link::RemoteCamera>()>([below] { return below->publicCameras(); })
                                 : nullptr,
                  .pictures = options.publicPictures,
                  .kept = reg->pictures()});
  }
  if (!options.tlsCert.empty()) VIGIL_RETURN_IF_ERROR(server->enableTls(options.tlsCert, options.tlsKey));
  VIGIL_RETURN_IF_ERROR(server->listen(options.listen));
  return server;
}

}  // namespace vigil::app

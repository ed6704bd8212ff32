#include "app/node_http.h"

#include "http/access_routes.h"
#include "http/camera_routes.h"
#include "http/metrics_routes.h"
#include "http/recording_routes.h"
#include "http/event_routes.h"

namespace vigil::app {

Result<std::unique_ptr<http::HttpServer>> startNodeHttp(EventLoopPool& loops, Node& node, NodeAccess& access,
                                                        const NodeHttpOptions& options) {
  http::HttpServerOptions serverOptions;
  serverOptions.accounts = access.accounts.get();
  auto server = std::make_unique<http::HttpServer>(loops, serverOptions);
  http::addCameraRoutes(*server, options.nodeName, [&node] { return node.cameraStatuses(); });
  http::addAccessRoutes(*server, *access.accounts, *access.audit);
  auto cameraExists = [&node](const std::string& id) { return node.hasCamera(id); };
  http::addRecordingRoutes(*server, {.store = options.store, .audit = access.audit.get(), .cameraExists = cameraExists});
  http::addMetricsRoute(*server, {.cameras = [&node] { return node.cameraStatuses(); },
                                  .live = &node.live(),
                                  .store = options.store});
  http::addEventRoutes(
      *server, [&node](const std::string& id, bool open) { return node.setEventOpen(id, open); }, *access.audit);
  if (!options.tlsCert.empty()) VIGIL_RETURN_IF_ERROR(server->enableTls(options.tlsCert, options.tlsKey));
  VIGIL_RETURN_IF_ERROR(server->listen(options.listen));
  return server;
}

}  // namespace vigil::app

#pragma once
// GET /metrics: the node in the Prometheus text format (version 0.0.4):
// per camera its state, rates, losses, reconnects, whether it is online
// and its outages by reason (uptime/store.h); live viewers; the cameras
// transcoded for browsers that cannot play their codec; the storage
// directories; HTTP requests by route and status. Names follow
// Prometheus's conventions: the `vigil_` prefix, base units (bytes,
// seconds) as a suffix, `_total` on counters. Admins only,
// like every other view of the whole node; a scraper sends an API token
// of scope `metrics` as a Bearer credential, which reads /metrics and
// nothing else.

#include <functional>
#include <vector>

#include "camera/camera.h"
#include "http/server.h"
#include "media/live.h"
#include "storage/store.h"
#include "uptime/store.h"

namespace vigil::http {

struct MetricsSources {
  std::function<std::vector<camera::CameraStatus>()> cameras;
  const media::LiveRegistry* live = nullptr;  // may be null
  const storage::Store* store = nullptr;      // may be null
  const uptime::UptimeStore* uptime = nullptr;  // may be null
  const HttpServer* server = nullptr;         // its request counters
  // The cameras transcoded for browsers now (transcode/browser_transcodes.h); may be null.
  std::function<std::vector<std::string>()> browserTranscodes;
};

std::string renderMetrics(const MetricsSources& sources);
void addMetricsRoute(HttpServer& server, MetricsSources sources);

}  // namespace vigil::http

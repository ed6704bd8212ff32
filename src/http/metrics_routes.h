#pragma once
// GET /metrics: the node in the Prometheus text format (version 0.0.4):
// per camera its state, rates, losses and reconnects; live viewers; the
// storage directories; HTTP requests by route and status. Admins only, like
// every other view of the whole node (a scraper logs in as one and sends
// the token as a Bearer credential).

#include <functional>
#include <vector>

#include "camera/camera.h"
#include "http/server.h"
#include "media/live.h"
#include "storage/store.h"

namespace vigil::http {

struct MetricsSources {
  std::function<std::vector<camera::CameraStatus>()> cameras;
  const media::LiveRegistry* live = nullptr;  // may be null
  const storage::Store* store = nullptr;      // may be null
  const HttpServer* server = nullptr;         // its request counters
};

std::string renderMetrics(const MetricsSources& sources);
void addMetricsRoute(HttpServer& server, MetricsSources sources);

}  // namespace vigil::http

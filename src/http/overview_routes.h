#pragma once
// The overview of a node and everything under it (design/UPTIME.md,
// "Overview"), for operators and admins:
//
//   GET /api/v1/overview?under=<node id or dotted path>
//   GET /api/v1/overview.csv?under=...   (the same rows, as CSV)
//
// One row per node: this node, then each child with its link and, when
// its owner shares them, its totals from its last health summary, then
// what that child holds below it. One row per camera this node may name:
// its own and those its children report by camera (shared with this
// tier or above). A child that shares nothing is its link alone.
//
//   {"node": {"id", "name", "tier"}, "at", "under",
//    "totals": {"nodes", "nodes_offline", "cameras_total", "cameras_online", "cameras_recording",
//               "online_rate_7d", "online_rate_30d", "storage_used_bytes", "alarms_open"},
//    "daily": [{"day": "2026-12-07", "online_rate": 0.98 | null}],
//    "nodes": [{"id", "path", "name", "tier", "link": "self" | "connected" | "offline", "last_seen",
//               "totals_shared", "cameras_total", "cameras_online", "cameras_recording",
//               "online_rate_7d", "online_rate_30d", "storage_used_bytes", "storage_bytes_per_day",
//               "storage_capacity_bytes", "days_kept", "days_forecast", "alarms_open", "cameras_named"}],
//    "cameras": [{"id", "node", "name", "online", "recording", "online_rate_7d", "online_rate_30d"}],
//    "worst_cameras": [...], "worst_nodes": [...]}

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/config.h"
#include "http/camera_routes.h"
#include "http/server.h"
#include "link/children.h"
#include "link/health_store.h"

namespace vigil::http {

// A camera of this node in the overview.
struct OverviewCamera {
  std::string id;
  std::string name;
  bool online = false;
  bool recording = false;
  std::optional<double> rate7d;
  std::optional<double> rate30d;
};

struct OverviewSources {
  NodeConfig node;
  std::function<link::HealthSummary()> own;  // this node's summary, without the nodes below
  std::function<std::vector<OverviewCamera>()> cameras;  // this node's
  link::ChildLinks* children = nullptr;  // null: no link, no children
  link::HealthStore* health = nullptr;   // what the children report
  RemoteCameraSource remote;             // the names of the children's cameras; null: none
};

void addOverviewRoutes(HttpServer& server, OverviewSources sources);

}  // namespace vigil::http

#include "http/camera_health_routes.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "http/input.h"
#include "uptime/outage.h"

namespace vigil::http {

namespace {

using nlohmann::json;

constexpr auto kDefaultRange = std::chrono::hours(24);
constexpr auto kMaxRange = std::chrono::hours(24 * 400);

// A camera a child shares: what the child reported of it. Only a child's
// own cameras are reported to this node (design/LINK.md, "Health"); of a
// camera further down nothing is known here.
Result<uptime::CameraHealth> remoteHealth(const CameraHealthSources& sources, const std::string& id, WallTime start,
                                          WallTime end) {
  const WallTime now = SystemClock::instance().now();
  if (sources.remote && sources.children) {
    for (const link::RemoteCamera& c : sources.remote()) {
      if (c.id != id || c.nodePath.size() != 1) continue;
      auto history = sources.children->timeline(c.nodePath.front(), id.substr(id.find('.') + 1), start, end);
      if (!history) return history.status();
      return uptime::remoteCameraHealth(*history, start, end, now);
    }
  }
  return uptime::CameraHealth{};
}

Response cameraHealth(const CameraHealthSources& sources, const Request& req) {
  const std::string& id = req.params.at("id");  // one the user may see (the gate)
  auto query = parseQuery(req.query);
  if (!query) return errorResponse(query.status());
  auto range = recentTimeRange(*query, "start", "end", SystemClock::instance().now(), kDefaultRange, kMaxRange);
  if (!range) return errorResponse(range.status());
  const auto [start, end] = *range;
  Result<uptime::CameraHealth> health = Status::notFound("no history of this camera is kept");
  if (sources.local && sources.local(id)) {
    if (sources.uptime) health = sources.uptime->health(id, start, end);
  } else {
    health = remoteHealth(sources, id, start, end);
  }
  if (!health) return errorResponse(health.status());
  json outages = json::array();
  for (const uptime::Outage& o : health->outages) {
    outages.push_back(
        {{"start", o.start.toRfc3339()}, {"end", o.end.toRfc3339()}, {"reason", o.reason}, {"ongoing", o.ongoing}});
  }
  return Response::json(200, json{{"camera", id},
                                  {"start", start.toRfc3339()},
                                  {"end", end.toRfc3339()},
                                  {"online_rate", health->onlineRate ? json(*health->onlineRate) : json(nullptr)},
                                  {"counted_seconds", health->countedSeconds},
                                  {"online_seconds", health->onlineSeconds},
                                  {"outages", std::move(outages)},
                                  {"outages_omitted", health->outagesOmitted}}
                                 .dump());
}

}  // namespace

void addCameraHealthRoutes(HttpServer& server, CameraHealthSources sources) {
  server.route("GET", "/api/v1/cameras/{id}/health", AccessRule{Access::kUser, "id"},
               [sources = std::move(sources)](const Request& req) { return cameraHealth(sources, req); });
}

}  // namespace vigil::http

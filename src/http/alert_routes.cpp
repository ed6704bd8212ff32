#include "http/alert_routes.h"

#include <nlohmann/json.hpp>

namespace vigil::http {

void addAlertRoutes(HttpServer& server, std::function<std::vector<uptime::AlertCondition>()> open) {
  server.route("GET", "/api/v1/alerts", Access::kOperator, [open = std::move(open)](const Request&) {
    nlohmann::json out = nlohmann::json::array();
    for (const uptime::AlertCondition& a : open()) {
      out.push_back({{"kind", a.kind}, {"subject", a.subject}, {"detail", a.detail}, {"since", a.since.toRfc3339()}});
    }
    return Response::json(200, out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  });
}

}  // namespace vigil::http

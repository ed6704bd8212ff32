#pragma once
// The node's open alerts (design/UPTIME.md, "Alerts"; not the one-key
// alarms of alarm_routes.h): cameras offline too long, disks about to
// fill, recording stopped, links down.
//   GET /api/v1/alerts   [{"kind", "subject", "detail", "since"}], oldest first
// Operators and admins (the desk and the owner).

#include <functional>
#include <vector>

#include "http/server.h"
#include "uptime/alerts.h"

namespace vigil::http {

void addAlertRoutes(HttpServer& server, std::function<std::vector<uptime::AlertCondition>()> open);

}  // namespace vigil::http

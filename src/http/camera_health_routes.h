#pragma once
// GET /api/v1/cameras/{id}/health?start=&end= (design/UPTIME.md): a
// camera's online rate and outages over a range (RFC 3339; default the
// last 24 h, at most 400 days), for the node's own cameras from its
// outage history (uptime/store.h), and for a camera a child shares from
// what the child reported (link/health_store.h). Behind the camera gate,
// as its live view: a camera the user may not see answers 404.
//
//   {"camera", "start", "end", "online_rate": 0..1 | null, "counted_seconds",
//    "online_seconds", "outages": [{"start", "end", "reason", "ongoing"}],
//    "outages_omitted"}

#include <string_view>

#include "http/camera_routes.h"
#include "http/server.h"
#include "link/health_store.h"
#include "uptime/store.h"

namespace vigil::http {

struct CameraHealthSources {
  std::function<bool(std::string_view camera)> local;  // a camera of this node
  uptime::UptimeStore* uptime = nullptr;               // this node's cameras' history; null: none kept
  RemoteCameraSource remote;                           // cameras shared from below; null: none
  link::HealthStore* children = nullptr;               // what the children reported; null: none
};

void addCameraHealthRoutes(HttpServer& server, CameraHealthSources sources);

}  // namespace vigil::http

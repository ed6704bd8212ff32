#pragma once
// Routes that show the node's cameras: GET /api/v1/cameras (the brief's
// contract, plus state and rates) and GET /status (a status page until the
// web UI exists), both filtered by what the session's user may see; and the
// public GET /healthz and, when the server serves no web UI (call
// HttpServer::serveStaticFiles first), GET / with a login form.

#include <functional>
#include <vector>

#include "camera/camera.h"
#include "http/server.h"

namespace vigil::http {

using CameraStatusSource = std::function<std::vector<camera::CameraStatus>()>;

std::string camerasJson(const std::vector<camera::CameraStatus>& cameras);
std::string statusPageHtml(std::string_view nodeName, const std::vector<camera::CameraStatus>& cameras);

void addCameraRoutes(HttpServer& server, std::string nodeName, CameraStatusSource cameras);

}  // namespace vigil::http

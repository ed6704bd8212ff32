#pragma once
// Routes that show the node's cameras: GET /api/v1/cameras (the brief's
// contract, plus state and rates; then the cameras that nodes below share
// with this node's tier, "remote": true) and GET /status (a status page until the
// web UI exists), both filtered by what the session's user may see; and the
// public GET /healthz and, when the server serves no web UI (call
// HttpServer::serveStaticFiles first), GET / with a login form.

#include <functional>
#include <vector>

#include "camera/camera.h"
#include "http/server.h"
#include "link/catalog.h"

namespace vigil::http {

using CameraStatusSource = std::function<std::vector<camera::CameraStatus>()>;
using RemoteCameraSource = std::function<std::vector<link::RemoteCamera>()>;

std::string camerasJson(const std::vector<camera::CameraStatus>& cameras,
                        const std::vector<link::RemoteCamera>& remote = {});
std::string statusPageHtml(std::string_view nodeName, const std::vector<camera::CameraStatus>& cameras);

// `remote` null: no nodes below (no tier link).
void addCameraRoutes(HttpServer& server, std::string nodeName, CameraStatusSource cameras,
                     RemoteCameraSource remote = nullptr);

}  // namespace vigil::http

#include "http/camera_admin_routes.h"

#include <fmt/format.h>

#include "http/input.h"

namespace vigil::http {

namespace {

using json = nlohmann::json;

// A camera table with zones and masks fits with room to spare.
constexpr size_t kMaxBodyBytes = 64 * 1024;
constexpr size_t kMaxUrlBytes = 2048;

CameraAdminRoutesContext::By byOf(const Request& req) { return {req.principal->user, req.remoteAddress}; }

Response answer(int status, const Result<json>& result) {
  if (!result) return errorResponse(result.status());
  return Response::json(status, result->dump(-1, ' ', false, json::error_handler_t::replace));
}

}  // namespace

Result<CameraBody> parseCameraBody(std::string_view body) {
  if (body.size() > kMaxBodyBytes) return Status::invalidArgument("body: larger than 64 KiB");
  auto parsed = parseJsonObject(body);
  if (!parsed) return parsed.status();
  CameraBody out{.table = std::move(*parsed)};
  if (auto enabled = out.table.find("enabled"); enabled != out.table.end()) {
    if (!enabled->is_boolean()) return Status::invalidArgument("enabled: must be true or false");
    out.enabled = enabled->get<bool>();
    out.table.erase(enabled);
  }
  return out;
}

Result<CameraAdminRoutesContext::Probe> parseCameraProbe(std::string_view body) {
  auto json = JsonBody::parse(body, {"url", "sub_url", "address", "username", "password"});
  if (!json) return json.status();
  CameraAdminRoutesContext::Probe out;
  auto url = json->optionalString("url", kMaxUrlBytes);
  auto subUrl = json->optionalString("sub_url", kMaxUrlBytes);
  auto address = json->optionalString("address", 255);
  auto username = json->optionalString("username", 256);
  auto password = json->optionalString("password", 256);
  for (auto* r : {&url, &subUrl, &address, &username, &password}) {
    if (!*r) return r->status();
  }
  out = {std::move(*url), std::move(*address), std::move(*subUrl), std::move(*username), std::move(*password)};
  if (out.url.empty() == out.address.empty()) return Status::invalidArgument("url: give either url or address");
  if (!out.url.empty() && !out.url.starts_with("rtsp://") && !out.url.starts_with("rtsps://")) {
    return Status::invalidArgument("url: must be an rtsp:// URL");
  }
  if (!out.subUrl.empty() && !out.subUrl.starts_with("rtsp://") && !out.subUrl.starts_with("rtsps://")) {
    return Status::invalidArgument("sub_url: must be an rtsp:// URL");
  }
  if (!out.address.empty() && (out.address.find_first_of("/@ ") != std::string::npos)) {
    return Status::invalidArgument("address: must be a host name or IP address, with an optional :port");
  }
  return out;
}

void addCameraAdminRoutes(HttpServer& server, CameraAdminRoutesContext context) {
  auto shared = std::make_shared<const CameraAdminRoutesContext>(std::move(context));
  server.route("GET", "/api/v1/cameras/{id}", {Access::kAdmin, "id"},
               [shared](const Request& req) { return answer(200, shared->get(req.params.at("id"))); });
  server.route("POST", "/api/v1/cameras", Access::kAdmin, [shared](const Request& req) {
    if (req.body.size() > kMaxBodyBytes) return Response::error(413, "camera: body larger than 64 KiB");
    auto body = parseCameraBody(req.body);
    if (!body) return errorResponse(body.status());
    return answer(201, shared->add(std::move(body->table), body->enabled.value_or(true), byOf(req)));
  });
  server.route("PUT", "/api/v1/cameras/{id}", {Access::kAdmin, "id"}, [shared](const Request& req) {
    if (req.body.size() > kMaxBodyBytes) return Response::error(413, "camera: body larger than 64 KiB");
    auto body = parseCameraBody(req.body);
    if (!body) return errorResponse(body.status());
    return answer(200, shared->update(req.params.at("id"), std::move(body->table), body->enabled, byOf(req)));
  });
  server.route("DELETE", "/api/v1/cameras/{id}", {Access::kAdmin, "id"}, [shared](const Request& req) {
    auto query = parseQuery(req.query);
    if (!query) return errorResponse(query.status());
    const std::string recordings = query->contains("recordings") ? query->at("recordings") : "keep";
    if (recordings != "keep" && recordings != "delete") {
      return Response::error(400, "recordings: must be keep or delete");
    }
    if (Status s = shared->remove(req.params.at("id"), recordings == "delete", byOf(req)); !s.isOk()) {
      return errorResponse(s);
    }
    return Response::json(200, "{}");
  });
  server.route("POST", "/api/v1/cameras/probe", Access::kAdmin, [shared](const Request& req) {
    if (req.body.size() > kMaxBodyBytes) return Response::error(413, "probe: body larger than 64 KiB");
    auto probe = parseCameraProbe(req.body);
    if (!probe) return errorResponse(probe.status());
    return answer(200, shared->probe(*probe));
  });
}

}  // namespace vigil::http

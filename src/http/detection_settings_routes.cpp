#include "http/detection_settings_routes.h"

#include <nlohmann/json.hpp>

#include "detect/settings.h"
#include "http/media_response.h"

namespace vigil::http {

namespace {

using json = nlohmann::json;

// 16 zones and 16 masks of 64 points each fit with room to spare.
constexpr size_t kMaxBodyBytes = 64 * 1024;

Response current(const DetectionSettingsRoutesContext& context, const std::string& camera) {
  auto settings = context.get(camera);
  if (!settings) return errorResponse(settings.status());
  json out = detect::cameraDetectJson(settings->config);
  out["source"] = settings->setByOwner ? "owner" : "file";
  return Response::json(200, out.dump());
}

// What the row says: the labels and the names of the areas, never more
// (the polygons are in the settings themselves).
std::string changeDetail(const std::optional<detect::CameraDetectConfig>& config) {
  if (!config) return json{{"reset", true}}.dump();
  const json settings = detect::cameraDetectJson(*config);
  json zones = json::array(), masks = json::array();
  for (const json& z : settings["zones"]) zones.push_back(z["name"]);
  for (const json& m : settings["masks"]) masks.push_back({{"name", m["name"]}, {"applies", m["applies"]}});
  return json{{"labels", settings["labels"]}, {"notify", settings["notify"]}, {"zones", zones}, {"masks", masks}}.dump();
}

Response change(const DetectionSettingsRoutesContext& context, const Request& req,
                const std::optional<detect::CameraDetectConfig>& config) {
  const std::string& camera = req.params.at("id");
  if (auto known = context.get(camera); !known) return errorResponse(known.status());
  // Written first: a change whose row cannot be written is not made.
  if (context.audit) {
    if (Status s = context.audit->record(
            {req.principal->user, access::audit_kind::kDetectionChange, camera, req.remoteAddress, changeDetail(config)});
        !s.isOk()) {
      return errorResponse(s);
    }
  }
  if (Status s = context.set(camera, config); !s.isOk()) return errorResponse(s);
  return current(context, camera);
}

}  // namespace

void addDetectionSettingsRoutes(HttpServer& server, DetectionSettingsRoutesContext context) {
  auto shared = std::make_shared<const DetectionSettingsRoutesContext>(std::move(context));
  server.route("GET", "/api/v1/cameras/{id}/detection", {Access::kAdmin, "id"},
               [shared](const Request& req) { return current(*shared, req.params.at("id")); });
  server.route("PUT", "/api/v1/cameras/{id}/detection", {Access::kAdmin, "id"}, [shared](const Request& req) {
    if (req.body.size() > kMaxBodyBytes) return Response::error(413, "detection: body larger than 64 KiB");
    auto config = detect::parseCameraDetectJson(req.body);
    if (!config) return errorResponse(config.status());
    return change(*shared, req, *config);
  });
  server.route("DELETE", "/api/v1/cameras/{id}/detection", {Access::kAdmin, "id"},
               [shared](const Request& req) { return change(*shared, req, std::nullopt); });
}

}  // namespace vigil::http

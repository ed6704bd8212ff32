#include "http/share_routes.h"

namespace vigil::http {

namespace {

// Three shares, one per tier, take well under 1 KiB.
constexpr size_t kMaxBodyBytes = 16 * 1024;

Response storedShares(access::CameraShares& shares, const std::string& camera) {
  auto list = shares.get(camera);
  if (!list) return errorResponse(list.status());
  return Response::json(200, access::sharesJson(*list));
}

Response replaceShares(access::CameraShares& shares, const Request& req) {
  const std::string& camera = req.params.at("id");  // one that exists (the gate)
  if (req.body.size() > kMaxBodyBytes) {
    return Response::error(413, "shares: body larger than 16 KiB");
  }
  auto list = access::parseShares(req.body);
  if (!list) return errorResponse(list.status());
  if (Status s = shares.replace({req.principal->user, req.remoteAddress}, camera, *list); !s.isOk()) {
    return errorResponse(s);
  }
  return storedShares(shares, camera);
}

}  // namespace

void addShareRoutes(HttpServer& server, access::CameraShares& shares) {
  server.route("GET", "/api/v1/cameras/{id}/shares", {Access::kAdmin, "id"},
               [&shares](const Request& req) { return storedShares(shares, req.params.at("id")); });
  server.route("PUT", "/api/v1/cameras/{id}/shares", {Access::kAdmin, "id"},
               [&shares](const Request& req) { return replaceShares(shares, req); });
}

}  // namespace vigil::http

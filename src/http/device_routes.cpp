#include "http/device_routes.h"

#include <nlohmann/json.hpp>

#include "http/access_routes.h"
#include "http/input.h"

namespace vigil::http {

namespace {

// How often a TV asks whether its code was confirmed.
constexpr int kPollMs = 2000;

std::string_view userAgentOf(const Request& req) {
  const auto agent = req.headers.find("user-agent");
  return agent == req.headers.end() ? std::string_view() : agent->second;
}

Response startPairing(access::DevicePairing& pairing, const Request& req) {
  if (!req.body.empty()) {
    if (auto body = JsonBody::parse(req.body, {}); !body) return errorResponse(body.status());
  }
  auto code = pairing.start(req.remoteAddress, userAgentOf(req));
  if (!code) return errorResponse(code.status());
  return Response::json(201, nlohmann::json{{"code", code->code},
                                            {"pairing", code->secret},
                                            {"expires_at", code->expiresAt.toRfc3339()},
                                            {"poll_ms", kPollMs}}
                                 .dump());
}

Response waitPairing(access::DevicePairing& pairing, const NodeConfig& node, const Request& req) {
  auto secret = parsePairingSecret(req.body);
  if (!secret) return errorResponse(secret.status());
  auto waited = pairing.wait(*secret);
  if (!waited) return errorResponse(waited.status());
  using State = access::PairingWait::State;
  if (waited->state == State::kExpired) return Response::error(410, "the code has expired: ask for a new one");
  if (waited->state == State::kWaiting) {
    return Response::json(200,
                          nlohmann::json{{"state", "waiting"}, {"expires_at", waited->expiresAt.toRfc3339()}}.dump());
  }
  nlohmann::json j = principalJson(waited->session->principal, node);
  j["state"] = "paired";
  Response r = Response::json(200, j.dump());
  r.headers.emplace_back("Set-Cookie", sessionCookie(waited->session->token, req.secure, true));
  return r;
}

Response confirmDevice(access::DevicePairing& pairing, const Request& req) {
  auto body = parseDeviceConfirm(req.body);
  if (!body) return errorResponse(body.status());
  auto made = pairing.confirm({req.principal->user, req.remoteAddress}, body->code, body->name);
  if (!made) {
    Response r = errorResponse(made.status());
    if (made.status().code() == StatusCode::kResourceExhausted) {
      const auto wait = pairing.retryAfter(req.principal->user, req.remoteAddress);
      r.headers.emplace_back("Retry-After", std::to_string(std::max<int64_t>(1, wait.count())));
    }
    return r;
  }
  return Response::json(201, sessionJson(*made, *req.principal).dump());
}

}  // namespace

void addDeviceRoutes(HttpServer& server, access::Accounts& accounts, access::DevicePairing& pairing,
                     const NodeConfig& node) {
  server.route("POST", "/api/v1/devices/pair", Access::kPublic,
               [&pairing](const Request& req) { return startPairing(pairing, req); });
  server.route("POST", "/api/v1/devices/pair/wait", Access::kPublic,
               [&pairing, node](const Request& req) { return waitPairing(pairing, node, req); });
  server.route("POST", "/api/v1/devices", Access::kUser,
               [&pairing](const Request& req) { return confirmDevice(pairing, req); });
  server.route("GET", "/api/v1/devices", Access::kUser, [&accounts](const Request& req) {
    auto devices = accounts.listDevices(*req.principal);
    if (!devices) return errorResponse(devices.status());
    nlohmann::json list = nlohmann::json::array();
    for (const access::SessionRecord& s : *devices) list.push_back(sessionJson(s, *req.principal));
    return Response::json(200, list.dump());
  });
}

}  // namespace vigil::http

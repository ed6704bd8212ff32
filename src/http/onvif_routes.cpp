#include "http/onvif_routes.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <future>
#include <memory>
#include <nlohmann/json.hpp>

#include "base/encoding.h"
#include "base/log.h"
#include "http/input.h"

namespace vigil::http {
namespace {

using nlohmann::json;

constexpr size_t kMaxBodyBytes = 4096;

// The audit rows' kinds (design/AUDIT.md), written here only.
constexpr const char* kOnvifDiscover = "onvif_discover";  // a WS-Discovery Probe from the API
constexpr const char* kOnvifProbe = "onvif_probe";        // an ONVIF device read by its address
constexpr const char* kPtz = "ptz";                       // a camera moved, stopped, sent to or given a preset

// A number of a body JsonBody::parse accepted (so within its depth limit),
// in [min, max]; nullopt when absent.
Result<std::optional<double>> number(const json& fields, std::string_view field, double min, double max) {
  auto it = fields.find(field);
  if (it == fields.end()) return std::optional<double>();
  if (!it->is_number() || it->get<double>() < min || it->get<double>() > max) {
    return Status::invalidArgument(fmt::format("{}: must be a number from {} to {}", field, min, max));
  }
  return std::optional<double>(it->get<double>());
}
constexpr size_t kMaxDescribed = 32;  // devices described in one discovery

Response deviceError(const Status& s) {
  auto answer = [&](int status, std::string_view reason) {
    return Response::json(status, json{{"error", s.message()}, {"reason", reason}}.dump());
  };
  switch (s.code()) {
    case StatusCode::kPermissionDenied: return answer(422, "wrong_password");
    case StatusCode::kUnavailable: return answer(502, "unreachable");
    case StatusCode::kInvalidArgument: return answer(502, "bad_answer");
    case StatusCode::kDeadlineExceeded: return answer(504, "timeout");
    case StatusCode::kFailedPrecondition: return answer(409, "fault");
    default: return errorResponse(s);
  }
}

std::string_view reasonOf(const Status& s) {
  switch (s.code()) {
    case StatusCode::kPermissionDenied: return "wrong_password";
    case StatusCode::kUnavailable: return "unreachable";
    case StatusCode::kDeadlineExceeded: return "timeout";
    case StatusCode::kFailedPrecondition: return "fault";
    default: return "bad_answer";
  }
}

json summaryJson(const onvif::DeviceSummary& d) {
  json profiles = json::array();
  bool ptz = false;
  for (const onvif::ProfileUris& p : d.profiles) {
    ptz = ptz || p.profile.ptz;
    profiles.push_back({{"token", p.profile.token},
                        {"name", p.profile.name},
                        {"encoding", p.profile.encoding},
                        {"width", p.profile.width},
                        {"height", p.profile.height},
                        {"ptz", p.profile.ptz},
                        {"stream_url", p.streamUri},
                        {"snapshot_url", p.snapshotUri}});
  }
  return {{"address", d.address},
          {"manufacturer", d.info.manufacturer},
          {"model", d.info.model},
          {"firmware", d.info.firmwareVersion},
          {"serial", d.info.serialNumber},
          {"ptz", ptz && !d.services.ptz.empty()},
          {"main_url", d.profiles.empty() ? "" : d.profiles[0].streamUri},
          {"sub_url", d.profiles.size() < 2 ? "" : d.profiles[1].streamUri},
          {"snapshot_url", d.profiles.empty() ? "" : d.profiles[0].snapshotUri},
          {"profiles", profiles}};
}

// The value of the onvif://www.onvif.org/<key>/ scope, percent-decoded.
std::string scope(const std::vector<std::string>& scopes, std::string_view key) {
  const std::string prefix = fmt::format("onvif://www.onvif.org/{}/", key);
  for (const std::string& s : scopes) {
    if (s.rfind(prefix, 0) == 0) return percentDecodeLenient(s.substr(prefix.size()));
  }
  return {};
}

Status checkAddress(const std::string& address) {
  if (Status s = onvif::checkDeviceUrl(address); !s.isOk()) return Status::invalidArgument("address: " + s.message());
  return Status::ok();
}

void audit(const OnvifRouteOptions& o, const Request& req, const char* kind, const std::string& camera, json detail) {
  if (!o.audit) return;
  if (Status s = o.audit->record({req.principal->user, kind, camera, req.remoteAddress, detail.dump()}); !s.isOk()) {
    log::warn("onvif.audit.failed", {{"error", s}});
  }
}

Response discover(const OnvifRouteOptions& o, std::atomic<bool>& running, const Request& req) {
  if (req.body.size() > kMaxBodyBytes) return Response::error(413, "body larger than 4 KiB");
  const std::string text = req.body.empty() ? "{}" : req.body;
  auto body = JsonBody::parse(text, {"user", "password", "timeout_ms"});
  if (!body) return errorResponse(body.status());
  auto user = body->optionalString("user", 128);
  if (!user) return errorResponse(user.status());
  auto password = body->optionalString("password", 128);
  if (!password) return errorResponse(password.status());
  auto timeout = number(json::parse(text, nullptr, false), "timeout_ms", 500, 10000);
  if (!timeout) return errorResponse(timeout.status());
  if (running.exchange(true)) return Response::error(429, "a discovery is already running");
  onvif::DiscoveryOptions discovery = o.discovery;
  if (*timeout) discovery.timeout = std::chrono::milliseconds(static_cast<int64_t>(**timeout));
  auto found = onvif::discover(discovery);
  running = false;
  if (!found) return errorResponse(found.status());

  // Each device described in parallel: the slowest bounds the answer.
  const size_t described = user->empty() ? 0 : std::min(found->size(), kMaxDescribed);
  std::vector<std::future<Result<onvif::DeviceSummary>>> summaries;
  for (size_t i = 0; i < described; ++i) {
    summaries.push_back(std::async(std::launch::async, [&o, address = (*found)[i].xaddrs[0], &user, &password] {
      onvif::OnvifClient client(address, {*user, *password}, o.callTimeout);
      return onvif::describeDevice(client);
    }));
  }
  json devices = json::array();
  for (size_t i = 0; i < found->size(); ++i) {
    const onvif::DiscoveredDevice& d = (*found)[i];
    json device = {{"endpoint_reference", d.endpointReference},
                   {"address", d.xaddrs[0]},
                   {"xaddrs", d.xaddrs},
                   {"name", scope(d.scopes, "name")},
                   {"hardware", scope(d.scopes, "hardware")}};
    if (i < described) {
      auto summary = summaries[i].get();
      if (summary) {
        device.update(summaryJson(*summary));
      } else {
        device["error"] = summary.status().message();
        device["reason"] = reasonOf(summary.status());
      }
    }
    devices.push_back(std::move(device));
  }
  audit(o, req, kOnvifDiscover, "", {{"found", found->size()}});
  return Response::json(200, json{{"devices", devices}}.dump());
}

Response probe(const OnvifRouteOptions& o, const Request& req) {
  if (req.body.size() > kMaxBodyBytes) return Response::error(413, "body larger than 4 KiB");
  auto body = JsonBody::parse(req.body, {"address", "user", "password"});
  if (!body) return errorResponse(body.status());
  auto address = body->string("address", 512);
  if (!address) return errorResponse(address.status());
  if (Status s = checkAddress(*address); !s.isOk()) return errorResponse(s);
  auto user = body->optionalString("user", 128);
  if (!user) return errorResponse(user.status());
  auto password = body->optionalString("password", 128);
  if (!password) return errorResponse(password.status());
  onvif::OnvifClient client(*address, {*user, *password}, o.callTimeout);
  auto summary = onvif::describeDevice(client);
  audit(o, req, kOnvifProbe, "",
        {{"address", *address}, {"result", summary ? "ok" : std::string(reasonOf(summary.status()))}});
  if (!summary) return deviceError(summary.status());
  return Response::json(200, summaryJson(*summary).dump());
}

// The camera's device and the profile PTZ commands name: the first with
// a PTZ configuration, else the first.
struct PtzTarget {
  std::unique_ptr<onvif::OnvifClient> client;
  std::string profile;
};

Result<PtzTarget> ptzTarget(const OnvifRouteOptions& o, const std::string& camera) {
  std::optional<OnvifCamera> device = o.camera ? o.camera(camera) : std::nullopt;
  if (!device) return Status::notFound("no_onvif");
  PtzTarget target{std::make_unique<onvif::OnvifClient>(device->deviceUrl, device->credentials, o.callTimeout), ""};
  auto profiles = target.client->profiles();
  if (!profiles) return profiles.status();
  if (profiles->empty()) return Status::failedPrecondition("the device has no media profile");
  auto withPtz = std::find_if(profiles->begin(), profiles->end(), [](const onvif::Profile& p) { return p.ptz; });
  target.profile = (withPtz != profiles->end() ? *withPtz : profiles->front()).token;
  return target;
}

Response noOnvif() {
  return Response::json(409, json{{"error", "this camera has no ONVIF address (the camera's `onvif` key)"},
                                  {"reason", "no_onvif"}}.dump());
}

Response presets(const OnvifRouteOptions& o, const Request& req) {
  auto target = ptzTarget(o, req.params.at("id"));
  if (!target) return target.status().code() == StatusCode::kNotFound ? noOnvif() : deviceError(target.status());
  auto list = target->client->presets(target->profile);
  if (!list) return deviceError(list.status());
  json out = json::array();
  for (const onvif::Preset& p : *list) out.push_back({{"token", p.token}, {"name", p.name}});
  return Response::json(200, json{{"presets", out}}.dump());
}

Response ptz(const OnvifRouteOptions& o, const Request& req) {
  if (req.body.size() > kMaxBodyBytes) return Response::error(413, "body larger than 4 KiB");
  auto body = JsonBody::parse(req.body, {"action", "pan", "tilt", "zoom", "preset", "name"});
  if (!body) return errorResponse(body.status());
  auto action = body->string("action", 16);
  if (!action) return errorResponse(action.status());
  const json fields = json::parse(req.body, nullptr, false);
  onvif::PtzVelocity velocity;
  for (auto [field, out] : {std::pair<const char*, double*>{"pan", &velocity.pan}, {"tilt", &velocity.tilt},
                            {"zoom", &velocity.zoom}}) {
    auto value = number(fields, field, -1, 1);
    if (!value) return errorResponse(value.status());
    *out = value->value_or(0);
  }
  auto preset = body->optionalString("preset", 64);
  if (!preset) return errorResponse(preset.status());
  auto name = body->optionalString("name", 64);
  if (!name) return errorResponse(name.status());
  if (*action != "move" && *action != "stop" && *action != "goto" && *action != "set_preset") {
    return Response::error(400, "action: must be move, stop, goto or set_preset");
  }
  if (*action == "goto" && preset->empty()) return Response::error(400, "preset: is required to go to one");
  if (*action == "set_preset" && name->empty()) return Response::error(400, "name: is required to set a preset");

  const std::string& camera = req.params.at("id");
  auto target = ptzTarget(o, camera);
  if (!target) return target.status().code() == StatusCode::kNotFound ? noOnvif() : deviceError(target.status());
  onvif::OnvifClient& client = *target->client;
  json answer = json::object();
  Status done;
  if (*action == "move") {
    done = client.continuousMove(target->profile, velocity);
  } else if (*action == "stop") {
    done = client.stop(target->profile);
  } else if (*action == "goto") {
    done = client.gotoPreset(target->profile, *preset);
  } else {
    auto token = client.setPreset(target->profile, *name);
    done = token.status();
    if (token) answer["preset"] = *token;
  }
  json detail = {{"action", *action}};
  if (*action == "move") detail.update({{"pan", velocity.pan}, {"tilt", velocity.tilt}, {"zoom", velocity.zoom}});
  if (*action == "goto") detail["preset"] = *preset;
  if (*action == "set_preset") detail["name"] = *name;
  if (!done.isOk()) detail["result"] = reasonOf(done);
  audit(o, req, kPtz, camera, detail);
  if (!done.isOk()) return deviceError(done);
  return Response::json(200, answer.dump());
}

}  // namespace

void addOnvifRoutes(HttpServer& server, OnvifRouteOptions options) {
  auto o = std::make_shared<const OnvifRouteOptions>(std::move(options));
  auto running = std::make_shared<std::atomic<bool>>(false);
  server.route("POST", "/api/v1/onvif/discover", Access::kAdmin,
               [o, running](const Request& req) { return discover(*o, *running, req); });
  server.route("POST", "/api/v1/onvif/probe", Access::kAdmin, [o](const Request& req) { return probe(*o, req); });
  // Who may watch a camera live may turn it (DECISIONS.md 83).
  server.route("GET", "/api/v1/cameras/{id}/ptz", {Access::kUser, "id"},
               [o](const Request& req) { return presets(*o, req); });
  server.route("POST", "/api/v1/cameras/{id}/ptz", {Access::kUser, "id"},
               [o](const Request& req) { return ptz(*o, req); });
}

}  // namespace vigil::http

#include "http/detection_event_routes.h"

#include <fmt/format.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "base/config.h"
#include "http/input.h"
#include "http/media_response.h"

namespace vigil::http {

namespace {

using json = nlohmann::json;

constexpr int64_t kMaxLimit = 1000;

// `v` to `places` decimals, exactly as JSON prints them.
double rounded(double v, int places) {
  const double scale = std::pow(10, places);
  return std::round(v * scale) / scale;
}

json eventJson(const detect::DetectionEvent& e, const ClipRoll& roll) {
  json box = json::array();
  if (e.pictureWidth > 0 && e.pictureHeight > 0) {
    const double w = e.pictureWidth, h = e.pictureHeight;
    box = {rounded(e.topBox.x / w, 4), rounded(e.topBox.y / h, 4), rounded(e.topBox.width / w, 4),
           rounded(e.topBox.height / h, 4)};
  }
  const WallTime clipEnd = (e.end ? *e.end : e.lastSeen) + roll.post;
  return {{"id", e.id},
          {"camera", e.camera},
          {"label", e.label},
          {"score", rounded(e.topScore, 3)},
          {"start", e.start.toRfc3339()},
          {"end", e.end ? json(e.end->toRfc3339()) : json(nullptr)},
          {"zones", e.zones},
          {"box", box},
          {"snapshot", fmt::format("/api/v1/events/{}/snapshot.jpg", e.id)},
          {"clip", {{"start", (e.start + -std::chrono::microseconds(roll.pre)).toRfc3339()}, {"end", clipEnd.toRfc3339()}}}};
}

struct Shared {
  DetectionEventRoutesContext context;
  const CameraGate* gate;

  ClipRoll roll(const std::string& camera) const { return context.clipRoll ? context.clipRoll(camera) : ClipRoll{}; }
  bool notifies(const detect::DetectionEvent& e) const {
    if (e.label == "motion") return false;
    return !context.notifies || context.notifies(e.camera, e.label);
  }
  // The event {id}, when the session may see its camera.
  Result<detect::DetectionEvent> visibleEvent(const Request& req) const {
    const std::string& id = req.params.at("id");
    auto found = context.store->get(id);
    if (!found) return found.status();
    if (!*found || !gate->visible(*req.principal, (*found)->camera)) {
      return Status::notFound(fmt::format("no event \"{}\"", isValidId(id) ? id : "?"));
    }
    return std::move(**found);
  }
};

Response listEvents(Shared& shared, const Request& req) {
  auto q = parseQuery(req.query);
  if (!q) return errorResponse(q.status());
  detect::EventQuery query;
  if (auto it = q->find("camera"); it != q->end() && !it->second.empty()) {
    if (Status s = shared.gate->admit(*req.principal, it->second); !s.isOk()) return errorResponse(s);
    query.cameras = std::vector<std::string>{it->second};
  } else {
    auto cameras = shared.context.store->cameras();
    if (!cameras) return errorResponse(cameras.status());
    query.cameras.emplace();
    for (std::string& c : *cameras) {
      if (shared.gate->visible(*req.principal, c)) query.cameras->push_back(std::move(c));
    }
  }
  if (auto it = q->find("label"); it != q->end() && !it->second.empty()) {
    if (it->second != "person" && it->second != "vehicle" && it->second != "animal" && it->second != "motion") {
      return Response::error(400, "label: must be person, vehicle, animal or motion");
    }
    query.label = it->second;
  }
  auto start = timeParam(*q, "start");
  if (!start) return errorResponse(start.status());
  auto end = timeParam(*q, "end");
  if (!end) return errorResponse(end.status());
  query.start = *start;
  query.end = *end;
  auto limit = intParam(*q, "limit", 1, kMaxLimit, 100);
  if (!limit) return errorResponse(limit.status());
  query.limit = static_cast<size_t>(*limit);
  bool announced = false;
  if (auto it = q->find("notify"); it != q->end()) {
    if (it->second != "true" && it->second != "false") return Response::error(400, "notify: must be true or false");
    announced = it->second == "true";
  }
  auto events = shared.context.store->list(query);
  if (!events) return errorResponse(events.status());
  json out = json::array();
  for (const auto& e : *events) {
    if (announced && !shared.notifies(e)) continue;
    out.push_back(eventJson(e, shared.roll(e.camera)));
  }
  return Response::json(200, out.dump());
}

Response getEvent(Shared& shared, const Request& req) {
  auto event = shared.visibleEvent(req);
  if (!event) return errorResponse(event.status());
  return Response::json(200, eventJson(*event, shared.roll(event->camera)).dump());
}

// A look at the camera, written as a snapshot with the event's id.
Response eventSnapshot(Shared& shared, const Request& req) {
  auto event = shared.visibleEvent(req);
  if (!event) return errorResponse(event.status());
  auto jpeg = shared.context.store->snapshot(event->id);
  if (!jpeg) return errorResponse(jpeg.status());
  if (shared.context.audit) {
    const json detail = {{"event", event->id}, {"frame_time", event->start.toRfc3339()}};
    if (Status s = shared.context.audit->record(
            {req.principal->user, access::audit_kind::kSnapshot, event->camera, req.remoteAddress, detail.dump()});
        !s.isOk()) {
      return errorResponse(s);  // every look is seen: one that cannot be written is refused
    }
  }
  Response r;
  r.contentType = "image/jpeg";
  r.body = std::move(*jpeg);
  return r;
}

}  // namespace

void addDetectionEventRoutes(HttpServer& server, DetectionEventRoutesContext context) {
  auto shared = std::make_shared<Shared>(Shared{std::move(context), &server.cameraGate()});
  server.route("GET", "/api/v1/events", Access::kUser, withState(shared, listEvents));
  server.route("GET", "/api/v1/events/{id}", Access::kUser, withState(shared, getEvent));
  server.route("GET", "/api/v1/events/{id}/snapshot.jpg", Access::kUser, withState(shared, eventSnapshot));
}

}  // namespace vigil::http

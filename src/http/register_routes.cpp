#include "http/register_routes.h"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "base/log.h"
#include "detect/snapshot.h"
#include "http/input.h"
#include "http/live_frames.h"
#include "link/enrolment_messages.h"

namespace vigil::http {

namespace {

using json = nlohmann::json;

// How long a listed camera's picture is shown before a new one is taken:
// the public cannot make the node decode (and mask) more often than this.
constexpr auto kPictureAge = std::chrono::seconds(60);
// How long taking a picture waits for the camera's (or its masked) frames.
constexpr auto kPictureWait = std::chrono::seconds(5);
constexpr size_t kMaxBodyBytes = 4 * 1024;
constexpr const char* kClosed = "the public register is not open";

struct Shared {
  explicit Shared(RegisterRoutesContext c)
      : context(std::move(c)),
        rate(context.rate),
        pictures(context.kept ? context.kept : std::make_shared<RegisterPictures>()) {}
  RegisterRoutesContext context;
  RateLimit rate;
  // One picture taken at a time for the whole node, never for a camera
  // that had none a minute ago (kPictureAge).
  SnapshotWaits waits{{.maxWaiting = 1, .afterFailure = kPictureAge, .whileWaiting = kPictureWait}};
  std::shared_ptr<RegisterPictures> pictures;  // its lock is never held while a picture is taken
};

// What each tier may watch, as the register says it: live (or a snapshot
// of it) and recorded video.
json watchJson(const link::TierRights& rights) {
  json out = {{"owner", {"live", "snapshots", "recorded"}}};
  for (const auto& [tier, set] : rights) {
    json what = json::array();
    if (set.contains(access::ShareRight::kLive)) what.push_back("live");
    if (set.contains(access::ShareRight::kSnapshot)) what.push_back("snapshots");
    if (set.contains(access::ShareRight::kPlayback) || set.contains(access::ShareRight::kExport)) {
      what.push_back("recorded");
    }
    if (!what.empty()) out[std::string(tierName(tier))] = std::move(what);
  }
  return out;
}

// `below`: a camera of a node below, whose `run_by` is what its owner says
// of itself (a household may claim any name, even this register's own):
// the page says so. Which node is not said: no node names in public.
json cameraJson(const link::PublicListing& listing, const link::TierRights& rights, bool online, json snapshot,
                bool below) {
  return {{"covers", listing.covers},
          {"run_by", listing.runBy},
          {"below", below},
          {"watch", watchJson(rights)},
          {"retention_days", listing.retentionDays},
          {"looks_30d", listing.looks30d},
          {"online", online},
          {"snapshot", std::move(snapshot)}};
}

std::string runBy(const Shared& shared) {
  const std::string set = shared.context.store->settings().runBy;
  return set.empty() ? shared.context.nodeName : set;
}

// Before anything else on a route without a session: closed is 404 (the
// register is not there), too many requests 429.
std::optional<Response> refusedPublicly(Shared& shared, const Request& req) {
  if (!shared.context.store->settings().open) return Response::error(404, kClosed);
  if (auto wait = shared.rate.admit(req.remoteAddress); wait.count() > 0) {
    Response r = Response::error(429, "too many requests to the public register; try again later");
    r.headers.emplace_back("Retry-After", std::to_string(wait.count()));
    return r;
  }
  return std::nullopt;
}

Response registerList(Shared& shared, const Request& req) {
  if (auto refused = refusedPublicly(shared, req)) return *refused;
  const RegisterRoutesContext& c = shared.context;
  json cameras = json::array();
  for (const camera::CameraStatus& status : c.cameras()) {
    auto listing = c.listing(status.id);
    if (!listing) continue;
    auto rights = c.rights(status.id);
    if (!rights) return errorResponse(rights.status());
    const bool picture = c.pictures && c.store->listing(status.id).value_or(public_register::Listing{}).snapshot;
    cameras.push_back(cameraJson(*listing, *rights, status.state == camera::CameraState::kStreaming,
                                 picture ? json(fmt::format("/api/v1/register/cameras/{}/snapshot.jpg", status.id))
                                         : json(nullptr),
                                 false));
  }
  // Below: what their owners listed, passed up the tier link as they set it.
  if (c.below) {
    for (const link::RemoteCamera& remote : c.below()) {
      cameras.push_back(cameraJson(*remote.entry.publicListing, remote.entry.rights,
                                   remote.entry.state == "streaming", nullptr, true));
    }
  }
  return Response::json(200, json{{"name", runBy(shared)}, {"tier", tierName(c.tier)}, {"cameras", cameras}}.dump());
}

// A new picture of `camera`, from its masked stream when it has masks.
Result<std::string> takePicture(Shared& shared, const std::string& camera) {
  auto stream = shared.context.pictures(camera);
  if (!stream) return stream.status();
  std::vector<media::LiveItem> items = firstFrames(**stream, kPictureWait);
  if (items.empty() || !items.front().frame->keyframe || !items.front().frame->params) {
    return Status::unavailable(fmt::format("camera \"{}\" has no picture yet", camera));
  }
  const media::Frame& frame = *items.front().frame;
  auto jpeg = detect::keyframeToJpeg(*frame.params, frame.data, 0);
  if (!jpeg) return jpeg.status();
  // A picture taken for the public is a look: the node's own, for the register.
  VIGIL_RETURN_IF_ERROR(shared.context.audit->record(
      {"", access::audit_kind::kSnapshot, camera, "register",
       json{{"register", true}, {"frame_time", frame.captureTime.toRfc3339()}}.dump()}));
  return std::string(jpeg->begin(), jpeg->end());
}

Response jpegResponse(std::string jpeg) {
  Response r;
  r.contentType = "image/jpeg";
  r.body = std::move(jpeg);
  return r;
}

// Never waits for a picture with a lock held, nor more than one worker at
// a time for the whole node (SnapshotWaits): the public cannot make the
// node's workers wait for a camera that does not answer.
Response registerSnapshot(Shared& shared, const Request& req) {
  if (auto refused = refusedPublicly(shared, req)) return *refused;
  const std::string& camera = req.params.at("id");
  auto listing = isValidId(camera) ? shared.context.store->listing(camera) : std::nullopt;
  const auto cameras = shared.context.cameras();
  const auto status = std::find_if(cameras.begin(), cameras.end(), [&](const auto& s) { return s.id == camera; });
  if (status == cameras.end() || !listing || !listing->snapshot) {
    return Response::error(404, "no such picture in the public register");
  }
  if (!shared.context.pictures) return Response::error(404, "this node shows no pictures in its public register");
  const auto now = std::chrono::steady_clock::now();
  // Offline, or streaming again since its picture was taken: that picture is no longer what it shows.
  if (status->state != camera::CameraState::kStreaming) {
    shared.pictures->forget(camera);
    return busyResponse(kPictureWait, fmt::format("camera \"{}\" is offline: no picture now", camera));
  }
  if (auto kept = shared.pictures->fresh(camera, status->since, now, kPictureAge)) return jpegResponse(std::move(*kept));
  const uint64_t changes = shared.pictures->changes(camera);
  std::chrono::seconds retryAfter{};
  auto wait = shared.waits.begin(camera, retryAfter);
  if (!wait) {
    // The last picture while a new one is taken.
    if (auto last = shared.pictures->last(camera)) return jpegResponse(std::move(*last));
    return busyResponse(retryAfter, fmt::format("no picture of camera \"{}\" now; try again later", camera));
  }
  auto jpeg = takePicture(shared, camera);
  if (!jpeg) {
    wait->failed();
    shared.pictures->forget(camera);
    if (jpeg.status().code() == StatusCode::kUnavailable) return busyResponse(kPictureAge, jpeg.status().message());
    return errorResponse(jpeg.status());
  }
  // Taken across a change to the camera or its listing: neither kept nor shown.
  if (!shared.pictures->keep(camera, *jpeg, status->since, now, changes)) {
    return busyResponse(std::chrono::seconds(1), "the camera or its listing changed; try again");
  }
  return jpegResponse(std::move(*jpeg));
}

json settingsJson(const public_register::Settings& s) { return {{"open", s.open}, {"run_by", s.runBy}}; }

Response putSettings(Shared& shared, const Request& req) {
  if (req.body.size() > kMaxBodyBytes) return Response::error(413, "register: body larger than 4 KiB");
  auto body = JsonBody::parse(req.body, {"open", "run_by"});
  if (!body) return errorResponse(body.status());
  auto open = body->optionalBool("open");
  if (!open) return errorResponse(open.status());
  auto name = body->optionalString("run_by", link::kMaxNodeNameBytes);
  if (!name) return errorResponse(name.status());
  public_register::Settings settings{open->value_or(false), *name};
  if (!settings.runBy.empty() && !link::isValidNodeName(settings.runBy)) {
    return Response::error(400, "run_by: no control characters");
  }
  // Written first: a change whose row cannot be written is not made.
  if (Status s = shared.context.audit->record({req.principal->user, kRegisterChange, "",
                                               req.remoteAddress, settingsJson(settings).dump()});
      !s.isOk()) {
    return errorResponse(s);
  }
  if (Status s = shared.context.store->setSettings(settings); !s.isOk()) return errorResponse(s);
  return Response::json(200, settingsJson(shared.context.store->settings()).dump());
}

json listingJson(const std::optional<public_register::Listing>& l) {
  if (!l) return {{"listed", false}, {"covers", ""}, {"snapshot", false}};
  return {{"listed", true}, {"covers", l->covers}, {"snapshot", l->snapshot}};
}

// Only this node's cameras: a camera below is listed by its owner there.
std::optional<Response> notHere(Shared& shared, const std::string& camera) {
  const auto cameras = shared.context.cameras();
  if (std::none_of(cameras.begin(), cameras.end(), [&](const auto& s) { return s.id == camera; })) {
    return Response::error(404, fmt::format("camera \"{}\" is not one of this node's: its owner lists it", camera));
  }
  return std::nullopt;
}

Response putListing(Shared& shared, const Request& req) {
  const std::string& camera = req.params.at("id");
  if (auto refused = notHere(shared, camera)) return *refused;
  if (req.body.size() > kMaxBodyBytes) return Response::error(413, "register: body larger than 4 KiB");
  auto body = JsonBody::parse(req.body, {"listed", "covers", "snapshot"});
  if (!body) return errorResponse(body.status());
  auto listed = body->optionalBool("listed");
  if (!listed) return errorResponse(listed.status());
  auto covers = body->optionalString("covers", link::kMaxCoversBytes);
  if (!covers) return errorResponse(covers.status());
  auto snapshot = body->optionalBool("snapshot");
  if (!snapshot) return errorResponse(snapshot.status());
  std::optional<public_register::Listing> listing;
  if (listed->value_or(false)) {
    if (!link::isValidCovers(*covers)) {
      return Response::error(400, "covers: say what the camera looks at (no control characters)");
    }
    listing = public_register::Listing{*covers, snapshot->value_or(false)};
  }
  if (Status s = shared.context.audit->record({req.principal->user, kRegisterChange, camera,
                                               req.remoteAddress, listingJson(listing).dump()});
      !s.isOk()) {
    return errorResponse(s);
  }
  if (Status s = shared.context.store->setListing(camera, listing); !s.isOk()) return errorResponse(s);
  shared.pictures->forget(camera);  // a picture shown before is not shown after a change
  return Response::json(200, listingJson(shared.context.store->listing(camera)).dump());
}

}  // namespace

std::optional<std::string> RegisterPictures::fresh(const std::string& camera,
                                                   const std::optional<WallTime>& streamingSince,
                                                   std::chrono::steady_clock::time_point now,
                                                   std::chrono::seconds maxAge) {
  MutexLock lock(mutex_);
  auto it = pictures_.find(camera);
  if (it == pictures_.end()) return std::nullopt;
  if (it->second.streamingSince != streamingSince) {
    pictures_.erase(it);  // from before an outage
    return std::nullopt;
  }
  if (now - it->second.takenAt >= maxAge) return std::nullopt;  // still shown while a new one is taken
  return it->second.jpeg;
}

std::optional<std::string> RegisterPictures::last(const std::string& camera) {
  MutexLock lock(mutex_);
  auto it = pictures_.find(camera);
  if (it == pictures_.end()) return std::nullopt;
  return it->second.jpeg;
}

uint64_t RegisterPictures::changes(const std::string& camera) {
  MutexLock lock(mutex_);
  auto it = changes_.find(camera);
  return it == changes_.end() ? 0 : it->second;
}

bool RegisterPictures::keep(const std::string& camera, std::string jpeg, const std::optional<WallTime>& streamingSince,
                            std::chrono::steady_clock::time_point takenAt, uint64_t changesBefore) {
  MutexLock lock(mutex_);
  if (held_.contains(camera)) return false;
  if (auto it = changes_.find(camera); it != changes_.end() && it->second != changesBefore) return false;
  pictures_.insert_or_assign(camera, Picture{std::move(jpeg), streamingSince, takenAt});
  return true;
}

void RegisterPictures::forget(const std::string& camera) {
  MutexLock lock(mutex_);
  pictures_.erase(camera);
  ++changes_[camera];
}

void RegisterPictures::hold(const std::string& camera) {
  forget(camera);
  MutexLock lock(mutex_);
  held_.insert(camera);
}

void addRegisterRoutes(HttpServer& server, RegisterRoutesContext context) {
  auto shared = std::make_shared<Shared>(std::move(context));
  server.route("GET", "/api/v1/register", Access::kPublic, [shared](const Request& req) {
    return registerList(*shared, req);
  });
  server.route("GET", "/api/v1/register/cameras/{id}/snapshot.jpg", Access::kPublic,
               [shared](const Request& req) { return registerSnapshot(*shared, req); });
  server.route("GET", "/api/v1/register/settings", Access::kAdmin, [shared](const Request&) {
    return Response::json(200, settingsJson(shared->context.store->settings()).dump());
  });
  server.route("PUT", "/api/v1/register/settings", Access::kAdmin,
               [shared](const Request& req) { return putSettings(*shared, req); });
  server.route("GET", "/api/v1/cameras/{id}/register", {Access::kAdmin, "id"}, [shared](const Request& req) {
    const std::string& camera = req.params.at("id");
    if (auto refused = notHere(*shared, camera)) return *refused;
    return Response::json(200, listingJson(shared->context.store->listing(camera)).dump());
  });
  server.route("PUT", "/api/v1/cameras/{id}/register", {Access::kAdmin, "id"},
               [shared](const Request& req) { return putListing(*shared, req); });
}

}  // namespace vigil::http

#include "http/recording_routes.h"

#include <fmt/format.h>

#include <atomic>
#include <list>
#include <nlohmann/json.hpp>

#include "audio/g711_to_aac.h"
#include "base/mutex.h"
#include "http/input.h"
#include "http/media_response.h"

namespace vigil::http {

namespace {

// A listing may cover a month (the timeline zoomed out); one playlist or
// export at most a day, which bounds the index scan of a request.
constexpr std::chrono::seconds kMaxListSpan = std::chrono::hours(24 * 31);
constexpr std::chrono::seconds kMaxMediaSpan = std::chrono::hours(24);
// Recordings of one stream follow each other within a frame or two; a
// longer hole is a gap the timeline shows.
constexpr std::chrono::microseconds kRunGap = std::chrono::seconds(2);

// "20261123T004500Z": times in file names, without characters a file
// system or a Content-Disposition header minds.
std::string compactTime(WallTime t) {
  std::string s = t.toRfc3339();
  std::erase_if(s, [](char c) { return c == '-' || c == ':'; });
  if (const size_t dot = s.find('.'); dot != std::string::npos) s.erase(dot, s.size() - dot - 1);
  return s;
}

// A playback's fragments are listed by one request and fetched by many
// more (one per segment), each naming the same range: the last few
// playbacks are kept for a short while instead of being rebuilt each time.
class PlaybackCache {
 public:
  Result<std::shared_ptr<const storage::FragmentedPlayback>> get(storage::Store& store, const std::string& camera,
                                                                  const TimeRange& range) {
    const auto key = std::tuple(camera, range.start, range.end);
    const auto now = std::chrono::steady_clock::now();
    {
      MutexLock lock(mutex_);
      for (auto it = entries_.begin(); it != entries_.end(); ++it) {
        if (it->key == key && now - it->built < kTtl) {
          entries_.splice(entries_.begin(), entries_, it);
          return it->playback;
        }
      }
    }
    // A G.711 camera's sound made AAC for the browser (storage/fragmented.h).
    auto built = store.fragmentedPlayback(camera, range.start, range.end, audio::g711ToAacFrames);
    if (!built) return built.status();
    auto playback = std::make_shared<const storage::FragmentedPlayback>(std::move(*built));
    MutexLock lock(mutex_);
    entries_.push_front({key, now, playback});
    if (entries_.size() > kEntries) entries_.pop_back();
    return playback;
  }

 private:
  static constexpr size_t kEntries = 16;
  static constexpr auto kTtl = std::chrono::seconds(30);
  struct Entry {
    std::tuple<std::string, WallTime, WallTime> key;
    std::chrono::steady_clock::time_point built;
    std::shared_ptr<const storage::FragmentedPlayback> playback;
  };
  Mutex mutex_;
  std::list<Entry> entries_ GUARDED_BY(mutex_);  // most recently used first
};

// A look at recorded video is new again after this long without a
// request for it (a player paused for longer comes back as a new row).
constexpr auto kLookIdle = std::chrono::seconds(60);

struct Shared {
  RecordingRoutesContext context;
  PlaybackCache playbacks;
  RecentLooks looks{kLookIdle};
  // The masked exports' samples held in memory, all of them.
  std::shared_ptr<storage::TransformedMemory> maskedExports =
      std::make_shared<storage::TransformedMemory>(kMaxMaskedExportBytes);
  std::atomic<bool> maskingExport{false};  // one masked export at a time
};

// The gate has let through a user who may see the camera; is it recorded?
Status recorded(const Shared& shared) {
  if (!shared.context.store) return Status::notFound("nothing is recorded on this node");
  return Status::ok();
}

Result<TimeRange> rangeOf(const Request& req, std::chrono::seconds maxSpan) {
  auto query = parseQuery(req.query);
  if (!query) return query.status();
  return timeRangeParams(*query, maxSpan);
}

// The look with the range looked at, once per look (any of its requests);
// refused when it cannot be audited.
Status audit(Shared& shared, const Request& req, std::string action, const TimeRange& range) {
  return shared.looks.audit(shared.context.audit, req, std::move(action),
                            {{"start", range.start.toRfc3339()}, {"end", range.end.toRfc3339()}});
}

Response listRecordings(Shared& shared, const Request& req) {
  if (Status s = recorded(shared); !s.isOk()) return errorResponse(s);
  auto range = rangeOf(req, kMaxListSpan);
  if (!range) return errorResponse(range.status());
  auto recordings = shared.context.store->recordings(req.params.at("id"), range->start, range->end);
  if (!recordings) return errorResponse(recordings.status());
  nlohmann::json out = nlohmann::json::array();
  for (const RecordedRun& run : contiguousRuns(*recordings, kRunGap)) {
    out.push_back({{"start", run.start.toRfc3339()}, {"end", run.end.toRfc3339()}, {"bytes", run.bytes}});
  }
  return Response::json(200, out.dump());
}

// A node above asking what was recorded when looks at the camera with its
// playback right: a `playback` row at the owner marked "list" (a local
// user's list is not a look, as before). Without its range, so a page
// that refreshes its day of recordings stays one look while it is open.
Response listRecordingsFromAbove(Shared& shared, const Request& req) {
  Response r = listRecordings(shared, req);
  if (r.status != 200) return r;
  if (Status s = shared.looks.audit(shared.context.audit, req, access::audit_kind::kPlayback, {{"list", true}});
      !s.isOk()) {
    return errorResponse(s);
  }
  return r;
}

// Nothing recorded in the range is a 404 whose message the UI shows.
Response noVideo(const Status& status) {
  if (status.code() == StatusCode::kNotFound || status.code() == StatusCode::kFailedPrecondition) {
    return Response::error(404, "no video recorded in this range");
  }
  return errorResponse(status);
}

Response playlist(Shared& shared, const Request& req) {
  if (Status s = recorded(shared); !s.isOk()) return errorResponse(s);
  auto range = rangeOf(req, kMaxMediaSpan);
  if (!range) return errorResponse(range.status());
  auto playback = shared.playbacks.get(*shared.context.store, req.params.at("id"), *range);
  if (!playback) return noVideo(playback.status());
  // Segment URIs are relative to the playlist and repeat its range, so a
  // segment request rebuilds (or finds cached) the very same playback.
  const std::string query = "?" + req.query;
  Response r;
  r.contentType = "application/vnd.apple.mpegurl";
  r.body = (*playback)->playlist([&](size_t n) { return fmt::format("playback/{}.m4s{}", n, query); },
                                 [&](size_t n) { return fmt::format("playback/init-{}.mp4{}", n, query); });
  if (Status s = audit(shared, req, access::audit_kind::kPlayback, *range); !s.isOk()) return errorResponse(s);
  return r;
}

// What a node above gets of a camera with privacy masks: its recorded
// video masked; null: as recorded (a look from this node, or no masks).
storage::SampleTransform maskedForAbove(const Shared& shared, const Request& req) {
  if (req.remoteLook.empty() || !shared.context.maskedAbove) return nullptr;
  return shared.context.maskedAbove(req.params.at("id"));
}

Response playbackSegment(Shared& shared, const Request& req) {
  if (Status s = recorded(shared); !s.isOk()) return errorResponse(s);
  auto range = rangeOf(req, kMaxMediaSpan);
  if (!range) return errorResponse(range.status());
  auto name = parseSegmentName(req.params.at("segment"));
  if (!name) return Response::error(404, "segment: must be init-N.mp4 or N.m4s");
  auto playback = shared.playbacks.get(*shared.context.store, req.params.at("id"), *range);
  if (!playback) return noVideo(playback.status());
  if (Status s = audit(shared, req, access::audit_kind::kPlayback, *range); !s.isOk()) return errorResponse(s);
  const storage::SampleTransform masked = maskedForAbove(shared, req);
  if (name->init) {
    if (name->number >= (*playback)->inits().size()) return Response::error(404, "no such init segment");
    if (!masked) return bytesResponse(*(*playback)->inits()[name->number], "video/mp4");
    auto init = storage::transformedInit(**playback, name->number, masked);
    if (!init) return errorResponse(init.status());
    return bytesResponse(*init, "video/mp4");
  }
  if (masked && name->number < (*playback)->fragments().size() &&
      (*playback)->fragments()[name->number].frames > kMaxMaskedFragmentFrames) {
    return Response::error(400, fmt::format("this camera has privacy masks and keyframes more than {} pictures apart: "
                                            "its recorded video cannot be masked for another node",
                                            kMaxMaskedFragmentFrames));
  }
  auto fragment =
      masked ? storage::transformedFragment(**playback, name->number, masked) : (*playback)->fragment(name->number);
  if (!fragment) return errorResponse(fragment.status());
  return fileResponse(*fragment, "video/mp4");
}

// The export's MP4: masked for a node above when the camera has masks.
Result<std::shared_ptr<const storage::VirtualFile>> exportFile(Shared& shared, const Request& req,
                                                               const TimeRange& range) {
  const std::string& id = req.params.at("id");
  const storage::SampleTransform masked = maskedForAbove(shared, req);
  if (!masked) return shared.context.store->exportMp4(id, range.start, range.end);
  if (range.end - range.start > kMaxMaskedExport) {
    return Status::invalidArgument(fmt::format(
        "this camera has privacy masks: an export of it to another node is masked first, at most {} minutes at a time",
        kMaxMaskedExport.count()));
  }
  auto plan = shared.context.store->plan(id, range.start, range.end);
  if (!plan) return plan.status();
  if (shared.maskingExport.exchange(true)) {
    return Status::resourceExhausted(
        "this camera has privacy masks: its export is masked first, and another export is being masked now; try "
        "again in a minute");
  }
  struct Done {
    std::atomic<bool>& busy;
    ~Done() { busy = false; }
  } done{shared.maskingExport};
  auto maskedPlan = storage::transformedPlan(
      *plan, masked, {shared.maskedExports, std::chrono::steady_clock::now() + kMaxMaskedExportMasking});
  const StatusCode code = maskedPlan ? StatusCode::kOk : maskedPlan.status().code();
  if (code == StatusCode::kResourceExhausted && shared.maskedExports->held() > 0) {
    return Status::resourceExhausted(
        "this camera has privacy masks: its export is masked in memory, which other exports hold now; try again");
  }
  if (code == StatusCode::kResourceExhausted || code == StatusCode::kDeadlineExceeded) {
    return Status::invalidArgument(fmt::format(
        "this camera has privacy masks: this export of it is more than it masks at once ({} MiB, {} s); ask a "
        "shorter range",
        kMaxMaskedExportBytes >> 20, kMaxMaskedExportMasking.count()));
  }
  if (!maskedPlan) return maskedPlan.status();
  return storage::buildMp4(*maskedPlan);
}

Response exportMp4(Shared& shared, const Request& req) {
  if (Status s = recorded(shared); !s.isOk()) return errorResponse(s);
  auto range = rangeOf(req, kMaxMediaSpan);
  if (!range) return errorResponse(range.status());
  const std::string& id = req.params.at("id");
  auto file = exportFile(shared, req, *range);
  if (!file) return noVideo(file.status());
  Response r = fileResponse(*file, "video/mp4");
  r.headers.emplace_back("Content-Disposition", attachmentDisposition(fmt::format(
                                                    "{}_{}_{}.mp4", id, compactTime(range->start),
                                                    compactTime(range->end))));
  if (Status s = audit(shared, req, access::audit_kind::kExport, *range); !s.isOk()) return errorResponse(s);
  return r;
}

}  // namespace

std::vector<RecordedRun> contiguousRuns(const std::vector<storage::RecordingInfo>& recordings,
                                        std::chrono::microseconds maxGap) {
  std::vector<RecordedRun> runs;
  for (const storage::RecordingInfo& r : recordings) {
    if (!runs.empty() && r.start - runs.back().end <= maxGap && r.start >= runs.back().start) {
      runs.back().end = std::max(runs.back().end, r.end);
      runs.back().bytes += r.bytes;
    } else {
      runs.push_back({r.start, r.end, r.bytes});
    }
  }
  return runs;
}

namespace {

using RouteHandler = Response (*)(Shared&, const Request&);

// A route for this node's cameras and, asked of their owner, for cameras
// of nodes below, whose looks are audited here too as `action` (null:
// not audited, as locally).
Handler localOrOwner(const std::shared_ptr<Shared>& shared, RouteHandler handler, const char* action) {
  return [shared, handler, action](const Request& req) {
    if (!link::RemoteLooks::isRemote(req.params.at("id"))) return handler(*shared, req);
    auto range = rangeOf(req, action ? kMaxMediaSpan : kMaxListSpan);
    if (!range) return errorResponse(range.status());
    Response r = askOwner(shared->context.remote, req);
    if (action && r.status / 100 == 2) {
      if (Status s = audit(*shared, req, action, *range); !s.isOk()) return errorResponse(s);
    }
    return r;
  };
}

// What a node above may ask of this node's cameras: the route, the right
// it needs, and its {segment}.
struct FromAbove {
  RouteHandler handler;
  access::ShareRight right;
  std::string segment;
};
std::optional<FromAbove> routeFromAbove(std::string_view path) {
  constexpr std::string_view kSegment = "playback/";
  if (path == "recordings") return FromAbove{listRecordingsFromAbove, access::ShareRight::kPlayback, {}};
  if (path == "playback.m3u8") return FromAbove{playlist, access::ShareRight::kPlayback, {}};
  if (path == "export.mp4") return FromAbove{exportMp4, access::ShareRight::kExport, {}};
  if (path.starts_with(kSegment) && path.find('/', kSegment.size()) == std::string_view::npos) {
    return FromAbove{playbackSegment, access::ShareRight::kPlayback, std::string(path.substr(kSegment.size()))};
  }
  return std::nullopt;
}

}  // namespace

void addRecordingRoutes(HttpServer& server, RecordingRoutesContext context) {
  auto shared = std::make_shared<Shared>();
  shared->context = std::move(context);
  const AccessRule user{Access::kUser, "id"};
  server.route("GET", "/api/v1/cameras/{id}/recordings", user, localOrOwner(shared, listRecordings, nullptr));
  server.route("GET", "/api/v1/cameras/{id}/playback.m3u8", user,
               localOrOwner(shared, playlist, access::audit_kind::kPlayback));
  server.route("GET", "/api/v1/cameras/{id}/playback/{segment}", user,
               localOrOwner(shared, playbackSegment, access::audit_kind::kPlayback));
  server.route("GET", "/api/v1/cameras/{id}/export.mp4", {Access::kOperator, "id"},
               localOrOwner(shared, exportMp4, access::audit_kind::kExport));
  if (!shared->context.remote) return;
  shared->context.remote->serve({
      .rightFor = [](std::string_view path) -> std::optional<access::ShareRight> {
        auto route = routeFromAbove(path);
        if (!route) return std::nullopt;
        return route->right;
      },
      .serve =
          [shared](const link::MediaAsk& ask) {
            const std::optional<FromAbove> route = routeFromAbove(ask.path);  // rightFor() found it
            const Request req = requestFromAbove(ask, route->segment);
            return answerUp(req, route->handler(*shared, req));
          },
      .masksKept =
          [shared](std::string_view camera, std::string_view path) {
            const auto& masked = shared->context.maskedAbove;
            return path == "recordings" || (masked && masked(std::string(camera)));
          },
  });
}

}  // namespace vigil::http

#include "http/live_routes.h"

#include <fmt/format.h>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cmath>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>

#include "detect/snapshot.h"
#include "http/input.h"
#include "http/media_response.h"
#include "media/fmp4.h"
#include "media/hls.h"

namespace vigil::http {

namespace {

namespace asio = boost::asio;

// A live HLS window stops taking frames when no client asked for its
// playlist or segments for this long; the next request starts a new one.
constexpr auto kHlsIdle = std::chrono::seconds(60);

// One camera's live HLS: a live-registry viewer whose frames are cut into
// segments by an HlsLiveWindow, on one event loop. Made on the first
// playlist request.
class HlsFeed : public std::enable_shared_from_this<HlsFeed> {
 public:
  explicit HlsFeed(asio::io_context& loop) : loop_(loop) {}

  void start(media::LiveStream& stream) {
    touch();
    viewer_ = stream.subscribe([weak = weak_from_this(), &loop = loop_] {
      asio::post(loop, [weak] {
        if (auto self = weak.lock()) self->drain();
      });
    });
    asio::post(loop_, [self = shared_from_this()] { self->drain(); });
  }
  // False once the feed stopped (idle, or its viewer was disconnected).
  bool alive() const { return alive_.load(); }
  void touch() { lastUse_.store(std::chrono::steady_clock::now().time_since_epoch().count()); }
  media::HlsLiveWindow& window() { return window_; }

 private:
  void drain() {
    if (!viewer_) return;
    const auto idle = std::chrono::steady_clock::now().time_since_epoch() -
                      std::chrono::steady_clock::duration(lastUse_.load());
    Status status = viewer_->pop(items_);
    if (!status.isOk() || idle > kHlsIdle) {
      alive_.store(false);
      viewer_.reset();
      return;
    }
    for (media::LiveItem& item : items_) {
      window_.push(std::move(item.frame), item.newSegment || item.discontinuity);
    }
    items_.clear();
  }

  asio::io_context& loop_;
  media::HlsLiveWindow window_;
  std::unique_ptr<media::LiveViewer> viewer_;  // on loop_ only
  std::vector<media::LiveItem> items_;
  std::atomic<bool> alive_{true};
  std::atomic<int64_t> lastUse_{0};  // steady_clock ticks
};

struct Shared {
  LiveRoutesContext context;
  std::mutex mutex;
  std::map<std::string, std::shared_ptr<HlsFeed>> hls;  // by camera
  // Live HLS: one row per session and camera, whether its first request
  // was the playlist or a segment.
  RecentLooks hlsLooks{kHlsIdle};

  std::shared_ptr<HlsFeed> hlsFeed(const std::string& camera) {
    std::lock_guard lock(mutex);
    auto& feed = hls[camera];
    if (!feed || !feed->alive()) {
      feed = std::make_shared<HlsFeed>(context.loops->next());
      feed->start(*context.live->stream(camera));
    }
    feed->touch();
    return feed;
  }
  Status audit(const Request& req, std::string action, const nlohmann::json& detail = nlohmann::json::object()) {
    return auditLook(context.audit, req, std::move(action), detail);
  }
  // Live HLS: the playlist and segments of one session's look, audited once.
  Status auditHls(const Request& req) { return hlsLooks.audit(context.audit, req, access::audit_kind::kLiveHls); }
};

// One WebSocket viewer: frames from its live-registry viewer become one
// fMP4 fragment each (media::LiveFmp4Writer: a frame leaves as soon as it
// arrived), sent on the connection's loop. While the socket's
// queue is over kSendWindow nothing is popped, so a slow client's backlog
// builds up in the registry, whose policy (skip to a keyframe, then
// disconnect) is the only one.
class LiveSender : public std::enable_shared_from_this<LiveSender> {
 public:
  LiveSender(std::shared_ptr<WebSocketChannel> channel, asio::steady_timer timer)
      : channel_(std::move(channel)), timer_(std::move(timer)) {}

  void start(media::LiveStream& stream) {
    viewer_ = stream.subscribe([weak = weak_from_this(), executor = channel_->executor()] {
      asio::post(executor, [weak] {
        if (auto self = weak.lock()) self->drain();
      });
    });
    drain();
  }
  void stop() {
    viewer_.reset();
    timer_.cancel();
  }

 private:
  static constexpr size_t kSendWindow = 1 << 20;
  static constexpr auto kRetry = std::chrono::milliseconds(20);

  void drain() {
    if (!viewer_) return;
    if (channel_->queuedBytes() > kSendWindow) {
      // Held back by the client: the registry may meanwhile disconnect this
      // viewer for staying too slow, and then the socket goes too.
      if (Status status = viewer_->status(); !status.isOk()) return close(status);
      timer_.expires_after(kRetry);
      timer_.async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
        if (auto self = weak.lock(); self && !ec) self->drain();
      });
      return;
    }
    if (Status status = viewer_->pop(items_); !status.isOk()) return close(status);
    for (const media::LiveItem& item : items_) {
      if (!send(item)) break;
    }
    items_.clear();
  }

  void close(const Status& reason) {
    channel_->close(1008, reason.message());
    stop();
  }

  bool send(const media::LiveItem& item) {
    auto out = writer_.write(item.frame, item.newSegment || item.discontinuity);
    if (!out) {
      channel_->close(1011, "the stream cannot be sent as fMP4: " + out.status().message());
      stop();
      return false;
    }
    // A message the channel refuses (its queue is full) would leave a hole
    // the player cannot decode past: the viewer is closed instead.
    bool queued = true;
    if (out->init) {
      queued = channel_->sendText(nlohmann::json{{"type", "init"}, {"codec", out->codec}}.dump()) &&
               channel_->sendBinary(out->init);
    }
    queued = queued && channel_->sendBinary(out->fragment.contiguous());
    if (!queued) {
      close(Status::resourceExhausted("viewer too slow: its send queue is full"));
      return false;
    }
    return true;
  }

  std::shared_ptr<WebSocketChannel> channel_;
  asio::steady_timer timer_;
  std::unique_ptr<media::LiveViewer> viewer_;
  std::vector<media::LiveItem> items_;
  media::LiveFmp4Writer writer_;
};

Status checkCamera(const Shared& shared, const Request& req) {
  return checkCameraAccess(shared.context.cameraExists, req);
}

Response livePlaylist(Shared& shared, const Request& req) {
  if (Status s = checkCamera(shared, req); !s.isOk()) return errorResponse(s);
  if (Status s = shared.auditHls(req); !s.isOk()) return errorResponse(s);
  auto feed = shared.hlsFeed(req.params.at("id"));
  Response r;
  r.contentType = "application/vnd.apple.mpegurl";
  // Until the first segment is complete (about a GOP) the playlist lists
  // none; players reload a live playlist, so they just wait.
  r.body = feed->window().playlist([](uint64_t n) { return fmt::format("live/{}.m4s", n); },
                                   [](uint64_t n) { return fmt::format("live/init-{}.mp4", n); });
  return r;
}

Response liveSegment(Shared& shared, const Request& req) {
  if (Status s = checkCamera(shared, req); !s.isOk()) return errorResponse(s);
  auto name = parseSegmentName(req.params.at("segment"));
  if (!name) return Response::error(404, "segment: must be init-N.mp4 or N.m4s");
  if (Status s = shared.auditHls(req); !s.isOk()) return errorResponse(s);
  auto feed = shared.hlsFeed(req.params.at("id"));
  if (name->init) {
    auto init = feed->window().init(name->number);
    if (!init) return Response::error(404, "no such init segment (the stream has moved on)");
    return bytesResponse(*init, "video/mp4");
  }
  auto segment = feed->window().segment(name->number);
  if (!segment) return Response::error(404, "no such segment (too old, or not yet complete)");
  return bytesResponse(segment->contiguous(), "video/mp4");
}

// The latest keyframe of the live stream: a subscription's first frame is
// the start of the cached GOP.
Response snapshot(Shared& shared, const Request& req) {
  if (Status s = checkCamera(shared, req); !s.isOk()) return errorResponse(s);
  auto query = parseQuery(req.query);
  if (!query) return errorResponse(query.status());
  int width = 0;
  if (auto it = query->find("width"); it != query->end()) {
    width = std::atoi(it->second.c_str());
    if (it->second.size() > 5 || width < 16 || width > 7680) {
      return Response::error(400, "width: must be an integer from 16 to 7680");
    }
  }
  const std::string& id = req.params.at("id");
  std::vector<media::LiveItem> items;
  {
    auto viewer = shared.context.live->stream(id)->subscribe([] {});
    (void)viewer->pop(items);
  }
  if (items.empty() || !items.front().frame->keyframe || !items.front().frame->params) {
    return Response::error(503, fmt::format("camera \"{}\" has no picture yet (offline or starting)", id));
  }
  const media::Frame& frame = *items.front().frame;
  auto jpeg = detect::keyframeToJpeg(*frame.params, frame.data, width);
  if (!jpeg) return errorResponse(jpeg.status());
  if (Status s = shared.audit(req, access::audit_kind::kSnapshot, {{"frame_time", frame.captureTime.toRfc3339()}});
      !s.isOk()) {
    return errorResponse(s);
  }
  Response r;
  r.contentType = "image/jpeg";
  r.body = std::move(*jpeg);
  return r;
}

Result<WebSocketSession> liveWebSocket(const std::shared_ptr<Shared>& shared, const Request& req) {
  VIGIL_RETURN_IF_ERROR(checkCamera(*shared, req));
  const std::string camera = req.params.at("id");
  auto stream = shared->context.live->stream(camera);
  auto sender = std::make_shared<std::shared_ptr<LiveSender>>();
  const auto opened = std::chrono::steady_clock::now();
  VIGIL_RETURN_IF_ERROR(shared->audit(req, access::audit_kind::kLiveStart));
  WebSocketSession session;
  session.onOpen = [sender, stream](std::shared_ptr<WebSocketChannel> channel) {
    asio::steady_timer timer(channel->executor());
    *sender = std::make_shared<LiveSender>(std::move(channel), std::move(timer));
    (*sender)->start(*stream);
  };
  session.onClose = [sender, shared, req, opened] {
    if (*sender) (*sender)->stop();
    sender->reset();
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - opened).count();
    // The view has happened: a failure here can only be logged (by the log).
    (void)shared->audit(req, access::audit_kind::kLiveStop, {{"seconds", std::round(seconds * 10) / 10}});
  };
  return session;
}

}  // namespace

void addLiveRoutes(HttpServer& server, LiveRoutesContext context) {
  auto shared = std::make_shared<Shared>();
  shared->context = std::move(context);
  server.webSocket("/api/v1/cameras/{id}/live", Access::kUser,
                   [shared](const Request& req) { return liveWebSocket(shared, req); });
  server.route("GET", "/api/v1/cameras/{id}/live.m3u8", Access::kUser, withState(shared, livePlaylist));
  server.route("GET", "/api/v1/cameras/{id}/live/{segment}", Access::kUser, withState(shared, liveSegment));
  server.route("GET", "/api/v1/cameras/{id}/snapshot.jpg", Access::kUser, withState(shared, snapshot));
}

}  // namespace vigil::http

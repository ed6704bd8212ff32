#include "http/live_routes.h"

#include <fmt/format.h>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cmath>
#include <condition_variable>
#include <mutex>
#include <map>
#include <nlohmann/json.hpp>

#include "audio/g711_to_aac.h"
#include "base/log.h"
#include "base/mutex.h"
#include "camera/config.h"
#include "detect/snapshot.h"
#include "http/live_frames.h"
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

// A camera's sound for a browser, which plays no G.711 from MP4
// (DECISIONS 87): AAC as it is, G.711 through a transcoder of its own.
// One per stream of frames (a WebSocket viewer, an HLS window).
class BrowserAudio {
 public:
  // For the camera's audio as its first frame says; null when it cannot be
  // made AAC (logged).
  static std::unique_ptr<BrowserAudio> choose(const media::SharedFrame& first) {
    auto out = std::make_unique<BrowserAudio>();
    if (first->audio->codec == media::AudioCodec::kAac) {
      out->aac_ = first->audio;
      return out;
    }
    auto transcoder = audio::G711ToAac::create(*first->audio);
    if (!transcoder) {
      log::warn("live.audio.not_transcoded", {{"reason", transcoder.status()}});
      return nullptr;
    }
    out->transcoder_ = std::move(transcoder.value());
    out->aac_ = out->transcoder_->output();
    return out;
  }
  const std::shared_ptr<const media::AudioParameters>& aac() const { return aac_; }

  // The AAC frames that `frame` completes: itself for AAC, what the
  // transcoder has ready for G.711. None for a frame the decoder refused
  // (a moment of silence), nor for a camera whose audio changed codec
  // (heard again from the next view).
  std::vector<media::SharedFrame> toAac(const media::SharedFrame& frame) {
    if (!transcoder_) {
      if (frame->audio->codec != media::AudioCodec::kAac) return {};
      return {frame};
    }
    auto transcoded = transcoder_->push(*frame);
    if (!transcoded) return {};
    return std::move(transcoded.value());
  }

 private:
  std::shared_ptr<const media::AudioParameters> aac_;
  std::unique_ptr<audio::G711ToAac> transcoder_;  // null for AAC
};

// One camera's live HLS: a live-registry viewer whose frames are cut into
// segments by an HlsLiveWindow, on one event loop, with the camera's sound
// when asked (?audio=1): the window's audio track is there when the
// audio stream's latest frame is there as the feed starts (as for a
// WebSocket viewer), G.711 transcoded once for the window, not per
// player. Made on the first playlist request.
class HlsFeed : public std::enable_shared_from_this<HlsFeed> {
 public:
  explicit HlsFeed(asio::io_context& loop) : loop_(loop) {}

  // `audio`: the camera's audio stream, or null for video only.
  // `generation`: the camera's stream's cache generation (its frames, or
  // those transcoded from them: LiveStream::cacheGeneration).
  void start(media::LiveStream& stream, media::LiveStream* audio, uint64_t generation) {
    touch();
    generation_ = generation;
    auto onReady = [weak = weak_from_this(), &loop = loop_] {
      asio::post(loop, [weak] {
        if (auto self = weak.lock()) self->drain();
      });
    };
    if (audio) audioViewer_ = audio->subscribe(onReady);
    viewer_ = stream.subscribe(onReady);
    asio::post(loop_, [self = shared_from_this()] { self->drain(); });
  }
  // False once the feed stopped (idle, or its viewer was disconnected).
  bool alive() const { return alive_.load(); }
  // The stream's cache generation when the window started (LiveStream::cacheGeneration).
  uint64_t generation() const { return generation_; }
  void touch() { lastUse_.store(std::chrono::steady_clock::now().time_since_epoch().count()); }
  media::HlsLiveWindow& window() { return window_; }
  // Kept while the feed runs: the transcode it takes its frames from.
  void hold(std::shared_ptr<media::LiveStream> stream) { held_ = std::move(stream); }

 private:
  void drain() {
    if (!viewer_) return;
    const auto idle = std::chrono::steady_clock::now().time_since_epoch() -
                      std::chrono::steady_clock::duration(lastUse_.load());
    if (audioViewer_) {
      // An audio viewer too slow loses the sound, not the picture.
      if (!audioViewer_->pop(audioItems_).isOk()) audioViewer_.reset();
      if (!started_ && !audio_ && !audioItems_.empty()) {
        audio_ = BrowserAudio::choose(audioItems_.front().frame);
        if (audio_) window_.setAudio(audio_->aac());
      }
    }
    Status status = viewer_->pop(items_);
    if (!status.isOk() || idle > kHlsIdle) {
      alive_.store(false);
      viewer_.reset();
      audioViewer_.reset();
      held_.reset();  // a transcode for it stops
      return;
    }
    for (media::LiveItem& item : items_) {
      started_ = true;
      window_.push(std::move(item.frame), item.newSegment || item.discontinuity);
    }
    items_.clear();
    for (const media::LiveItem& item : audioItems_) {
      if (!audio_) break;
      bool restart = item.newSegment || item.discontinuity;
      for (media::SharedFrame& f : audio_->toAac(item.frame)) window_.pushAudio(std::move(f), std::exchange(restart, false));
    }
    audioItems_.clear();
  }

  asio::io_context& loop_;
  media::HlsLiveWindow window_;
  std::unique_ptr<media::LiveViewer> viewer_;  // on loop_ only
  std::unique_ptr<media::LiveViewer> audioViewer_;
  std::vector<media::LiveItem> items_;
  std::vector<media::LiveItem> audioItems_;
  std::unique_ptr<BrowserAudio> audio_;  // null: no audio track
  bool started_ = false;                 // a frame was pushed: the tracks are fixed
  std::shared_ptr<media::LiveStream> held_;  // set once at start; reset on loop_
  std::atomic<bool> alive_{true};
  uint64_t generation_ = 0;
  std::atomic<int64_t> lastUse_{0};  // steady_clock ticks
};

// Live views open at once, per session and per user (WebSockets and HLS
// looks alike), capped so that one session or user cannot take all the
// server's viewers. Thread-safe.
class LiveViews : public std::enable_shared_from_this<LiveViews> {
 public:
  LiveViews(int perSession, int perUser) : perSession_(perSession), perUser_(perUser) {}

  // One live view's place, given back when the last copy of it goes.
  class Slot {
   public:
    Slot(std::shared_ptr<LiveViews> views, std::string session, std::string user)
        : views_(std::move(views)), session_(std::move(session)), user_(std::move(user)) {}
    ~Slot() { views_->giveBack(session_, user_); }
    Slot(const Slot&) = delete;
    Slot& operator=(const Slot&) = delete;

   private:
    std::shared_ptr<LiveViews> views_;
    std::string session_, user_;
  };

  // A slot for one more view of the request's session and user;
  // ResourceExhausted (429) naming the cap reached.
  Result<std::shared_ptr<Slot>> take(const Request& req) {
    const std::string& user = req.principal->user;
    {
      MutexLock lock(mutex_);
      int& session = bySession_[req.sessionToken];
      int& ofUser = byUser_[user];
      Status full = session >= perSession_
                        ? Status::resourceExhausted(
                              fmt::format("too many live views open in this session (at most {})", perSession_))
                    : ofUser >= perUser_
                        ? Status::resourceExhausted(
                              fmt::format("too many live views open for user \"{}\" (at most {})", user, perUser_))
                        : Status::ok();
      if (!full.isOk()) {
        eraseUnused(req.sessionToken, user);
        return full;
      }
      ++session;
      ++ofUser;
    }
    return std::make_shared<Slot>(shared_from_this(), req.sessionToken, user);
  }

 private:
  void giveBack(const std::string& session, const std::string& user) {
    MutexLock lock(mutex_);
    --bySession_[session];
    --byUser_[user];
    eraseUnused(session, user);
  }
  void eraseUnused(const std::string& session, const std::string& user) REQUIRES(mutex_) {
    if (bySession_[session] == 0) bySession_.erase(session);
    if (byUser_[user] == 0) byUser_.erase(user);
  }

  const int perSession_;
  const int perUser_;
  Mutex mutex_;
  std::map<std::string, int> bySession_ GUARDED_BY(mutex_);  // by session token
  std::map<std::string, int> byUser_ GUARDED_BY(mutex_);
};

// Live HLS looks: a session's requests for one camera's playlist and
// segments, from the first (whichever it is) until kHlsIdle without one,
// or until the right to watch ends (the rights watch, which also tells
// the idle end). Audited when they start (live_hls) and end (live_stop
// with the seconds watched and why). Thread-safe.
class HlsLooks {
 public:
  HlsLooks(access::AuditLog* audit, access::RightsWatch* rights, std::shared_ptr<LiveViews> views)
      : audit_(audit), rights_(rights), views_(std::move(views)) {}

  // Opens the request's look (refused when it cannot be audited or a cap
  // is reached), or notes one more request of it.
  Status request(const Request& req) {
    const std::string& camera = req.params.at("id");
    const std::string key = req.sessionToken + "\n" + camera;
    {
      MutexLock lock(mutex_);
      if (auto it = looks_.find(key); it != looks_.end()) return touch(*it->second);
    }
    auto slot = views_->take(req);
    if (!slot) return slot.status();
    auto look = std::make_shared<Look>(req.principal->user, req.remoteAddress, camera, std::move(*slot));
    {
      MutexLock lock(mutex_);
      auto [it, added] = looks_.try_emplace(key, look);
      if (!added) return touch(*it->second);
    }
    if (Status written = auditLook(audit_, req, access::audit_kind::kLiveHls); !written.isOk() || !rights_) {
      MutexLock lock(mutex_);
      looks_.erase(key);
      return written.isOk() ? Status::internal("live HLS needs the rights watch") : written;
    }
    auto hold = rights_->hold(
        {req.sessionToken, access::Role::kViewer, camera},
        [this, key, id = look.get()](std::string_view reason) { end(key, id, reason); }, kHlsIdle);
    MutexLock lock(mutex_);
    look->hold = std::move(hold);
    return Status::ok();
  }

 private:
  using SteadyClock = std::chrono::steady_clock;
  struct Look {
    Look(std::string u, std::string c, std::string cam, std::shared_ptr<LiveViews::Slot> s)
        : user(std::move(u)), client(std::move(c)), camera(std::move(cam)), slot(std::move(s)) {}
    std::string user, client, camera;
    SteadyClock::time_point started = SteadyClock::now();
    std::shared_ptr<LiveViews::Slot> slot;
    // These two are guarded by HlsLooks::mutex_ (not annotated: the
    // analysis cannot name another object's mutex).
    SteadyClock::time_point lastRequest = started;
    std::unique_ptr<access::RightsWatch::Hold> hold;  // set once audited
  };

  Status touch(Look& look) REQUIRES(mutex_) {
    look.lastRequest = SteadyClock::now();
    if (look.hold) look.hold->touch();
    return Status::ok();
  }

  // On the rights watch's thread.
  void end(const std::string& key, const Look* id, std::string_view reason) {
    std::shared_ptr<Look> look;
    SteadyClock::time_point last;
    {
      MutexLock lock(mutex_);
      auto it = looks_.find(key);
      if (it == looks_.end() || it->second.get() != id) return;
      look = std::move(it->second);
      looks_.erase(it);
      // Idle: what was watched ended with the last request.
      last = reason == access::end_reason::kIdle ? look->lastRequest : SteadyClock::now();
    }
    const double seconds = std::chrono::duration<double>(last - look->started).count();
    if (!audit_) return;
    // The look has happened: a failure here can only be logged (by the log).
    (void)audit_->record({look->user, access::audit_kind::kLiveStop, look->camera, look->client,
                          nlohmann::json{{"seconds", std::round(seconds * 10) / 10},
                                         {"reason", reason},
                                         {"via", "hls"}}
                              .dump()});
  }

  access::AuditLog* const audit_;
  access::RightsWatch* const rights_;
  const std::shared_ptr<LiveViews> views_;
  Mutex mutex_;
  std::map<std::string, std::shared_ptr<Look>> looks_ GUARDED_BY(mutex_);  // by session token and camera
};

// Live HLS of a camera of a node below: a look its owner accepted, held
// open while the player keeps asking (its frames arrive in the live
// registry under the camera's id, where HlsFeed takes them), closed after
// kRemoteHlsIdle without a request, or when the owner ends it (the next
// request asks again). One per session and camera. Thread-safe.
class RemoteHlsLooks : public std::enable_shared_from_this<RemoteHlsLooks> {
 public:
  RemoteHlsLooks(link::RemoteLooks& remote, EventLoopPool& loops) : remote_(remote), loops_(loops) {}

  // Opens the request's look (blocking this worker until the owner
  // answers, as RemoteLooks::open bounds it), or notes one more request.
  Status request(const Request& req) {
    const std::string& camera = req.params.at("id");
    const std::string key = req.sessionToken + "\n" + camera;
    {
      MutexLock lock(mutex_);
      if (auto it = looks_.find(key); it != looks_.end()) {
        it->second->lastRequest = SteadyClock::now();
        return Status::ok();
      }
    }
    auto held = std::make_shared<Held>(loops_.next());
    auto look = remote_.open({camera, access::ShareRight::kLive, req.principal->user},
                             [weak = weak_from_this(), key, id = held.get()](const std::string&) {
                               if (auto self = weak.lock()) self->drop(key, id);
                             });
    if (!look) return look.status();
    held->look = std::move(*look);
    {
      MutexLock lock(mutex_);
      // Another request may have opened it meanwhile: this one's look
      // closes when `held` goes.
      if (!looks_.try_emplace(key, held).second) return Status::ok();
    }
    watch(key, held);
    return Status::ok();
  }

 private:
  using SteadyClock = std::chrono::steady_clock;
  static constexpr auto kRemoteHlsIdle = std::chrono::seconds(10);
  static constexpr auto kCheck = std::chrono::seconds(1);
  struct Held {
    explicit Held(asio::io_context& loop) : timer(loop) {}
    std::unique_ptr<link::RemoteLooks::Look> look;
    asio::steady_timer timer;
    // Guarded by RemoteHlsLooks::mutex_ (the analysis cannot name another
    // object's mutex).
    SteadyClock::time_point lastRequest = SteadyClock::now();
  };

  void watch(const std::string& key, const std::shared_ptr<Held>& held) {
    held->timer.expires_after(kCheck);
    held->timer.async_wait([weak = weak_from_this(), key, weakHeld = std::weak_ptr<Held>(held)](
                               const boost::system::error_code& ec) {
      auto self = weak.lock();
      auto h = weakHeld.lock();
      if (ec || !self || !h) return;
      bool idle = false;
      {
        MutexLock lock(self->mutex_);
        idle = SteadyClock::now() - h->lastRequest > kRemoteHlsIdle;
      }
      if (idle) return self->drop(key, h.get());
      self->watch(key, h);
    });
  }
  // Ends the look (the owner is told) unless another took its place.
  void drop(const std::string& key, const Held* id) {
    std::shared_ptr<Held> ended;
    MutexLock lock(mutex_);
    auto it = looks_.find(key);
    if (it == looks_.end() || it->second.get() != id) return;
    ended = std::move(it->second);
    looks_.erase(it);
    lock.unlock();
    ended->timer.cancel();
  }

  link::RemoteLooks& remote_;
  EventLoopPool& loops_;
  Mutex mutex_;
  std::map<std::string, std::shared_ptr<Held>> looks_ GUARDED_BY(mutex_);  // by session token and camera
};

// ?stream=: whether the request asks for the camera's sub stream.
Result<bool> wantsSub(const Request& req) {
  auto query = parseQuery(req.query);
  if (!query) return query.status();
  auto it = query->find("stream");
  if (it == query->end() || it->second == "main") return false;
  if (it->second == "sub") return true;
  return Status::invalidArgument("stream: must be main or sub");
}

// ?audio=1: the camera's sound too (the camera page; the grid never asks).
Result<bool> wantsAudio(const Request& req) {
  auto query = parseQuery(req.query);
  if (!query) return query.status();
  auto it = query->find("audio");
  return it != query->end() && it->second == "1";
}

// ?codec=h264: a browser that cannot play the camera's own codec.
Result<bool> wantsH264(const Request& req) {
  auto query = parseQuery(req.query);
  if (!query) return query.status();
  auto it = query->find("codec");
  if (it == query->end()) return false;
  if (it->second == "h264") return true;
  return Status::invalidArgument("codec: must be h264");
}

// The codec of the stream's cached GOP; none while there is none (the
// camera is offline or starting).
std::optional<media::VideoCodec> cachedCodec(media::LiveStream& stream) {
  std::vector<media::LiveItem> items;
  auto viewer = stream.subscribe([] {});
  (void)viewer->pop(items);
  if (items.empty() || !items.front().frame->params) return std::nullopt;
  return items.front().frame->params->codec;
}

struct Shared {
  Shared(LiveRoutesContext c, access::RightsWatch* rights)
      : context(std::move(c)),
        views(std::make_shared<LiveViews>(context.maxViewsPerSession, context.maxViewsPerUser)),
        hlsLooks(context.audit, rights, views),
        remoteHls(context.remote && context.loops ? std::make_shared<RemoteHlsLooks>(*context.remote, *context.loops)
                                                  : nullptr) {}

  LiveRoutesContext context;
  std::shared_ptr<LiveViews> views;
  HlsLooks hlsLooks;
  const std::shared_ptr<RemoteHlsLooks> remoteHls;  // null without a tier link
  Mutex mutex;
  std::map<std::string, std::shared_ptr<HlsFeed>> hls GUARDED_BY(mutex);  // by live stream id ("?audio=1" after it: with sound)
  // Snapshots of cameras below wait for their owners' frames: two workers
  // at most, one per camera, and none for 10 s for a camera that sent none.
  SnapshotWaits remoteSnapshots{
      {.maxWaiting = 2, .afterFailure = std::chrono::seconds(10), .whileWaiting = std::chrono::seconds(1)}};

  // The live-registry stream that serves the request (LiveRoutesContext::streamId).
  Result<std::string> streamOf(const Request& req) {
    const std::string& camera = req.params.at("id");
    auto sub = wantsSub(req);
    if (!sub) return sub.status();
    if (!*sub || !context.streamId || link::RemoteLooks::isRemote(camera)) return camera;
    return context.streamId(camera, true);
  }

  // The HLS feed of a live stream, started if needed; with `audio`, a
  // feed of its own with the camera's sound; with `h264`, of the camera's
  // H.264 (h264Stream: the transcode runs while the feed does).
  Result<std::shared_ptr<HlsFeed>> hlsFeed(const Request& req, const std::string& streamId, bool audio, bool h264) {
    const std::string& camera = req.params.at("id");
    const std::shared_ptr<media::LiveStream> stream = context.live->stream(streamId);
    // An H.264 camera is served as it is.
    h264 = h264 && cachedCodec(*stream) != media::VideoCodec::kH264;
    MutexLock lock(mutex);
    auto& feed = hls[fmt::format("{}{}{}", streamId, audio ? "?audio=1" : "", h264 ? "?codec=h264" : "")];
    // A window made from an earlier feed (a camera of a node below, looked
    // at again: its owner may have masked it since) is not served.
    if (!feed || !feed->alive() || feed->generation() != stream->cacheGeneration()) {
      std::shared_ptr<media::LiveStream> source = stream;
      if (h264) {
        auto converted = h264Stream(camera);
        if (!converted) return converted.status();
        source = std::move(*converted);
      }
      std::shared_ptr<media::LiveStream> sound;
      if (audio) sound = context.live->find(media::liveAudioStreamOf(camera));
      feed = std::make_shared<HlsFeed>(context.loops->next());
      if (h264) feed->hold(source);
      feed->start(*source, sound.get(), stream->cacheGeneration());
    }
    feed->touch();
    return feed;
  }
  Status audit(const Request& req, std::string action, const nlohmann::json& detail = nlohmann::json::object()) {
    return auditLook(context.audit, req, std::move(action), detail);
  }
  // What a viewer asking for H.264 is sent: the camera's stream when it is
  // H.264, else its sub stream when that is H.264 and streams, else its
  // transcode (while the result is held).
  Result<std::shared_ptr<media::LiveStream>> h264Stream(const std::string& camera) {
    auto stream = context.live->stream(camera);
    if (cachedCodec(*stream) == media::VideoCodec::kH264) return stream;
    // An H.264 sub stream that streams now is the camera's own picture: no transcode.
    if (context.streamId && !link::RemoteLooks::isRemote(camera)) {
      if (const std::string sub = context.streamId(camera, true); sub != camera) {
        auto subStream = context.live->stream(sub);
        if (cachedCodec(*subStream) == media::VideoCodec::kH264) return subStream;
      }
    }
    if (!context.h264ForBrowsers) return Status::resourceExhausted("this node transcodes no camera for browsers");
    return context.h264ForBrowsers(camera);
  }
  // A live HLS request of a camera of a node below holds its owner's look.
  Status holdRemoteLive(const Request& req) {
    if (!link::RemoteLooks::isRemote(req.params.at("id"))) return Status::ok();
    if (!remoteHls) return Status::unavailable("this node has no tier link");
    return remoteHls->request(req);
  }
};

// One WebSocket viewer: frames from its live-registry viewer become one
// fMP4 fragment each (media::LiveFmp4Writer: a frame leaves as soon as it
// arrived), sent on the connection's loop. While the socket's
// queue is over kSendWindow nothing is popped, so a slow client's backlog
// builds up in the registry, whose policy (skip to a keyframe, then
// disconnect) is the only one. With the camera's audio stream, its frames
// are fragments of a second track, AAC as it comes and G.711 transcoded
// to AAC for this viewer (DECISIONS 87): the track is there when the
// stream's latest audio frame is there as the viewer starts.
class LiveSender : public std::enable_shared_from_this<LiveSender> {
 public:
  LiveSender(std::shared_ptr<WebSocketChannel> channel, asio::steady_timer timer)
      : channel_(std::move(channel)), timer_(std::move(timer)) {}

  // `audio`: the camera's audio stream, or null for video only.
  void start(media::LiveStream& stream, media::LiveStream* audio) {
    auto onReady = [weak = weak_from_this(), executor = channel_->executor()] {
      asio::post(executor, [weak] {
        if (auto self = weak.lock()) self->drain();
      });
    };
    if (audio) audioViewer_ = audio->subscribe(onReady);
    viewer_ = stream.subscribe(onReady);
    drain();
  }
  void stop() {
    viewer_.reset();
    audioViewer_.reset();
    timer_.cancel();
  }
  // Why the sender closed its socket itself, if it did (for live_stop).
  std::string_view endReason() const { return endReason_; }

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
    if (audioViewer_) {
      if (Status status = audioViewer_->pop(audioItems_); !status.isOk()) return close(status);
      if (!started_ && !audio_ && !audioItems_.empty()) {
        // The audio track of this viewer's init segments, from the audio
        // stream's first frame.
        audio_ = BrowserAudio::choose(audioItems_.front().frame);
        if (audio_) writer_.setAudio(audio_->aac());
      }
    }
    if (Status status = viewer_->pop(items_); !status.isOk()) return close(status);
    for (const media::LiveItem& item : items_) {
      if (!send(item)) return;
    }
    items_.clear();
    for (const media::LiveItem& item : audioItems_) {
      if (!sendAudio(item.frame)) return;
    }
    audioItems_.clear();
  }

  void close(const Status& reason) {
    endReason_ = "too_slow";
    channel_->close(1008, reason.message());
    stop();
  }

  bool send(const media::LiveItem& item) {
    started_ = true;
    auto out = writer_.write(item.frame, item.newSegment || item.discontinuity);
    if (!out) {
      endReason_ = "unsendable";
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
    return queue(queued && channel_->sendBinary(out->fragment.contiguous()));
  }

  bool sendAudio(const media::SharedFrame& frame) {
    if (!audio_) return true;
    for (media::SharedFrame& f : audio_->toAac(frame)) {
      auto fragment = writer_.writeAudio(std::move(f));
      if (fragment && !queue(channel_->sendBinary(fragment->contiguous()))) return false;
    }
    return true;
  }

  bool queue(bool queued) {
    if (!queued) close(Status::resourceExhausted("viewer too slow: its send queue is full"));
    return queued;
  }

  std::shared_ptr<WebSocketChannel> channel_;
  asio::steady_timer timer_;
  std::unique_ptr<media::LiveViewer> viewer_;
  std::unique_ptr<media::LiveViewer> audioViewer_;
  std::vector<media::LiveItem> items_;
  std::vector<media::LiveItem> audioItems_;
  media::LiveFmp4Writer writer_;
  std::unique_ptr<BrowserAudio> audio_;  // null: no audio track
  bool started_ = false;  // a video frame was written: the tracks are fixed
  std::string_view endReason_;
};

// A live HLS request's choices, as its query says: ?stream=sub,
// ?audio=1, ?codec=h264. Segment URIs keep them.
struct HlsChoice {
  bool sub = false;
  bool audio = false;
  bool h264 = false;

  std::string query() const {
    std::vector<std::string_view> params;
    if (sub) params.push_back("stream=sub");
    if (audio) params.push_back("audio=1");
    if (h264) params.push_back("codec=h264");
    return params.empty() ? "" : fmt::format("?{}", fmt::join(params, "&"));
  }
};

Result<HlsChoice> hlsChoice(const Request& req) {
  HlsChoice choice;
  auto sub = wantsSub(req);
  if (!sub) return sub.status();
  auto audio = wantsAudio(req);
  if (!audio) return audio.status();
  auto h264 = wantsH264(req);
  if (!h264) return h264.status();
  choice.sub = *sub;
  choice.audio = *audio;
  choice.h264 = *h264;
  return choice;
}

Response livePlaylist(Shared& shared, const Request& req) {
  auto streamId = shared.streamOf(req);
  if (!streamId) return errorResponse(streamId.status());
  auto choice = hlsChoice(req);
  if (!choice) return errorResponse(choice.status());
  if (Status s = shared.holdRemoteLive(req); !s.isOk()) return errorResponse(s);
  if (Status s = shared.hlsLooks.request(req); !s.isOk()) return errorResponse(s);
  auto feed = shared.hlsFeed(req, *streamId, choice->audio, choice->h264);
  if (!feed) return errorResponse(feed.status());
  Response r;
  r.contentType = "application/vnd.apple.mpegurl";
  // The segments of a sub stream's window say so: they are taken from the
  // window this playlist lists, even if the sub stream has stopped since;
  // those of a window with sound or transcoded likewise.
  choice->sub = *streamId != req.params.at("id");
  const std::string query = choice->query();
  // Until the first segment is complete (about a GOP) the playlist lists
  // none; players reload a live playlist, so they just wait.
  r.body = (*feed)->window().playlist([&query](uint64_t n) { return fmt::format("live/{}.m4s{}", n, query); },
                                      [&query](uint64_t n) { return fmt::format("live/init-{}.mp4{}", n, query); });
  return r;
}

Response liveSegment(Shared& shared, const Request& req) {
  auto name = parseSegmentName(req.params.at("segment"));
  if (!name) return Response::error(404, "segment: must be init-N.mp4 or N.m4s");
  auto choice = hlsChoice(req);
  if (!choice) return errorResponse(choice.status());
  if (Status s = shared.holdRemoteLive(req); !s.isOk()) return errorResponse(s);
  if (Status s = shared.hlsLooks.request(req); !s.isOk()) return errorResponse(s);
  const std::string& camera = req.params.at("id");
  auto feed = shared.hlsFeed(req, choice->sub ? camera::subStreamId(camera) : camera, choice->audio, choice->h264);
  if (!feed) return errorResponse(feed.status());
  if (name->init) {
    auto init = (*feed)->window().init(name->number);
    if (!init) return Response::error(404, "no such init segment (the stream has moved on)");
    return bytesResponse(*init, "video/mp4");
  }
  auto segment = (*feed)->window().segment(name->number);
  if (!segment) return Response::error(404, "no such segment (too old, or not yet complete)");
  return bytesResponse(segment->contiguous(), "video/mp4");
}

// A live view of a camera of a node below: the look its owner accepted,
// and the socket to close if the owner ends it. Thread-safe.
class RemoteView {
 public:
  // Asks the owner (blocking this worker until it answers).
  Status open(link::RemoteLooks& remote, const Request& req, access::ShareRight right, std::weak_ptr<RemoteView> self) {
    auto look = remote.open({req.params.at("id"), right, req.principal->user}, [self](std::string reason) {
      if (auto view = self.lock()) view->end(std::move(reason));
    });
    if (!look) return look.status();
    MutexLock lock(mutex_);
    look_ = std::move(*look);
    return Status::ok();
  }
  void attach(std::shared_ptr<WebSocketChannel> channel) {
    MutexLock lock(mutex_);
    channel_ = std::move(channel);
    if (ended_) channel_->close(1008, *ended_);
  }
  // The owner ended the look.
  void end(std::string reason) {
    MutexLock lock(mutex_);
    ended_ = "the owner ended this look: " + reason;
    if (channel_) channel_->close(1008, *ended_);
  }
  bool endedByOwner() {
    MutexLock lock(mutex_);
    return ended_.has_value();
  }
  // The viewer left: the owner is told.
  void close() {
    std::unique_ptr<link::RemoteLooks::Look> look;
    MutexLock lock(mutex_);
    look = std::move(look_);
    channel_.reset();
  }

 private:
  Mutex mutex_;
  std::unique_ptr<link::RemoteLooks::Look> look_ GUARDED_BY(mutex_);
  std::shared_ptr<WebSocketChannel> channel_ GUARDED_BY(mutex_);
  std::optional<std::string> ended_ GUARDED_BY(mutex_);
};

// The remote view behind a request for a camera of a node below, opened;
// null for a camera of this node.
Result<std::shared_ptr<RemoteView>> openRemote(Shared& shared, const Request& req, access::ShareRight right) {
  if (!shared.context.remote || !link::RemoteLooks::isRemote(req.params.at("id"))) {
    return std::shared_ptr<RemoteView>();
  }
  auto view = std::make_shared<RemoteView>();
  VIGIL_RETURN_IF_ERROR(view->open(*shared.context.remote, req, right, view));
  return view;
}

// How long a snapshot of a camera of a node below waits for its owner's frames.
constexpr auto kRemoteSnapshotWait = std::chrono::seconds(5);

// The latest keyframe of the live stream: a subscription's first frame is
// the start of the cached GOP.
Response snapshot(Shared& shared, const Request& req) {
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
  auto streamId = shared.streamOf(req);
  if (!streamId) return errorResponse(streamId.status());
  const bool below = shared.context.remote && link::RemoteLooks::isRemote(id);
  std::chrono::seconds retryAfter{};
  std::optional<SnapshotWaits::Wait> wait = below ? shared.remoteSnapshots.begin(id, retryAfter) : std::nullopt;
  if (below && !wait) return busyResponse(retryAfter, fmt::format("no picture of camera \"{}\" now; try again later", id));
  auto remote = openRemote(shared, req, access::ShareRight::kSnapshot);
  if (!remote) return errorResponse(remote.status());
  std::vector<media::LiveItem> items;
  if (*remote) {
    // The owner's frames start with a keyframe once they come.
    items = firstFrames(*shared.context.live->stream(id), kRemoteSnapshotWait);
    (*remote)->close();
    if (items.empty()) wait->failed();
  } else {
    auto viewer = shared.context.live->stream(*streamId)->subscribe([] {});
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

// A live view refused once open, so that the browser can read why (it
// cannot read a refused upgrade's body): the message, then a close with
// 1013, "try again later".
WebSocketSession refusedView(const Status& why, std::string code) {
  auto opened = std::make_shared<std::weak_ptr<WebSocketChannel>>();
  WebSocketSession session;
  const std::string message =
      nlohmann::json{{"type", "error"}, {"code", std::move(code)}, {"error", why.message()}}.dump();
  session.onOpen = [opened, message](std::shared_ptr<WebSocketChannel> channel) {
    *opened = channel;
    if (!channel->sendText(message)) channel->close(1013);
  };
  // Closed once the message is out (a close drops what is still queued).
  session.onDrained = [opened] {
    if (auto channel = opened->lock()) channel->close(1013, "busy");
  };
  return session;
}

Result<WebSocketSession> liveWebSocket(const std::shared_ptr<Shared>& shared, const Request& req) {
  auto streamId = shared->streamOf(req);
  if (!streamId) return streamId.status();
  auto h264 = wantsH264(req);
  if (!h264) return h264.status();
  auto slot = shared->views->take(req);  // held by the callbacks: until the session goes
  if (!slot) return slot.status();
  auto remote = openRemote(*shared, req, access::ShareRight::kLive);
  if (!remote) return remote.status();
  const std::string camera = req.params.at("id");
  auto stream = shared->context.live->stream(*streamId);
  auto withAudio = wantsAudio(req);
  if (!withAudio) return withAudio.status();
  std::shared_ptr<media::LiveStream> audio;
  if (*withAudio) audio = shared->context.live->find(media::liveAudioStreamOf(camera));
  if (*h264 && cachedCodec(*stream) != media::VideoCodec::kH264) {
    auto converted = shared->h264Stream(camera);
    if (!converted && converted.status().code() == StatusCode::kResourceExhausted) {
      return refusedView(converted.status(), "transcode_busy");
    }
    if (!converted) return converted.status();
    stream = std::move(*converted);  // held by the session: the transcode runs while it is open
  }
  auto sender = std::make_shared<std::shared_ptr<LiveSender>>();
  const auto opened = std::chrono::steady_clock::now();
  VIGIL_RETURN_IF_ERROR(shared->audit(req, access::audit_kind::kLiveStart));
  WebSocketSession session;
  session.onOpen = [sender, stream, audio, remote = *remote](std::shared_ptr<WebSocketChannel> channel) {
    if (remote) remote->attach(channel);
    asio::steady_timer timer(channel->executor());
    *sender = std::make_shared<LiveSender>(std::move(channel), std::move(timer));
    (*sender)->start(*stream, audio.get());
  };
  session.onClose = [sender, shared, req, opened, place = std::move(*slot),
                     remote = *remote](std::string_view serverReason) {
    // The server's reason (the right ended, it stops), else the sender's
    // own (a viewer too slow), else the owner's of a remote camera, else
    // the client closed it.
    std::string_view reason = serverReason;
    if (reason.empty() && *sender) reason = (*sender)->endReason();
    if (remote) {
      if (reason.empty() && remote->endedByOwner()) reason = "ended_by_owner";
      remote->close();
    }
    if (reason.empty()) reason = "closed";
    if (*sender) (*sender)->stop();
    sender->reset();
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - opened).count();
    // The view has happened: a failure here can only be logged (by the log).
    (void)shared->audit(req, access::audit_kind::kLiveStop,
                        {{"seconds", std::round(seconds * 10) / 10}, {"reason", reason}});
  };
  return session;
}

}  // namespace

void addLiveRoutes(HttpServer& server, LiveRoutesContext context) {
  auto shared = std::make_shared<Shared>(std::move(context), server.rightsWatch());
  const AccessRule viewer{Access::kUser, "id"};
  server.webSocket("/api/v1/cameras/{id}/live", viewer,
                   [shared](const Request& req) { return liveWebSocket(shared, req); });
  server.route("GET", "/api/v1/cameras/{id}/live.m3u8", viewer, withState(shared, livePlaylist));
  server.route("GET", "/api/v1/cameras/{id}/live/{segment}", viewer, withState(shared, liveSegment));
  server.route("GET", "/api/v1/cameras/{id}/snapshot.jpg", viewer, withState(shared, snapshot));
}

}  // namespace vigil::http

#include "link/looks.h"

#include <fmt/format.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <cmath>
#include <condition_variable>
#include <thread>
#include <functional>
#include <future>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>

#include "base/log.h"
#include "base/mutex.h"
#include "link/at_source.h"
#include "link/look_messages.h"
#include "link/remote_media.h"
#include "link/stream_frames.h"

namespace vigil::link {

namespace asio = boost::asio;
using SteadyClock = std::chrono::steady_clock;

namespace {

const char* startKind(access::ShareRight right) {
  switch (right) {
    case access::ShareRight::kLive: return access::audit_kind::kLiveStart;
    case access::ShareRight::kSnapshot: return access::audit_kind::kSnapshot;
    case access::ShareRight::kPlayback: return access::audit_kind::kPlayback;
    case access::ShareRight::kExport: return access::audit_kind::kExport;
  }
  return access::audit_kind::kLiveStart;
}

// Looks from the parent open at once at a node; more are refused.
constexpr size_t kMaxLooksFromAbove = 1024;
// How long a snapshot look may take its frames before the owner ends it.
constexpr auto kSnapshotLook = std::chrono::seconds(5);

bool carriesFrames(access::ShareRight right) {
  return right == access::ShareRight::kLive || right == access::ShareRight::kSnapshot;
}

// How far a child's sound may run ahead of the wall clock since its first
// frame, and how much credit a silence may save up: a camera's sound comes
// in time, give or take the link's jitter.
constexpr double kSoundLeadSeconds = 2.0;

// The seconds a frame of sound lasts (its parameters are within the
// decoder's bounds: a rate of 8 kHz at least).
double soundSeconds(const media::Frame& frame) {
  const media::AudioParameters& a = *frame.audio;
  if (a.codec == media::AudioCodec::kAac) return 1024.0 / a.sampleRate;
  return static_cast<double>(frame.data.size()) / (static_cast<double>(a.sampleRate) * a.channels);
}

}  // namespace

// Everything, under one mutex; shared with the Look handles, the worker's
// jobs and the feeds' callbacks, which may outlive a call.
struct RemoteLooks::State : std::enable_shared_from_this<State> {
  explicit State(LooksContext c) : context(std::move(c)), worker(1) {}

  // A look this node asked of a child: for one of its own users, or on
  // behalf of a look from its parent.
  struct Down {
    std::string camera;  // this node's id for it: "<child>.<camera on the child>"
    bool carriesFrames = false;
    std::optional<uint64_t> fromParent;  // the parent's look id, when passed down
    std::shared_ptr<std::promise<Result<uint32_t>>> answer;  // a local user's, until answered
    std::function<void(std::string)> onEnded;                // a local user's
    uint32_t channel = 0;  // once accepted with frames
  };
  // A look from the parent: served here (a camera of this node) or passed down.
  struct Up {
    LookOpen ask;
    std::optional<std::pair<std::string, uint64_t>> down;  // (child, look id) when passed down
    std::string stream;  // the live stream sent up for it; empty: none (yet)
    SteadyClock::time_point opened = SteadyClock::now();
    bool answered = false;
    uint64_t serial = 0;  // this open's: a decision applies only to the open it was made for
  };
  // Frames from a child into this node's registry, while looks need them:
  // pictures under the camera's id, its sound beside them (liveAudioStreamOf).
  struct DownFeed {
    std::shared_ptr<media::LiveStream> stream;
    std::shared_ptr<media::LiveStream> audio;
    StreamDecoder decoder;
    int looks = 0;
    // The pace of its sound: a child that sends it faster than it lasts
    // (G.711 is transcoded here for each listener) has the excess dropped.
    std::optional<SteadyClock::time_point> soundStart;
    double soundHeard = 0;  // seconds since soundStart, as published
    bool soundInPace(const media::Frame& frame) {
      const auto now = SteadyClock::now();
      if (!soundStart) soundStart = now;
      const double elapsed = std::chrono::duration<double>(now - *soundStart).count();
      soundHeard = std::max(soundHeard, elapsed - kSoundLeadSeconds);
      const double after = soundHeard + soundSeconds(frame);
      if (after > elapsed + kSoundLeadSeconds) return false;
      soundHeard = after;
      return true;
    }
  };
  // Frames from this node's registry up to the parent, while looks need them.
  struct UpFeed {
    uint32_t channel = 0;
    // A masked camera's masked live stream (held while the feed lives, so
    // declared before the viewer, which goes first); null: the registry's.
    std::shared_ptr<media::LiveStream> source;
    std::unique_ptr<media::LiveViewer> viewer;
    // The camera's sound, on the same channel; null for a camera with any
    // privacy mask (its sound does not go up: "Sound", design/LINK.md).
    std::unique_ptr<media::LiveViewer> audioViewer;
    int liveLooks = 0;  // the sound goes up while there are any
    StreamEncoder encoder;
    std::vector<media::LiveItem> items;
    std::vector<media::LiveItem> audioItems;
    int looks = 0;
    // The answer naming its channel has gone up: its frames may follow.
    bool announced = false;
  };

  LooksContext context;
  asio::thread_pool worker;
  std::thread rechecker;  // asks the worker to recheck every context.recheck
  std::condition_variable wake;
  Mutex mutex;
  uint64_t nextLook GUARDED_BY(mutex) = 1;
  uint32_t nextChannel GUARDED_BY(mutex) = 1;
  uint64_t nextSerial GUARDED_BY(mutex) = 1;
  bool recheckQueued GUARDED_BY(mutex) = false;
  bool stopping GUARDED_BY(mutex) = false;
  std::map<std::pair<std::string, uint64_t>, Down> down GUARDED_BY(mutex);  // by (child, look id)
  std::map<uint64_t, Up> up GUARDED_BY(mutex);                              // by the parent's look id
  std::map<std::pair<std::string, uint32_t>, DownFeed> downFeeds GUARDED_BY(mutex);  // by (child, channel)
  std::map<std::string, std::shared_ptr<UpFeed>> upFeeds GUARDED_BY(mutex);        // by stream id

  // ---- sending
  void sendDown(const std::string& child, Kind kind, std::vector<uint8_t> payload) {
    context.bus->send(Peer::child(child), kind, 0, std::move(payload));
  }
  void sendUp(Kind kind, std::vector<uint8_t> payload) {
    context.bus->send(Peer::theParent(), kind, 0, std::move(payload));
  }

  // ---- feeds
  // False when the channel already carries another camera.
  bool holdDownFeed(const std::string& child, uint32_t channel, const std::string& stream) REQUIRES(mutex) {
    auto [it, added] = downFeeds.try_emplace({child, channel});
    if (added) {
      it->second.stream = context.live->stream(stream);
      // Made now, so that a viewer asking for sound finds it (empty for a
      // camera without any) before the first frames come.
      it->second.audio = context.live->stream(media::liveAudioStreamOf(stream));
      // What an earlier feed left (before the owner masked the camera, or
      // before a share ended) is not served as this feed's first picture.
      it->second.stream->dropCache();
      it->second.audio->dropCache();
    }
    if (it->second.stream->id() != stream) return false;
    ++it->second.looks;
    return true;
  }
  void releaseDownFeed(const std::string& child, uint32_t channel) REQUIRES(mutex) {
    auto it = downFeeds.find({child, channel});
    if (it != downFeeds.end() && --it->second.looks <= 0) {
      it->second.stream->dropCache();  // nobody is allowed its pictures any more
      it->second.audio->dropCache();
      downFeeds.erase(it);
    }
  }
  // What a feed's viewers call when frames are ready: its drain, on the loop.
  std::function<void()> drainWhenReady(const std::weak_ptr<UpFeed>& weak) {
    return [self = weak_from_this(), weak] {
      if (auto s = self.lock()) {
        asio::post(*s->context.loop, [s, weak] { s->drainUp(weak); });
      }
    };
  }
  // The feed of `stream` (a camera id), from `masked` when given (a camera
  // of this node with masks), else from the registry. 0 when a masked
  // camera's feed would come from the registry: its raw video never goes up.
  // `live`: a live look's, which takes the camera's sound too (a snapshot
  // is one picture).
  uint32_t holdUpFeed(const std::string& stream, bool live, std::shared_ptr<media::LiveStream> masked = nullptr)
      REQUIRES(mutex) {
    if (!masked && !upFeeds.count(stream) && isMasked(context, stream)) return 0;
    auto& feed = upFeeds[stream];
    if (!feed) {
      feed = std::make_shared<UpFeed>();
      feed->channel = nextChannel++;
      feed->source = masked ? std::move(masked) : context.live->stream(stream);
      feed->viewer = feed->source->subscribe(drainWhenReady(feed));
      // Its frames wait in the viewers until announceUpFeed().
    }
    // A mask hides part of the picture; the microphone hears all of it
    // (a neighbour's garden, the street), so a camera with any mask sends
    // no sound up.
    if (live && feed->liveLooks++ == 0 && !recordingsMasked(context, stream)) {
      feed->audioViewer = context.live->stream(media::liveAudioStreamOf(stream))->subscribe(drainWhenReady(feed));
      // Its queue starts with the cached sound, with no call: a feed whose
      // frames already go up drains it now.
      if (feed->announced) drainWhenReady(feed)();
    }
    ++feed->looks;
    return feed->channel;
  }
  // Called once the answer naming the feed's channel was handed to the
  // link: only now do its frames follow, so they queue behind it. A frame
  // the parent got first would be dropped there (no feed on that channel
  // yet) and the look would wait up to a GOP for the next keyframe.
  // The feed is announced on context.loop, the parent connection's, by a
  // handler posted after the answer: a drain posted before it (frames
  // published meanwhile) finds the feed not yet announced and leaves its
  // frames in the viewer, even when it runs after this call.
  void announceUpFeed(const std::string& stream) {
    std::weak_ptr<UpFeed> weak;
    {
      MutexLock lock(mutex);
      auto it = upFeeds.find(stream);
      if (it == upFeeds.end()) return;
      weak = it->second;
    }
    asio::post(*context.loop, [self = weak_from_this(), weak] {
      auto s = self.lock();
      if (!s) return;
      {
        MutexLock lock(s->mutex);
        auto feed = weak.lock();
        if (!feed || std::exchange(feed->announced, true)) return;
      }
      s->drainUp(weak);
    });
  }
  void releaseUpFeed(const std::string& stream, bool live) REQUIRES(mutex) {
    auto it = upFeeds.find(stream);
    if (it == upFeeds.end()) return;
    if (live && --it->second->liveLooks <= 0) it->second->audioViewer.reset();
    if (--it->second->looks <= 0) upFeeds.erase(it);
  }
  // On context.loop: what the registry queued for a feed goes up.
  void drainUp(const std::weak_ptr<UpFeed>& weak) {
    std::vector<std::vector<uint8_t>> payloads;
    uint32_t channel = 0;
    {
      MutexLock lock(mutex);
      auto feed = weak.lock();
      if (!feed || !feed->viewer || !feed->announced) return;
      if (!feed->viewer->pop(feed->items).isOk()) return;  // too slow: the looks end with the link's keepalive
      // Sound too slow for the link is let go; the pictures go on.
      if (feed->audioViewer && !feed->audioViewer->pop(feed->audioItems).isOk()) feed->audioViewer.reset();
      // The sound first: the viewer above takes a sound track only when it
      // has a sound frame before its first picture (http's LiveSender).
      for (auto* items : {&feed->audioItems, &feed->items}) {
        for (const media::LiveItem& item : *items) {
          feed->encoder.encode(*item.frame, item.newSegment || item.discontinuity, payloads);
        }
        items->clear();
      }
      channel = feed->channel;
    }
    // A payload the link's data lane cannot take is dropped there; the
    // decoder above skips to the next keyframe.
    for (auto& p : payloads) context.bus->send(Peer::theParent(), Kind::kData, channel, std::move(p));
  }

  // ---- a local user's look
  Result<std::unique_ptr<Look>> open(const Ask& ask, std::function<void(std::string)> onEnded,
                                     std::chrono::milliseconds timeout) {
    auto [child, rest] = firstHop(ask.camera);
    auto answer = std::make_shared<std::promise<Result<uint32_t>>>();
    auto future = answer->get_future();
    uint64_t id = 0;
    {
      MutexLock lock(mutex);
      if (stopping) return Status::unavailable("the node is stopping");
      id = nextLook++;
      Down d;
      d.camera = ask.camera;
      d.carriesFrames = carriesFrames(ask.right);
      d.answer = answer;
      d.onEnded = std::move(onEnded);
      down.emplace(std::make_pair(child, id), std::move(d));
    }
    LookOpen m{id, rest, ask.right, ask.user, {context.selfId}, context.selfTier,
               proveAsk(context, ask.camera, ask.user, {"look", access::shareRightName(ask.right)})};
    if (!context.bus->send(Peer::child(child), Kind::kLookOpen, 0, encode(m))) {
      forget(child, id);
      return Status::unavailable(fmt::format("node \"{}\" is not connected", child));
    }
    if (future.wait_for(timeout) != std::future_status::ready) {
      forget(child, id);
      sendDown(child, Kind::kLookClose, encode(LookClose{id}));
      return Status::unavailable(fmt::format("no answer from the owner of \"{}\" within {} s", ask.camera,
                                             std::chrono::duration_cast<std::chrono::seconds>(timeout).count()));
    }
    auto channel = future.get();
    if (!channel) {
      forget(child, id);
      return channel.status();
    }
    return std::unique_ptr<Look>(new Look(shared_from_this(), child, id));
  }
  void forget(const std::string& child, uint64_t id) {
    MutexLock lock(mutex);
    auto it = down.find({child, id});
    if (it == down.end()) return;
    if (it->second.channel) releaseDownFeed(child, it->second.channel);
    down.erase(it);
  }
  void close(const std::string& child, uint64_t id) {
    {
      MutexLock lock(mutex);
      if (down.find({child, id}) == down.end()) return;  // ended from below already
    }
    forget(child, id);
    sendDown(child, Kind::kLookClose, encode(LookClose{id}));
  }

  // ---- from a child
  Status onAnswer(const std::string& child, const Frame& frame) {
    auto m = decodeLookAnswer(frame.payload);
    if (!m) return m.status();
    std::optional<uint64_t> parentLook;
    LookAnswer upAnswer;
    std::string feed;  // the stream whose channel upAnswer names
    {
      MutexLock lock(mutex);
      auto it = down.find({child, m->look});
      if (it == down.end()) return Status::ok();  // closed meanwhile
      Down& d = it->second;
      const auto u0 = d.fromParent ? up.find(*d.fromParent) : up.end();
      if (!d.answer && (!d.fromParent || (u0 != up.end() && u0->second.answered))) {
        return Status::invalidArgument("a look answered twice");
      }
      if (m->ok && d.carriesFrames) {
        if (m->channel == 0) return Status::invalidArgument("a live look accepted without a channel");
        if (!holdDownFeed(child, m->channel, d.camera)) {
          return Status::invalidArgument("a look accepted on the channel of another camera");
        }
        d.channel = m->channel;
      }
      if (d.answer) {
        d.answer->set_value(m->ok ? Result<uint32_t>(m->channel) : Result<uint32_t>(Status::permissionDenied(m->reason)));
        d.answer.reset();
        if (!m->ok) down.erase(it);
        return Status::ok();
      }
      parentLook = d.fromParent;
      auto u = up.find(*parentLook);
      if (u == up.end()) return Status::ok();
      upAnswer = LookAnswer{*parentLook, m->ok, m->reason, 0};
      if (m->ok && d.carriesFrames) {
        u->second.stream = d.camera;
        upAnswer.channel = holdUpFeed(d.camera, u->second.ask.right == access::ShareRight::kLive);
        feed = d.camera;
      }
      u->second.answered = true;
      if (!m->ok) {
        up.erase(u);
        down.erase(it);
      }
    }
    sendUp(Kind::kLookAnswer, encode(upAnswer));
    if (!feed.empty()) announceUpFeed(feed);
    return Status::ok();
  }

  Status onEnd(const std::string& child, const Frame& frame) {
    auto m = decodeLookEnd(frame.payload);
    if (!m) return m.status();
    endDown(child, m->look, m->reason);
    return Status::ok();
  }
  // A look on a child's link ended from below (or the link went).
  void endDown(const std::string& child, uint64_t id, const std::string& reason) {
    std::function<void(std::string)> onEnded;
    std::optional<uint64_t> parentLook;
    {
      MutexLock lock(mutex);
      auto it = down.find({child, id});
      if (it == down.end()) return;
      Down& d = it->second;
      if (d.answer) d.answer->set_value(Status::unavailable(reason));
      if (d.channel) releaseDownFeed(child, d.channel);
      onEnded = std::move(d.onEnded);
      if (d.fromParent) {
        parentLook = d.fromParent;
        auto u = up.find(*parentLook);
        if (u != up.end()) {
          if (!u->second.stream.empty()) releaseUpFeed(u->second.stream, u->second.ask.right == access::ShareRight::kLive);
          up.erase(u);
        }
      }
      down.erase(it);
    }
    if (onEnded) onEnded(reason);
    if (parentLook) sendUp(Kind::kLookEnd, encode(LookEnd{*parentLook, reason}));
  }

  Status onData(const std::string& child, Frame frame) {
    MutexLock lock(mutex);
    auto it = downFeeds.find({child, frame.channel});
    if (it == downFeeds.end()) return Status::ok();  // a feed just released
    auto out = it->second.decoder.push(frame.payload);
    if (!out) return out.status();
    if (!*out) return Status::ok();
    const media::SharedFrame& f = (*out)->frame;
    if (f->audio && !it->second.soundInPace(*f)) return Status::ok();
    (f->audio ? it->second.audio : it->second.stream)->publish(f, (*out)->newSegment);
    return Status::ok();
  }

  // ---- from the parent
  Status onOpen(const Frame& frame) {
    auto m = decodeLookOpen(frame.payload);
    if (!m) return m.status();
    if (auto why = implausibleAsk(context, m->tier, m->via)) {
      sendUp(Kind::kLookAnswer, encode(LookAnswer{m->look, false, *why, 0}));
      return Status::ok();
    }
    if (m->right == access::ShareRight::kPlayback || m->right == access::ShareRight::kExport) {
      sendUp(Kind::kLookAnswer,
             encode(LookAnswer{m->look, false, "recordings are asked as recorded media (kMediaOpen), not as looks", 0}));
      return Status::ok();
    }
    uint64_t serial = 0;
    {
      MutexLock lock(mutex);
      if (up.count(m->look)) return Status::invalidArgument("a look id used twice");
      if (up.size() >= kMaxLooksFromAbove) {
        sendUp(Kind::kLookAnswer, encode(LookAnswer{m->look, false, "too many looks open from above", 0}));
        return Status::ok();
      }
      serial = nextSerial++;
      up.emplace(m->look, Up{*m, std::nullopt, {}, SteadyClock::now(), false, serial});
    }
    if (RemoteLooks::isRemote(m->camera)) return passDown(std::move(*m));
    asio::post(worker, [s = shared_from_this(), m = std::move(*m), serial] { s->serve(m, serial); });
    return Status::ok();
  }

  Status passDown(LookOpen m) {
    auto [child, rest] = firstHop(m.camera);
    uint64_t id = 0;
    {
      MutexLock lock(mutex);
      id = nextLook++;
      Down d;
      d.camera = m.camera;
      d.carriesFrames = carriesFrames(m.right);
      d.fromParent = m.look;
      down.emplace(std::make_pair(child, id), std::move(d));
      up[m.look].down = std::make_pair(child, id);
    }
    LookOpen next = m;
    next.look = id;
    next.camera = rest;
    next.via.push_back(context.selfId);
    if (next.via.size() > kMaxViaNodes || !context.bus->send(Peer::child(child), Kind::kLookOpen, 0, encode(next))) {
      endDown(child, id, fmt::format("node \"{}\" is not connected", child));
    }
    return Status::ok();
  }

  // On the worker: the owner's decision, in its audit log.
  void serve(const LookOpen& m, uint64_t serial) {
    AskFromAbove ask = askOf(m);
    ask.signedAs = {"look", access::shareRightName(m.right)};
    ask.proof = &m.proof;
    const bool frames = carriesFrames(m.right);
    Status decision = decideAtSource(context, ask, frames && !context.maskedLive && isMasked(context, m.camera));
    // A camera with privacy masks sends up its masked live stream only.
    std::shared_ptr<media::LiveStream> masked;
    if (decision.isOk() && frames && isMasked(context, m.camera)) {
      auto held = context.maskedLive(m.camera);
      if (held) {
        masked = std::move(*held);
      } else {
        log::warn("link.masked_live_failed", {{"camera", m.camera}, {"status", held.status()}});
        decision = Status::unavailable(std::string(kMaskedNotShared));
      }
    }
    if (decision.isOk()) {
      Status written = context.audit ? context.audit->record({remoteUser(ask), startKind(m.right), m.camera, "link",
                                                              remoteDetail(context, ask).dump()})
                                     : Status::unavailable("no audit log");
      if (!written.isOk()) decision = Status::unavailable("the owner cannot write its audit log now");
    }
    LookAnswer answer{m.look, decision.isOk(), decision.message(), 0};
    {
      MutexLock lock(mutex);
      auto u = up.find(m.look);
      // Closed before the answer (its row stands, a look of no time), or
      // closed and opened again under the same id: that open has its own.
      if (u == up.end() || u->second.serial != serial) return;
      if (decision.isOk() && frames) {
        answer.channel = holdUpFeed(m.camera, m.right == access::ShareRight::kLive, std::move(masked));
        if (answer.channel == 0) answer = LookAnswer{m.look, false, std::string(kMaskedNotShared), 0};
      }
      if (!answer.ok) {
        up.erase(u);
      } else {
        u->second.answered = true;
        if (frames) u->second.stream = m.camera;
      }
    }
    sendUp(Kind::kLookAnswer, encode(answer));
    if (answer.ok && answer.channel) announceUpFeed(m.camera);
  }

  static AskFromAbove askOf(const LookOpen& m) { return {m.camera, m.tier, m.right, m.user, m.via}; }

  // A look from the parent ends here: closed above, revoked here, or the link went.
  void endUp(uint64_t look, std::string_view reason, bool tellParent) {
    std::optional<Up> ended;
    {
      MutexLock lock(mutex);
      auto u = up.find(look);
      if (u == up.end()) return;
      ended = std::move(u->second);
      up.erase(u);
      if (!ended->stream.empty()) releaseUpFeed(ended->stream, ended->ask.right == access::ShareRight::kLive);
      if (ended->down) {
        auto d = down.find(*ended->down);
        if (d != down.end()) {
          if (d->second.channel) releaseDownFeed(ended->down->first, d->second.channel);
          down.erase(d);
        }
      }
    }
    if (ended->down) sendDown(ended->down->first, Kind::kLookClose, encode(LookClose{ended->down->second}));
    if (tellParent) sendUp(Kind::kLookEnd, encode(LookEnd{look, std::string(reason)}));
    if (!ended->down && ended->answered && ended->ask.right == access::ShareRight::kLive && context.audit) {
      const double seconds = std::chrono::duration<double>(SteadyClock::now() - ended->opened).count();
      asio::post(worker, [s = shared_from_this(), m = ended->ask, seconds, reason = std::string(reason)] {
        (void)s->context.audit->record({remoteUser(askOf(m)), access::audit_kind::kLiveStop, m.camera, "link",
                                        nlohmann::json{{"remote", true},
                                                       {"tier", tierName(m.tier)},
                                                       {"via", m.via},
                                                       {"seconds", std::round(seconds * 10) / 10},
                                                       {"reason", reason}}
                                            .dump()});
      });
    }
  }

  Status onClose(const Frame& frame) {
    auto m = decodeLookClose(frame.payload);
    if (!m) return m.status();
    endUp(m->look, "closed", false);
    return Status::ok();
  }

  // On the worker: every look served here, asked again (a share changed,
  // an hour passed, an expiry).
  void recheck(const std::optional<std::string>& camera) {
    std::vector<LookOpen> served;
    std::vector<uint64_t> snapshotsTaken;
    {
      MutexLock lock(mutex);
      const auto now = SteadyClock::now();
      for (const auto& [id, u] : up) {
        if (u.down || !u.answered) continue;
        // A snapshot is one picture, not a live view that never ends.
        if (u.ask.right == access::ShareRight::kSnapshot && now - u.opened > kSnapshotLook) {
          snapshotsTaken.push_back(id);
        } else if (!camera || u.ask.camera == *camera) {
          served.push_back(u.ask);
        }
      }
    }
    for (uint64_t id : snapshotsTaken) endUp(id, "snapshot taken", true);
    for (const LookOpen& m : served) {
      Status s = shareAllows(context, askOf(m));
      // Fails closed: a share that cannot be read now ends the look too.
      if (!s.isOk()) endUp(m.look, "revoked: " + s.message(), true);
    }
  }
  void recheckEvery() {
    MutexLock lock(mutex);
    while (!stopping) {
      lock.waitFor(wake, context.recheck);
      if (stopping) break;
      // One periodic recheck at a time: a slow one is not queued behind.
      if (std::exchange(recheckQueued, true)) continue;
      asio::post(worker, [s = shared_from_this()] {
        s->recheck(std::nullopt);
        MutexLock relock(s->mutex);
        s->recheckQueued = false;
      });
    }
  }

  // ---- links
  // Up or down alike: whatever rode on the previous connection is gone.
  void onLink(const Peer& peer) {
    if (peer.parent) {
      // Every look from above rode on the previous connection.
      std::vector<uint64_t> ids;
      {
        MutexLock lock(mutex);
        for (const auto& [id, u] : up) ids.push_back(id);
      }
      for (uint64_t id : ids) endUp(id, "the link to the parent was lost", false);
      return;
    }
    std::vector<uint64_t> ids;
    {
      MutexLock lock(mutex);
      for (const auto& [key, d] : down) {
        if (key.first == peer.childId) ids.push_back(key.second);
      }
    }
    for (uint64_t id : ids) endDown(peer.childId, id, fmt::format("the link to node \"{}\" was lost", peer.childId));
  }
};

RemoteLooks::RemoteLooks(LooksContext context)
    : state_(std::make_shared<State>(withSourceState(std::move(context)))) {
  media_ = std::make_unique<RemoteMedia>(state_->context);  // one tally of refusals for both
  Bus& bus = *state_->context.bus;
  std::weak_ptr<State> weak = state_;
  auto with = [weak](auto fn) { return whileAlive(weak, fn); };
  bus.handleFromParent(Kind::kLookOpen, with([](State& s, const Peer&, Frame f) { return s.onOpen(f); }));
  bus.handleFromParent(Kind::kLookClose, with([](State& s, const Peer&, Frame f) { return s.onClose(f); }));
  bus.handleFromChildren(Kind::kLookAnswer, with([](State& s, const Peer& p, Frame f) { return s.onAnswer(p.childId, f); }));
  bus.handleFromChildren(Kind::kLookEnd, with([](State& s, const Peer& p, Frame f) { return s.onEnd(p.childId, f); }));
  bus.handleFromChildren(Kind::kData, with([](State& s, const Peer& p, Frame f) { return s.onData(p.childId, std::move(f)); }));
  bus.watchLinks([weak](const Peer& peer, bool) {
    if (auto s = weak.lock()) s->onLink(peer);
  });
  if (state_->context.shares) {
    state_->context.shares->addChangeListener([weak](const std::string& camera) {
      if (auto s = weak.lock()) asio::post(s->worker, [s, camera] { s->recheck(camera); });
    });
  }
  state_->rechecker = std::thread([s = state_.get()] { s->recheckEvery(); });
}

RemoteLooks::~RemoteLooks() {
  {
    MutexLock lock(state_->mutex);
    state_->stopping = true;
    state_->upFeeds.clear();
    state_->downFeeds.clear();
  }
  state_->wake.notify_all();
  state_->rechecker.join();
  state_->worker.join();
}

Result<std::unique_ptr<RemoteLooks::Look>> RemoteLooks::open(const Ask& ask,
                                                             std::function<void(std::string reason)> onEnded,
                                                             std::chrono::milliseconds timeout) {
  if (!isRemote(ask.camera)) return Status::invalidArgument("not a remote camera");
  return state_->open(ask, std::move(onEnded), timeout);
}

size_t RemoteLooks::openFromAbove() const {
  MutexLock lock(state_->mutex);
  return state_->up.size();
}

RemoteLooks::Look::~Look() { state_->close(child_, id_); }

}  // namespace vigil::link

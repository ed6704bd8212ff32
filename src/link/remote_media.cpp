#include "link/remote_media.h"

#include <fmt/format.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <condition_variable>
#include <deque>
#include <map>

#include "base/log.h"
#include "base/mutex.h"
#include "link/at_source.h"
#include "link/look_messages.h"

namespace vigil::link {

namespace asio = boost::asio;
using SteadyClock = std::chrono::steady_clock;

namespace {

// Requests from the parent open at once at a node; more are refused.
constexpr size_t kMaxFromAbove = 256;
// How often a body being sent asks the shares again (hours of the day,
// expiry); a change of the shares is acted on at once.
constexpr auto kRecheck = std::chrono::seconds(1);

// What the asking node signs of a request beside who asks (askStatement).
AskSigned signedAs(std::string_view path, std::string_view query, std::string_view range, std::string_view ifRange) {
  return {"media", path, query, range, ifRange};
}

}  // namespace

// A reply awaited for a user of this node: what came and is not read yet.
struct RemoteMedia::Sink {
  Sink(std::string c, uint32_t r) : child(std::move(c)), request(r) {}
  const std::string child;
  const uint32_t request;
  Mutex mutex;
  std::condition_variable changed;
  std::optional<MediaHead> head GUARDED_BY(mutex);
  std::deque<std::vector<uint8_t>> chunks GUARDED_BY(mutex);
  size_t frontTaken GUARDED_BY(mutex) = 0;  // bytes of chunks.front() already read
  uint64_t buffered GUARDED_BY(mutex) = 0;
  uint64_t unGranted GUARDED_BY(mutex) = 0;  // read and not yet granted again
  std::optional<std::string> ended GUARDED_BY(mutex);  // empty: the body is whole; else why it was cut

  Status take(const MediaReply& part) {
    {
      MutexLock lock(mutex);
      if (ended) return Status::invalidArgument("a media reply went on after its end");
      switch (part.part) {
        case MediaPart::kHead:
          if (head) return Status::invalidArgument("a media reply with two heads");
          head = part.head;
          break;
        case MediaPart::kBody:
          if (!head) return Status::invalidArgument("a media reply's body before its head");
          chunks.emplace_back(part.body.begin(), part.body.end());
          buffered += part.body.size();
          break;
        case MediaPart::kEnd: ended = part.reason; break;
      }
    }
    changed.notify_all();
    return Status::ok();
  }
  void cut(std::string reason) {
    {
      MutexLock lock(mutex);
      if (!ended) ended = std::move(reason);
    }
    changed.notify_all();
  }
};

// Everything but the sinks' bytes, under one mutex; shared with the
// transfers and the pool's jobs, which may outlive a call.
struct RemoteMedia::State : std::enable_shared_from_this<State> {
  explicit State(LooksContext c) : context(std::move(c)), pool(2) {}

  // A reply this node awaits from a child: for one of its users (sink),
  // or for its parent (passed up as it comes).
  struct Down {
    std::shared_ptr<Sink> sink;
    std::optional<uint32_t> fromParent;  // the parent's request id
    uint64_t credit = 0;    // body bytes granted from above
    uint64_t received = 0;  // body bytes that came: never more than credit
    bool headSeen = false;  // a reply is one head, body parts, one end
  };
  // A request from the parent served here. Its fields are guarded by
  // State::mutex (the analysis cannot name another object's mutex); `ask`
  // does not change once made.
  struct Served {
    MediaOpen ask;
    access::ShareRight right = access::ShareRight::kPlayback;
    MediaAnswer answer;  // set once, before `answered`
    uint64_t sent = 0;
    uint64_t credit = 0;
    bool answered = false;
    bool pumping = false;  // a pool job sends its body now
    bool over = false;     // ended, cut or cancelled: nothing more goes up
    SteadyClock::time_point checked;
  };
  // A request from the parent: passed down, or served here.
  struct Up {
    std::optional<std::pair<std::string, uint32_t>> down;  // (child, request id)
    std::shared_ptr<Served> served;
  };

  LooksContext context;
  asio::thread_pool pool;  // decisions, routes and body reads
  mutable Mutex mutex;
  MediaRoutes routes GUARDED_BY(mutex);
  bool stopping GUARDED_BY(mutex) = false;
  uint32_t nextRequest GUARDED_BY(mutex) = 1;
  std::map<std::pair<std::string, uint32_t>, Down> down GUARDED_BY(mutex);  // by (child, request id)
  std::map<uint32_t, Up> up GUARDED_BY(mutex);                              // by the parent's request id

  // ---- sending
  void replyUp(uint32_t request, std::vector<uint8_t> part) {
    context.bus->send(Peer::theParent(), Kind::kMediaReply, request, std::move(part));
  }
  // A refusal of this node (not of the route): a head saying why, and the end.
  void refuseUp(uint32_t request, int status, std::string_view reason) {
    replyUp(request, encodeMediaHead(MediaHead{status, "application/json", 0, false, {}, {}, std::string(reason)}));
    replyUp(request, encodeMediaEnd(""));
  }
  uint32_t newRequest(const std::string& child) REQUIRES(mutex) {
    for (;;) {
      const uint32_t id = nextRequest++;
      if (nextRequest == 0) nextRequest = 1;
      if (!down.count({child, id})) return id;
    }
  }

  // ---- a user of this node asks
  Result<std::unique_ptr<Transfer>> fetch(const Ask& ask, std::chrono::milliseconds timeout) {
    auto [child, rest] = firstHop(ask.camera);
    std::shared_ptr<Sink> sink;
    {
      MutexLock lock(mutex);
      if (stopping) return Status::unavailable("the node is stopping");
      sink = std::make_shared<Sink>(child, newRequest(child));
      down.emplace(std::make_pair(child, sink->request), Down{sink, std::nullopt, RemoteMedia::kWindow, 0});
    }
    const MediaOpen m{sink->request,    rest,
                      ask.path,         ask.query,
                      ask.range,        ask.ifRange,
                      ask.user,         {context.selfId},
                      context.selfTier, RemoteMedia::kWindow,
                      proveAsk(context, ask.camera, ask.user, signedAs(ask.path, ask.query, ask.range, ask.ifRange))};
    std::vector<uint8_t> payload = encode(m);
    // What the next hop would refuse (and end the link for) is refused here.
    if (auto valid = decodeMediaOpen(payload); !valid) {
      forget(child, sink->request);
      return valid.status();
    }
    if (!context.bus->send(Peer::child(child), Kind::kMediaOpen, 0, std::move(payload))) {
      forget(child, sink->request);
      return Status::unavailable(fmt::format("node \"{}\" is not connected", child));
    }
    std::optional<MediaHead> head;
    std::optional<std::string> ended;
    {
      Sink& s = *sink;
      MutexLock lock(s.mutex);
      lock.waitFor(s.changed, timeout, [&]() REQUIRES(s.mutex) { return s.head || s.ended; });
      head = s.head;
      ended = s.ended;
    }
    if (!head) {
      cancel(child, sink->request);
      if (ended) return Status::unavailable(ended->empty() ? "the owner's reply had no head" : *ended);
      return Status::unavailable(fmt::format("no answer from the owner of \"{}\" within {} s", ask.camera,
                                             std::chrono::duration_cast<std::chrono::seconds>(timeout).count()));
    }
    if (!head->reason.empty()) {
      forget(child, sink->request);  // its end follows, to no one
      if (head->status == 403) return Status::permissionDenied(head->reason);
      if (head->status == 404) return Status::notFound(head->reason);
      return Status::unavailable(head->reason);
    }
    return std::unique_ptr<Transfer>(new Transfer(shared_from_this(), sink, std::move(*head)));
  }
  // True when it was still awaited.
  bool forget(const std::string& child, uint32_t request) {
    MutexLock lock(mutex);
    return down.erase({child, request}) > 0;
  }
  void cancel(const std::string& child, uint32_t request) {
    if (forget(child, request)) {
      context.bus->send(Peer::child(child), Kind::kMediaCancel, 0, encode(MediaCancel{request}));
    }
  }
  void grant(const std::string& child, uint32_t request, uint64_t bytes) {
    {
      MutexLock lock(mutex);
      auto it = down.find({child, request});
      if (it == down.end()) return;
      it->second.credit += bytes;
    }
    context.bus->send(Peer::child(child), Kind::kMediaCredit, 0, encode(MediaCredit{request, bytes}));
  }

  // ---- from a child: a reply, for a user here or passed up unread
  Status onReply(const std::string& child, Frame frame) {
    // Checked at every hop, so a bad reply ends the link of the child that
    // sent it, not an honest node's further up (decoding a body part only
    // points into it).
    auto checked = decodeMediaReply(frame.payload);
    if (!checked) return checked.status();
    const MediaPart part = checked->part;
    const bool end = part == MediaPart::kEnd;
    std::shared_ptr<Sink> sink;
    std::optional<uint32_t> parentRequest;
    {
      MutexLock lock(mutex);
      auto it = down.find({child, frame.channel});
      if (it == down.end()) return Status::ok();  // cancelled meanwhile
      Down& d = it->second;
      if ((part == MediaPart::kHead) == d.headSeen) {
        return Status::invalidArgument(d.headSeen ? "a media reply with a second head"
                                                  : "a media reply without its head first");
      }
      d.headSeen = true;
      // No hop holds more than was granted.
      if (part == MediaPart::kBody && (d.received += frame.payload.size() - 1) > d.credit) {
        return Status::invalidArgument("a media reply went past its credit");
      }
      sink = d.sink;
      parentRequest = d.fromParent;
      if (end) {
        down.erase(it);
        if (parentRequest) up.erase(*parentRequest);
      }
    }
    if (parentRequest) {
      replyUp(*parentRequest, std::move(frame.payload));
      return Status::ok();
    }
    return sink->take(*checked);
  }

  // ---- from the parent
  Status onOpen(const Frame& frame) {
    auto m = decodeMediaOpen(frame.payload);
    if (!m) return m.status();
    if (auto why = implausibleAsk(context, m->tier, m->via)) {
      refuseUp(m->request, 403, *why);
      return Status::ok();
    }
    const bool remote = RemoteLooks::isRemote(m->camera);
    std::shared_ptr<Served> served;
    if (!remote) served = std::make_shared<Served>();
    {
      MutexLock lock(mutex);
      if (up.count(m->request)) return Status::invalidArgument("a media request id used twice");
      if (stopping || up.size() >= kMaxFromAbove) {
        lock.unlock();
        refuseUp(m->request, 503, "too many recorded media requests open from above");
        return Status::ok();
      }
      if (served) {
        served->ask = *m;
        served->credit = m->window;
      }
      up.emplace(m->request, Up{std::nullopt, served});
    }
    if (remote) return passDown(std::move(*m));
    asio::post(pool, [s = shared_from_this(), served] { s->serveHere(served); });
    return Status::ok();
  }

  Status passDown(MediaOpen m) {
    auto [child, rest] = firstHop(m.camera);
    const uint32_t parentRequest = m.request;
    {
      MutexLock lock(mutex);
      m.request = newRequest(child);
      down.emplace(std::make_pair(child, m.request), Down{nullptr, parentRequest, m.window, 0});
      up[parentRequest].down = std::make_pair(child, m.request);
    }
    m.camera = rest;
    m.via.push_back(context.selfId);
    if (m.via.size() > kMaxViaNodes || !context.bus->send(Peer::child(child), Kind::kMediaOpen, 0, encode(m))) {
      {
        MutexLock lock(mutex);
        down.erase({child, m.request});
        up.erase(parentRequest);
      }
      refuseUp(parentRequest, 503, fmt::format("node \"{}\" is not connected", child));
    }
    return Status::ok();
  }

  static Status windowTooLarge() { return Status::invalidArgument("media credit past the largest window"); }

  Status onCredit(const Frame& frame) {
    auto m = decodeMediaCredit(frame.payload);
    if (!m) return m.status();
    std::optional<std::pair<std::string, uint32_t>> pass;
    {
      MutexLock lock(mutex);
      auto u = up.find(m->request);
      if (u == up.end()) return Status::ok();  // ended meanwhile
      if (u->second.down) {
        pass = u->second.down;
        if (auto d = down.find(*pass); d != down.end()) {
          if (d->second.credit - d->second.received + m->bytes > kMaxMediaWindow) return windowTooLarge();
          d->second.credit += m->bytes;
        }
      } else if (const std::shared_ptr<Served>& s = u->second.served) {
        // Credited frames bypass the send queue's bound: the window is it.
        if (s->credit - s->sent + m->bytes > kMaxMediaWindow) return windowTooLarge();
        s->credit += m->bytes;
        if (s->answered && !s->pumping && !s->over) {
          s->pumping = true;
          asio::post(pool, [self = shared_from_this(), s] { self->pump(s); });
        }
      }
    }
    if (pass) context.bus->send(Peer::child(pass->first), Kind::kMediaCredit, 0, encode(MediaCredit{pass->second, m->bytes}));
    return Status::ok();
  }

  Status onCancel(const Frame& frame) {
    auto m = decodeMediaCancel(frame.payload);
    if (!m) return m.status();
    endUp(m->request);
    return Status::ok();
  }
  // A request from the parent ends here: cancelled above, or the link went.
  void endUp(uint32_t request) {
    std::optional<std::pair<std::string, uint32_t>> pass;
    {
      MutexLock lock(mutex);
      auto u = up.find(request);
      if (u == up.end()) return;
      pass = u->second.down;
      if (u->second.served) u->second.served->over = true;
      if (pass) down.erase(*pass);
      up.erase(u);
    }
    if (pass) context.bus->send(Peer::child(pass->first), Kind::kMediaCancel, 0, encode(MediaCancel{pass->second}));
  }

  // ---- served here
  // Ends a served request's place (its last part went up, or it was cut).
  void finish(Served& s) REQUIRES(mutex) {
    s.over = true;
    s.pumping = false;
    auto u = up.find(s.ask.request);
    if (u != up.end() && u->second.served.get() == &s) up.erase(u);
  }

  // On the pool: the owner's decision, then its own route's answer.
  void serveHere(const std::shared_ptr<Served>& s) {
    const MediaOpen& m = s->ask;
    MediaRoutes r;
    {
      MutexLock lock(mutex);
      if (s->over) return;
      r = routes;
    }
    const std::optional<access::ShareRight> right = r.rightFor ? r.rightFor(m.path) : std::nullopt;
    if (!right) return refuseServed(*s, 404, fmt::format("no recorded media at \"{}\"", m.path));
    const AskFromAbove ask{m.camera, m.tier, *right, m.user, m.via, signedAs(m.path, m.query, m.range, m.ifRange),
                           &m.proof};
    // A masked camera's pictures go up masked or not at all (recordings
    // hold unmasked pictures, even of a camera whose masks apply to all:
    // what came before them is not): the route masks them, or it is refused.
    const bool unmasked = !r.masksKept || !r.masksKept(m.camera, m.path);
    if (Status d = decideAtSource(context, ask, unmasked && recordingsMasked(context, m.camera)); !d.isOk()) {
      return refuseServed(*s, 403, d.message());
    }
    // The route writes its own rows (one per playback or export), naming
    // the remote user and carrying remoteDetail().
    MediaAnswer answer = r.serve(MediaAsk{m.camera, m.path, m.query, m.range, m.ifRange, remoteUser(ask),
                                          remoteDetail(context, ask).dump()});
    {
      MutexLock lock(mutex);
      if (s->over) return;
      s->right = *right;
      s->answer = std::move(answer);
      s->answered = true;  // from now on a change of the shares rechecks it (recheck())
      s->pumping = true;   // credits wait for the head
    }
    // A share revoked while the route built its answer was not rechecked
    // (it was not answered yet): ask again before anything goes up.
    if (Status allowed = shareAllows(context, ask); !allowed.isOk()) {
      log::info("link.media_cut", {{"camera", m.camera}, {"path", m.path}, {"reason", allowed.message()}});
      return refuseServed(*s, 403, "revoked: " + allowed.message());
    }
    MutexLock lock(mutex);
    if (s->over) return;
    s->checked = SteadyClock::now();
    replyUp(m.request, encodeMediaHead(s->answer.head));
    asio::post(pool, [self = shared_from_this(), s] { self->pump(s); });
  }
  void refuseServed(Served& s, int status, const std::string& reason) {
    {
      MutexLock lock(mutex);
      if (s.over) return;
      finish(s);
    }
    refuseUp(s.ask.request, status, reason);
  }

  // On the pool: the body, as far as the credit goes. Parts are sent with
  // the mutex held, so a cut's end never overtakes a body part.
  void pump(const std::shared_ptr<Served>& s) {
    const uint32_t request = s->ask.request;
    for (;;) {
      uint64_t offset = 0;
      size_t n = 0;
      bool recheck = false;
      {
        MutexLock lock(mutex);
        if (s->over) return;
        if (s->sent == s->answer.head.length) {
          replyUp(request, encodeMediaEnd(""));
          return finish(*s);
        }
        const uint64_t room = s->credit - s->sent;
        if (room == 0) {
          s->pumping = false;  // the next credit starts it again
          return;
        }
        offset = s->sent;
        n = static_cast<size_t>(std::min<uint64_t>({kMediaChunkBytes, room, s->answer.head.length - s->sent}));
        const auto now = SteadyClock::now();
        recheck = now - s->checked >= kRecheck;
        if (recheck) s->checked = now;
      }
      if (recheck) {
        const MediaOpen& m = s->ask;
        if (Status allowed = shareAllows(context, {m.camera, m.tier, s->right, m.user, m.via}); !allowed.isOk()) {
          return cut(*s, "revoked: " + allowed.message());
        }
      }
      auto bytes = s->answer.read(offset, n);
      if (!bytes || bytes->size() != n) {
        log::warn("link.media_read_failed", {{"camera", s->ask.camera}, {"path", s->ask.path},
                                             {"status", bytes ? Status::dataLoss("a short read") : bytes.status()}});
        return cut(*s, "the owner could not read the recording");
      }
      MutexLock lock(mutex);
      if (s->over) return;
      replyUp(request, encodeMediaBody(*bytes));
      s->sent += n;
    }
  }
  void cut(Served& s, const std::string& reason) {
    MutexLock lock(mutex);
    if (s.over) return;
    replyUp(s.ask.request, encodeMediaEnd(reason));
    finish(s);
    log::info("link.media_cut", {{"camera", s.ask.camera}, {"path", s.ask.path}, {"reason", reason}});
  }

  // On the pool: the shares of `camera` changed; bodies they no longer allow are cut now.
  void recheck(const std::string& camera) {
    std::vector<std::shared_ptr<Served>> served;
    {
      MutexLock lock(mutex);
      for (const auto& [id, u] : up) {
        if (u.served && u.served->answered && !u.served->over && u.served->ask.camera == camera) {
          served.push_back(u.served);
        }
      }
    }
    for (const auto& s : served) {
      const MediaOpen& m = s->ask;
      access::ShareRight right = access::ShareRight::kPlayback;
      {
        MutexLock lock(mutex);
        right = s->right;
      }
      if (Status allowed = shareAllows(context, {m.camera, m.tier, right, m.user, m.via}); !allowed.isOk()) {
        cut(*s, "revoked: " + allowed.message());
      }
    }
  }

  // ---- links: whatever rode on the previous connection is gone.
  void onLink(const Peer& peer) {
    if (peer.parent) {
      std::vector<uint32_t> ids;
      {
        MutexLock lock(mutex);
        for (const auto& [id, u] : up) ids.push_back(id);
      }
      for (uint32_t id : ids) endUp(id);
      return;
    }
    const std::string reason = fmt::format("the link to node \"{}\" was lost", peer.childId);
    std::vector<Down> lost;
    {
      MutexLock lock(mutex);
      for (auto it = down.begin(); it != down.end();) {
        if (it->first.first != peer.childId) {
          ++it;
          continue;
        }
        if (it->second.fromParent) up.erase(*it->second.fromParent);
        lost.push_back(std::move(it->second));
        it = down.erase(it);
      }
    }
    for (const Down& d : lost) {
      if (d.sink) d.sink->cut(reason);
      if (d.fromParent) replyUp(*d.fromParent, encodeMediaEnd(reason));
    }
  }
};

RemoteMedia::RemoteMedia(LooksContext context)
    : state_(std::make_shared<State>(withSourceState(std::move(context)))) {
  Bus& bus = *state_->context.bus;
  std::weak_ptr<State> weak = state_;
  auto with = [weak](auto fn) { return whileAlive(weak, fn); };
  bus.handleFromParent(Kind::kMediaOpen, with([](State& s, const Peer&, Frame f) { return s.onOpen(f); }));
  bus.handleFromParent(Kind::kMediaCredit, with([](State& s, const Peer&, Frame f) { return s.onCredit(f); }));
  bus.handleFromParent(Kind::kMediaCancel, with([](State& s, const Peer&, Frame f) { return s.onCancel(f); }));
  bus.handleFromChildren(Kind::kMediaReply,
                         with([](State& s, const Peer& p, Frame f) { return s.onReply(p.childId, std::move(f)); }));
  bus.watchLinks([weak](const Peer& peer, bool) {
    if (auto s = weak.lock()) s->onLink(peer);
  });
  if (state_->context.shares) {
    state_->context.shares->addChangeListener([weak](const std::string& camera) {
      if (auto s = weak.lock()) asio::post(s->pool, [s, camera] { s->recheck(camera); });
    });
  }
}

RemoteMedia::~RemoteMedia() {
  std::vector<std::shared_ptr<Sink>> sinks;
  {
    MutexLock lock(state_->mutex);
    state_->stopping = true;
    for (auto& [id, u] : state_->up) {
      if (u.served) u.served->over = true;
    }
    for (auto& [key, d] : state_->down) {
      if (d.sink) sinks.push_back(d.sink);
    }
  }
  for (const auto& sink : sinks) sink->cut("the node is stopping");
  state_->pool.join();
}

void RemoteMedia::serve(MediaRoutes routes) {
  MutexLock lock(state_->mutex);
  state_->routes = std::move(routes);
}

Result<std::unique_ptr<RemoteMedia::Transfer>> RemoteMedia::fetch(const Ask& ask, std::chrono::milliseconds timeout) {
  if (!RemoteLooks::isRemote(ask.camera)) return Status::invalidArgument("not a remote camera");
  return state_->fetch(ask, timeout);
}

size_t RemoteMedia::openFromAbove() const {
  MutexLock lock(state_->mutex);
  return state_->up.size();
}

RemoteMedia::Transfer::~Transfer() { state_->cancel(sink_->child, sink_->request); }

Result<std::vector<uint8_t>> RemoteMedia::Transfer::read(size_t length, std::chrono::milliseconds timeout) {
  Sink& s = *sink_;
  std::vector<uint8_t> out;
  uint64_t grant = 0;
  {
    MutexLock lock(s.mutex);
    const bool ready =
        lock.waitFor(s.changed, timeout, [&]() REQUIRES(s.mutex) { return s.buffered >= length || s.ended; });
    if (s.ended && !s.ended->empty()) return Status::unavailable(*s.ended);
    if (!ready) {
      return Status::unavailable(fmt::format("the owner sent nothing for {} s",
                                             std::chrono::duration_cast<std::chrono::seconds>(timeout).count()));
    }
    const size_t n = static_cast<size_t>(std::min<uint64_t>(length, s.buffered));
    out.reserve(n);
    while (out.size() < n) {
      const std::vector<uint8_t>& front = s.chunks.front();
      const size_t take = std::min(front.size() - s.frontTaken, n - out.size());
      const auto from = front.begin() + static_cast<std::ptrdiff_t>(s.frontTaken);
      out.insert(out.end(), from, from + static_cast<std::ptrdiff_t>(take));
      s.frontTaken += take;
      if (s.frontTaken == front.size()) {
        s.chunks.pop_front();
        s.frontTaken = 0;
      }
    }
    s.buffered -= n;
    s.unGranted += n;
    if (!s.ended && s.unGranted >= kCreditStep) grant = std::exchange(s.unGranted, 0);
  }
  if (grant) state_->grant(s.child, s.request, grant);
  return out;
}

}  // namespace vigil::link

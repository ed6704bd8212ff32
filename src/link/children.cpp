#include "link/children.h"

#include <fmt/format.h>

#include <boost/asio/post.hpp>
#include <utility>

#include "base/log.h"

namespace vigil::link {

namespace {

constexpr uint16_t kClosePolicy = 1008;  // a refusal; the Refuse frame before it says why
// How long an ended link's peer has to read the Refuse before the socket is
// closed anyway (what is still queued dropped).
constexpr std::chrono::seconds kEndedGrace{5};
constexpr std::chrono::milliseconds kWatchInterval{500};

}  // namespace

// ---- Connection

ChildLinks::Connection::Connection(ChildLinks& links, std::shared_ptr<FrameChannel> channel,
                                   const ChannelBinding& binding, std::string address)
    : links_(links),
      channel_(std::move(channel)),
      session_(links.key_, [&links](const std::string& id) { return links.findChild(id); }, binding, links.clock_,
               links.options_),
      timer_(channel_->executor()),
      address_(std::move(address)) {
  if (links_.bus_) {
    session_.setMessageHandler([this](Frame frame) { return links_.bus_->deliver(Peer::child(childId_), std::move(frame)); });
  }
}

void ChildLinks::Connection::arm() {
  if (closed_) return;
  if (session_.ended()) {
    // No more ticks (an ended session's deadline stays in the past: the
    // timer would spin). A peer that does not read the Refuse, or never
    // lets the channel drain, must not hold the socket either.
    if (std::exchange(endTimerSet_, true)) return;
    timer_.expires_after(kEndedGrace);
    timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
      if (ec || self->closed_) return;
      self->closing_ = true;
      self->channel_->close(kClosePolicy, "link ended");
    });
    return;
  }
  timer_.expires_at(session_.deadline());
  timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
    if (ec || self->closed_) return;
    self->after(self->session_.tick());
    self->arm();
  });
}

void ChildLinks::Connection::onMessage(std::span<const uint8_t> message) {
  if (closed_) return;
  const bool wasReady = session_.ready();
  Status s = session_.receive(message);
  if (s.isOk() && !wasReady && session_.ready()) {
    childId_ = session_.childId();
    {
      std::lock_guard lock(mutex_);
      since_ = links_.clock_.now();
    }
    if (!links_.connected(shared_from_this())) {
      s = session_.end(RefuseCode::kRemoved, removedReason(childId_));
    } else {
      log::info("link.child_connected", {{"child", childId_}, {"address", address_}});
      arm();  // from the handshake deadline to the keepalive's
    }
  }
  after(s);
}

void ChildLinks::Connection::after(const Status& s) {
  if (!s.isOk() && reason_.isOk()) reason_ = s;
  {
    std::lock_guard lock(mutex_);
    traffic_ = session_.traffic();
  }
  pump();
}

// One frame at a time, so the session's queue (control before data)
// decides the order, not the channel's FIFO.
void ChildLinks::Connection::pump() {
  if (closing_ || closed_ || !channel_->idle()) return;
  if (FrameBytes frame = session_.nextFrame()) {
    channel_->send(std::move(frame));
    std::lock_guard lock(mutex_);
    traffic_.bytesOut = session_.traffic().bytesOut;
  }
  if (session_.ended() && !session_.hasFrames()) {
    // The channel writes the frame just sent (the Refuse), then closes.
    closing_ = true;
    channel_->close(kClosePolicy, "link refused");
  }
}

void ChildLinks::Connection::end(RefuseCode code, std::string reason) {
  boost::asio::post(channel_->executor(), [self = shared_from_this(), code, reason = std::move(reason)]() mutable {
    if (self->closed_) return;
    self->after(self->session_.end(code, std::move(reason)));
  });
}

bool ChildLinks::Connection::post(Kind kind, uint32_t channel, std::vector<uint8_t> payload) {
  boost::asio::post(channel_->executor(), [self = shared_from_this(), kind, channel, payload = std::move(payload)] {
    if (self->closed_ || self->session_.ended()) return;
    if (!self->session_.send(kind, channel, payload) && isControl(kind)) {
      self->after(self->session_.end(RefuseCode::kTimeout, "the child does not read its link"));
      return;
    }
    self->pump();
  });
  return true;
}

void ChildLinks::Connection::onClosed() {
  if (std::exchange(closed_, true)) return;
  timer_.cancel();
  Status reason = reason_;
  if (reason.isOk()) reason = Status::unavailable("the child closed the connection");
  links_.closed(*this, reason);
}

ChildLinkStatus ChildLinks::Connection::snapshot() const {
  std::lock_guard lock(mutex_);
  ChildLinkStatus s;
  s.address = address_;
  s.connectedSince = since_;
  s.traffic = traffic_;
  return s;
}

// ---- ChildLinks

ChildLinks::ChildLinks(LinkStore& store, const access::NodeKey& key, const Clock& clock, SessionOptions options,
                       Bus* bus)
    : store_(store), key_(key), clock_(clock), options_(options), bus_(bus) {}

ChildLinks::~ChildLinks() { stop(); }

Status ChildLinks::start() {
  VIGIL_RETURN_IF_ERROR(refresh());
  watcher_ = std::thread([this] { watch(); });
  return Status::ok();
}

void ChildLinks::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (watcher_.joinable()) watcher_.join();
}

void ChildLinks::watch() {
  auto seen = store_.changeCount();
  std::unique_lock lock(mutex_);
  while (!wake_.wait_for(lock, kWatchInterval, [this] { return stopping_; })) {
    lock.unlock();
    auto now = store_.changeCount();
    if (now && (!seen || *now != *seen)) {
      if (Status s = refresh(); !s.isOk()) log::warn("link.refresh_failed", {{"reason", s.message()}});
      seen = now;
    }
    lock.lock();
  }
}

std::shared_ptr<ChildLinks::Connection> ChildLinks::accept(std::shared_ptr<FrameChannel> channel,
                                                           const ChannelBinding& binding, std::string address) {
  auto connection = std::make_shared<Connection>(*this, std::move(channel), binding, std::move(address));
  connection->arm();  // the handshake's deadline
  return connection;
}

Result<PinnedChild> ChildLinks::findChild(const std::string& id) const {
  std::lock_guard lock(mutex_);
  auto it = children_.find(id);
  if (it == children_.end()) return Status::notFound(id);
  return PinnedChild{it->second.record.key, it->second.record.removedAt.has_value()};
}

bool ChildLinks::connected(const std::shared_ptr<Connection>& connection) {
  std::shared_ptr<Connection> older;
  {
    std::lock_guard lock(mutex_);
    auto it = children_.find(connection->childId());
    // The key may have changed since the Hello: removed and enrolled
    // again with another key meanwhile.
    if (it == children_.end() || it->second.record.removedAt ||
        it->second.record.key != connection->session_.childKey()) {
      return false;
    }
    older = it->second.live.lock();
    it->second.live = connection;
    it->second.liveKey = connection->session_.childKey();
  }
  if (older) older->end(RefuseCode::kReplaced, "a newer connection of this child took over");
  if (bus_) bus_->attach(Peer::child(connection->childId()), connection);
  return true;
}

void ChildLinks::closed(Connection& connection, const Status& reason) {
  if (connection.childId().empty()) {
    log::info("link.handshake_failed", {{"address", connection.address_}, {"reason", reason.message()}});
    return;
  }
  log::info("link.child_disconnected", {{"child", connection.childId()}, {"reason", reason.message()}});
  if (bus_) bus_->detach(Peer::child(connection.childId()), &connection);
  std::lock_guard lock(mutex_);
  auto it = children_.find(connection.childId());
  if (it == children_.end()) return;
  Child& child = it->second;
  if (auto live = child.live.lock(); live && live.get() != &connection) return;  // a newer one took over
  child.live.reset();
  child.last = connection.snapshot();
  child.last.reason = reason.message();
}

Status ChildLinks::refresh() {
  auto records = store_.listChildren();
  if (!records) return records.status();
  std::vector<std::shared_ptr<Connection>> removed;
  {
    std::lock_guard lock(mutex_);
    for (ChildRecord& r : *records) {
      Child& child = children_[r.id];
      if (auto live = child.live.lock(); live && (r.removedAt || r.key != child.liveKey)) {
        removed.push_back(std::move(live));
        child.live.reset();
      }
      child.record = std::move(r);
    }
  }
  for (auto& c : removed) c->end(RefuseCode::kRemoved, removedReason(c->childId()));
  return Status::ok();
}

std::vector<ChildLinkStatus> ChildLinks::status() const {
  std::vector<ChildLinkStatus> out;
  std::lock_guard lock(mutex_);
  for (const auto& [id, child] : children_) {
    if (child.record.removedAt) continue;
    ChildLinkStatus s;
    if (auto live = child.live.lock()) {
      s = live->snapshot();
      s.state = "connected";
    } else {
      s = child.last;
      s.state = "offline";
      s.connectedSince.reset();
      if (s.reason.empty()) s.reason = "not connected since this node started";
    }
    s.id = id;
    s.name = child.record.name;
    s.tier = child.record.tier;
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace vigil::link

#pragma once
// The node's links as one message bus for what rides on them (the
// catalog, looks, the outbox): each part registers, per message kind, a
// handler for what comes from the parent or from children, and sends to
// the parent or to a child by id. The links (ParentLink, ChildLinks)
// attach each connection once its handshake is done and detach it when
// it ends; a message of a kind nobody handles from that direction ends
// the link as a protocol error (a child cannot send what only a parent
// may, and the reverse).
//
// Threads: handlers and link watchers run on the loop of the connection
// concerned and must not block (post disk work elsewhere). Register them
// before the links start. send() from any thread: the frame is posted to
// the connection's loop.

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/mutex.h"
#include "base/status.h"
#include "link/wire.h"

namespace vigil::link {

// Where a message comes from or goes: this node's parent, or one child.
struct Peer {
  bool parent = false;
  std::string childId;  // when !parent
  static Peer theParent() { return Peer{true, {}}; }
  static Peer child(std::string id) { return Peer{false, std::move(id)}; }
  friend bool operator==(const Peer&, const Peer&) = default;
};

// One live connection as the bus sees it; the links implement it.
class Endpoint {
 public:
  virtual ~Endpoint() = default;
  // Thread-safe: queues the frame on the connection's loop. False when the
  // connection is known to have ended. There, a data frame that does not
  // fit its lane is dropped; a control frame that does not fit ends the
  // link (the peer stopped reading).
  virtual bool post(Kind kind, uint32_t channel, std::vector<uint8_t> payload) = 0;
};

class Bus {
 public:
  using Handler = std::function<Status(const Peer& from, Frame frame)>;
  using LinkWatcher = std::function<void(const Peer& peer, bool up)>;

  void handleFromParent(Kind kind, Handler handler);
  void handleFromChildren(Kind kind, Handler handler);
  // Told when a link comes up (attached) and goes down (detached). An up
  // without a down before it is a reconnection that replaced the previous
  // connection: whatever rode on that one is gone too.
  void watchLinks(LinkWatcher watcher);

  // False when that link is not up (the frame is dropped).
  bool send(const Peer& to, Kind kind, uint32_t channel, std::vector<uint8_t> payload);
  bool connected(const Peer& peer) const;

  // For the links. attach() replaces the peer's endpoint (a reconnection);
  // detach() forgets it only if it is still `endpoint`.
  void attach(const Peer& peer, std::shared_ptr<Endpoint> endpoint);
  void detach(const Peer& peer, const Endpoint* endpoint);
  Status deliver(const Peer& from, Frame frame) const;

 private:
  std::shared_ptr<Endpoint> endpoint(const Peer& peer) const;
  void announce(const Peer& peer, bool up) const;

  // Written before the links start, read-only after.
  std::map<Kind, Handler> fromParent_;
  std::map<Kind, Handler> fromChildren_;
  std::vector<LinkWatcher> watchers_;

  mutable Mutex mutex_;
  std::shared_ptr<Endpoint> parent_ GUARDED_BY(mutex_);
  std::map<std::string, std::shared_ptr<Endpoint>, std::less<>> children_ GUARDED_BY(mutex_);
};

// A handler calling `fn(part, from, frame)` while `part` lives, and
// taking messages without a word once it is gone.
template <class Part, class Fn>
Bus::Handler whileAlive(std::weak_ptr<Part> part, Fn fn) {
  return [part = std::move(part), fn](const Peer& from, Frame frame) -> Status {
    auto alive = part.lock();
    if (!alive) return Status::ok();
    return fn(*alive, from, std::move(frame));
  };
}

}  // namespace vigil::link

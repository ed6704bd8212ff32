#pragma once
// The parent's side of its links (design/LINK.md): the enrolled children,
// each one's live connection if any, and its state for
// GET /api/v1/link. http hands each WebSocket of /api/v1/link/connect to
// accept(); the connection runs the handshake against the child's pinned
// key and then keeps the link alive.
//
// Threads: a connection lives on its WebSocket's loop. The table of
// children and their state is under one mutex (short locks, no disk). A
// watcher thread notices changes other processes make to link.db (a
// `vigil link remove` or `invite` from the CLI) within half a second.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "access/node_key.h"
#include "base/time.h"
#include "link/bus.h"
#include "link/link_store.h"
#include "link/session.h"

namespace vigil::link {

// What a connection needs of its transport: one WebSocket, as http's
// WebSocketChannel gives it. Thread-safe.
class FrameChannel {
 public:
  virtual ~FrameChannel() = default;
  virtual bool send(FrameBytes frame) = 0;
  virtual bool idle() const = 0;  // nothing queued or being written
  virtual void close(uint16_t code, std::string reason) = 0;
  virtual boost::asio::any_io_executor executor() const = 0;
};

struct ChildLinkStatus {
  std::string id;
  std::string name;
  Tier tier = Tier::kHousehold;
  std::string state;   // "connected" or "offline"
  std::string reason;  // why it is offline, when known
  std::string address;  // the client address of the live or last connection
  std::optional<WallTime> connectedSince;
  Traffic traffic;  // of the live connection, or the last one
};

class ChildLinks {
 public:
  // One connection (one WebSocket). Its members run on the channel's loop.
  class Connection;

  // `bus` (optional) gets each child's messages once its handshake is done.
  ChildLinks(LinkStore& store, const access::NodeKey& key, const Clock& clock, SessionOptions options = {},
             Bus* bus = nullptr);
  ~ChildLinks();  // stop()s
  ChildLinks(const ChildLinks&) = delete;
  ChildLinks& operator=(const ChildLinks&) = delete;

  // Reads the children and starts the watcher.
  Status start();
  void stop();

  // A would-be child connected; the Connection takes its messages
  // (onMessage, onDrained, onClosed). `binding`: the TLS channel binding.
  std::shared_ptr<Connection> accept(std::shared_ptr<FrameChannel> channel, const ChannelBinding& binding,
                                     std::string address);
  // Re-reads the children from link.db: after an enrolment, and by the
  // watcher. Ends the connections of children removed meanwhile, or
  // enrolled again with another key (removed, then re-invited).
  Status refresh();
  std::vector<ChildLinkStatus> status() const;

 private:
  struct Child {
    ChildRecord record;
    std::weak_ptr<Connection> live;
    PublicKey liveKey{};  // the key the live connection proved
    ChildLinkStatus last;  // the state of the last connection, once it closed
  };
  Result<PinnedChild> findChild(const std::string& id) const;
  // A connection finished its handshake: it becomes the child's live one
  // (ending an older one). False when the child was removed meanwhile,
  // or its pinned key is no longer the one the connection proved.
  bool connected(const std::shared_ptr<Connection>& connection);
  void closed(Connection& connection, const Status& reason);
  void watch();

  LinkStore& store_;
  const access::NodeKey& key_;
  const Clock& clock_;
  const SessionOptions options_;
  Bus* const bus_;
  mutable std::mutex mutex_;
  std::map<std::string, Child, std::less<>> children_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread watcher_;
};

class ChildLinks::Connection : public Endpoint, public std::enable_shared_from_this<Connection> {
 public:
  Connection(ChildLinks& links, std::shared_ptr<FrameChannel> channel, const ChannelBinding& binding,
             std::string address);
  // On the channel's loop, as its WebSocket calls them.
  void onMessage(std::span<const uint8_t> message);
  void onDrained() { pump(); }
  void onClosed();
  // Any thread: ends the link, telling the child why (posted to the loop).
  void end(RefuseCode code, std::string reason);
  // Any thread: an application message to the child (Endpoint). Dropped
  // on the loop if the connection has ended meanwhile.
  bool post(Kind kind, uint32_t channel, std::vector<uint8_t> payload) override;
  // Any thread.
  ChildLinkStatus snapshot() const;
  const std::string& childId() const { return childId_; }  // set once ready

 private:
  friend class ChildLinks;
  void arm();
  void pump();
  void after(const Status& s);  // after the session handled something

  ChildLinks& links_;
  const std::shared_ptr<FrameChannel> channel_;
  Session session_;
  boost::asio::steady_timer timer_;
  const std::string address_;
  std::string childId_;
  bool closing_ = false;  // the close frame is on its way
  bool endTimerSet_ = false;  // the session ended: the socket closes at the latest kEndedGrace later
  bool closed_ = false;
  Status reason_;
  mutable std::mutex mutex_;  // guards the copies snapshot() reads
  Traffic traffic_;
  std::optional<WallTime> since_;
};

}  // namespace vigil::link

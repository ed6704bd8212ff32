#pragma once
// The child's side of its link (design/LINK.md, "Connection"): dial the
// parent, upgrade to a WebSocket on /api/v1/link/connect, prove and check
// the pinned keys, keep the link alive, and when it ends for any reason
// dial again after a backoff with jitter (1 s doubling to 15 s). Lives on
// one event loop; status() is thread-safe.

#include <utility>  // before awaitable.hpp, which uses std::exchange

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <memory>
#include <mutex>
#include <random>

#include "access/node_key.h"
#include "camera/camera.h"
#include "link/bus.h"
#include "link/link_store.h"
#include "link/session.h"

namespace vigil::link {

struct ParentLinkOptions {
  camera::Backoff backoff{std::chrono::milliseconds(1000), std::chrono::milliseconds(15000)};
  std::chrono::milliseconds connectTimeout{10000};
  SessionOptions session;
};

struct ParentLinkStatus {
  std::string url;
  std::string id;      // the parent's node id
  std::string state;   // "connecting", "connected", "retrying" or "stopped"
  std::string reason;  // why the last connection ended or failed
  std::optional<WallTime> connectedSince;
  Traffic traffic;     // of the live connection, or the last one
  int attempts = 0;    // failed dials since the link was last up
};

class ParentLink : public std::enable_shared_from_this<ParentLink> {
 public:
  // `bus` (optional) gets the parent's messages while the link is up.
  ParentLink(boost::asio::io_context& loop, const access::NodeKey& key, ParentRecord parent, std::string selfId,
             const Clock& clock, ParentLinkOptions options = {}, Bus* bus = nullptr);
  ~ParentLink();
  // Thread-safe; start() once.
  void start();
  // Ends the link (telling the parent) and stops dialling; `onStopped`
  // runs on the loop once the connection is closed.
  void stop(std::function<void()> onStopped = nullptr);
  ParentLinkStatus status() const;

 private:
  struct Attempt;
  boost::asio::awaitable<void> run();
  boost::asio::awaitable<Status> connectOnce();
  void setState(std::string state, std::string reason = {});

  boost::asio::io_context& loop_;
  const access::NodeKey& key_;
  const ParentRecord parent_;
  const std::string selfId_;
  const Clock& clock_;
  const ParentLinkOptions options_;
  Bus* const bus_;
  std::unique_ptr<boost::asio::ssl::context> tls_;
  boost::asio::steady_timer backoffTimer_;
  std::mt19937 rng_;
  // On the loop:
  bool stopping_ = false;
  std::shared_ptr<Attempt> attempt_;
  std::function<void()> onStopped_;
  // For status():
  mutable std::mutex mutex_;
  ParentLinkStatus status_;
};

}  // namespace vigil::link

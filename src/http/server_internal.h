#pragma once
// What the server (server.cpp) and its connections (connection.cpp) share.
// Not part of the module's API.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "http/server.h"
#include "http/static_files.h"

namespace vigil::http::internal {

// One segment of a route's path pattern: literal text, or a {name}.
struct Segment {
  std::string text;  // the literal, or the parameter's name
  bool param = false;
};

struct Route {
  std::string method;
  std::string path;
  std::vector<Segment> segments;
  Access access;
  std::string cameraParam;       // AccessRule::cameraParam
  Handler handler;               // a plain route
  WebSocketHandler webSocket;    // a WebSocket route
};

class RequestCounter {
 public:
  void add(std::string_view method, std::string_view route, int status);
  std::vector<RequestCount> snapshot() const;

 private:
  mutable std::mutex mutex_;
  std::map<std::tuple<std::string, std::string, int>, uint64_t> counts_;
};

// What stop() needs of a connection, whatever its transport and protocol.
// Both are called on the connection's loop.
class ConnectionBase {
 public:
  virtual ~ConnectionBase() = default;
  // Finish what is in flight, then close.
  virtual void stopGracefully() = 0;
  // Close the socket now.
  virtual void abort() = 0;
  virtual boost::asio::any_io_executor loop() = 0;
};

// The open connections. Each registered connection calls closed() exactly
// once, when its socket closes (or passes to another connection object).
class ConnectionRegistry {
 public:
  // False once stopping: the caller closes the socket instead.
  bool add(const std::shared_ptr<ConnectionBase>& connection);
  void closed();
  // Marks stopping and returns the open connections (nullopt when stopped
  // before). `onAllClosed` is posted to `executor` when the last of them
  // closes (at once if none).
  std::optional<std::vector<std::shared_ptr<ConnectionBase>>> stop(boost::asio::any_io_executor executor,
                                                                   std::function<void()> onAllClosed);

 private:
  void notifyIfDone(std::unique_lock<std::mutex>& lock);
  std::mutex mutex_;
  std::vector<std::weak_ptr<ConnectionBase>> connections_;
  size_t open_ = 0;
  bool stopping_ = false;
  std::optional<boost::asio::any_io_executor> stopExecutor_;
  std::function<void()> onAllClosed_;
};

// Request handlers and BodySource reads run on the server's workers (they
// may wait on a database, hash a password, decode a picture or read a cold
// disk: the loops never do) and then post to a connection's loop; the
// server waits for them on destruction, so none posts to a loop that is
// gone.
class WorkInFlight {
 public:
  void begin() {
    std::lock_guard lock(mutex_);
    ++count_;
  }
  void end() {
    std::lock_guard lock(mutex_);
    if (--count_ == 0) done_.notify_all();
  }
  void waitForNone() {
    std::unique_lock lock(mutex_);
    done_.wait(lock, [&] { return count_ == 0; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable done_;
  int count_ = 0;
};

struct Shared {
  HttpServerOptions options;
  CameraGate cameras;
  // Declared before the routes, whose state may hold rights in it.
  std::unique_ptr<access::RightsWatch> watch;  // with options.accounts
  std::vector<Route> routes;
  std::optional<StaticFiles> staticFiles;
  mutable RequestCounter counter;
  mutable ConnectionRegistry registry;
  mutable WorkInFlight work;
};

// Labels of RequestCount::route besides route patterns.
inline constexpr std::string_view kStaticRoute = "(static)";
inline constexpr std::string_view kNoRoute = "(none)";

struct Outcome {
  Outcome(Response r, std::string_view label = kNoRoute, std::optional<WebSocketSession> session = std::nullopt)
      : response(std::move(r)), route(label), webSocket(std::move(session)) {}
  Response response;
  std::string_view route = kNoRoute;  // for the counters
  std::optional<WebSocketSession> webSocket;  // an accepted upgrade (response: 101)
  // The right a non-public route's answer was given under: a WebSocket or
  // a streamed body holds it (Shared::watch) while it lasts.
  std::optional<access::HeldRight> right;
};
Outcome dispatch(const Shared& shared, const Request& request);
// A handler's response as the request's Range and conditional headers
// make it (304, 206, 416), as dispatch() answers it; the owner of a camera
// answers a request from a node above the same way (remote_media).
Response applyPreconditions(const Request& req, Response res);

// Serves an accepted socket on its loop (TLS first when `tls` is set).
void serveConnection(const std::shared_ptr<const Shared>& shared, boost::asio::ip::tcp::socket socket,
                     boost::asio::ssl::context* tls);

}  // namespace vigil::http::internal

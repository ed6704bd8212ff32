#pragma once
// vigil's HTTP/1.1 server on Boost.Beast, on the node's event loops: keep-
// alive, limits on header and body size, timeouts for idle and slow
// clients, bodies streamed from a BodySource with Range and conditional
// requests, WebSocket routes, the web UI's static files, request counters
// and a graceful stop. Every route is declared with its access rule and
// checked in one place (dispatch), so no handler can forget it.
//
// A non-public route needs a session (cookie vigil_session or
// "Authorization: Bearer <token>") of a user whose role is high enough:
// 401 without one, 403 with too low a role. A route about one camera names
// its camera parameter, and the gate lets through only users who may see
// that camera (camera_gate.h: 404 otherwise, as for no such camera). A
// state-changing request authenticated by cookie must carry an Origin
// naming this server (CSRF). A request naming another host than ours is
// refused (DNS rebinding). What outlives its request (a streamed body, a
// WebSocket) is ended by the server when that right ends (logout,
// password change, expiry, grant removed: access/rights_watch.h).

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "access/accounts.h"
#include "access/rights_watch.h"
#include "base/config.h"
#include "base/event_loops.h"
#include "base/time.h"
#include "http/camera_gate.h"
#include "http/message.h"
#include "http/websocket.h"

namespace vigil::http {

// Who may call a route: anyone, any logged-in user, or users with at least
// the operator or admin role. kNode: no user session; another vigil node
// of the tier link, which the handler authenticates by its pinned key (or
// its invitation code) over TLS 1.3 (design/LINK.md).
enum class Access { kPublic, kUser, kOperator, kAdmin, kNode };
std::string_view accessName(Access access);

// A route's access rule: its least role and, for a route about one camera,
// the name of the {parameter} holding the camera's id
// ({Access::kUser, "id"}); the gate then checks the camera too.
struct AccessRule {
  AccessRule(Access r) : role(r) {}  // NOLINT: a bare Access is a rule
  AccessRule(Access r, std::string camera) : role(r), cameraParam(std::move(camera)) {}
  Access role;
  std::string cameraParam;  // empty: the route is about no one camera
};

struct RouteInfo {
  RouteInfo(std::string m, std::string p, Access a, bool ws = false, std::string camera = {})
      : method(std::move(m)), path(std::move(p)), access(a), webSocket(ws), cameraParam(std::move(camera)) {}
  std::string method;
  std::string path;  // the pattern, as registered
  Access access;
  bool webSocket;
  std::string cameraParam;  // AccessRule::cameraParam
};

using Handler = std::function<Response(const Request&)>;
// Runs after the access, camera and Origin checks, before the upgrade: a failed
// Status refuses it with the HTTP answer errorResponse() gives (NotFound:
// 404, PermissionDenied: 403...), a session accepts it.
using WebSocketHandler = std::function<Result<WebSocketSession>(const Request&)>;

// Requests answered, by method, route pattern and status. `route` is the
// pattern as registered, "(static)" for the web UI's files and "(none)"
// for requests no route took (404, 405, malformed); methods other than
// the common ones count as "OTHER", so the set stays small.
struct RequestCount {
  std::string method;
  std::string route;
  int status = 0;
  uint64_t count = 0;
};

struct HttpServerOptions {
  size_t maxHeaderBytes = 16 * 1024;
  size_t maxBodyBytes = 1 << 20;
  std::chrono::seconds requestTimeout{15};  // to receive one whole request
  std::chrono::seconds idleTimeout{60};     // between requests on a kept-alive connection
  // To write one chunk of a response; a client that reads slower is cut off.
  std::chrono::seconds writeTimeout{30};
  // How long stop() lets responses in flight finish.
  std::chrono::milliseconds shutdownGrace{3000};
  // An open WebSocket with no traffic from the client for half of this is
  // pinged; with none for all of it, it is closed.
  std::chrono::seconds webSocketIdleTimeout{30};
  size_t webSocketMaxQueuedBytes = 8 << 20;  // per channel; see WebSocketChannel::sendBinary
  size_t webSocketMaxMessageBytes = 64 * 1024;  // from the client
  // Checks sessions; without it, every non-public route answers 401. With
  // it, the server re-checks the sessions that hold a response open.
  access::Accounts* accounts = nullptr;
  // The node's cameras, for routes that name one.
  CameraGate::Exists cameraExists;
  // Host names a request may name in its Host header; besides them, IP
  // addresses and "localhost" (names no other site can rebind to our
  // address). Any other Host gets 421.
  std::vector<std::string> hosts;
};

class HttpServer {
 public:
  HttpServer(EventLoopPool& loops, HttpServerOptions options);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Serve HTTPS only, with these PEM files (certificate chain, private
  // key), and send HSTS. Call before listen(). InvalidArgument naming the
  // config key when a file cannot be used.
  Status enableTls(const std::string& certFile, const std::string& keyFile);
  // Register before listen(). `path` is a pattern of '/'-separated
  // segments: a literal segment matches itself, a `{name}` segment matches
  // any one non-empty segment and fills Request::params[name]
  // ("/api/v1/cameras/{id}/export.mp4"). When several routes match, the one
  // whose first differing segment is literal wins. A path some route
  // matches with another method answers 405, none 404. A malformed pattern
  // (a '{' not spanning a whole segment, a repeated name, a cameraParam
  // the pattern lacks) throws std::invalid_argument: it is a programming
  // error.
  void route(std::string method, std::string path, AccessRule access, Handler handler);
  // A WebSocket route: GET `path` (a pattern as for route()) with an
  // upgrade. Besides the access rule, an Origin header, when present, must
  // name this server (what a browser sends from a page of this site);
  // else 403. A GET without an upgrade answers 426.
  void webSocket(std::string path, AccessRule access, WebSocketHandler handler);
  // Serves the files under `webRoot` (the built web UI) to GET and HEAD
  // requests no route takes, without a session: index.html for "/" and for
  // extension-less paths outside /api/ (client-side routes), long-lived
  // caching for /assets/ (file names with content hashes), no-cache for
  // the rest. No request reaches a file outside the root (no "..", no
  // encoded '/', '\' or NUL, no dotfile, no symlink leading out): 404.
  // InvalidArgument when `webRoot` has no index.html. Call before listen().
  Status serveStaticFiles(const std::string& webRoot);
  bool servesStaticFiles() const;
  // The gate's camera rule, for routes that list cameras.
  const CameraGate& cameraGate() const;
  // The sessions that hold something open; null without accounts. Routes
  // that keep a right beyond one response (a live HLS look) hold it here.
  access::RightsWatch* rightsWatch() const;
  Status listen(const HostPort& address);
  uint16_t port() const;
  // Every registered route, so tests can check each one's access rule.
  std::vector<RouteInfo> routes() const;
  // Runs a request through the same checks and handlers as the network
  // path, without a socket (for tests).
  // A WebSocket route answers 426, or with an "upgrade: websocket" header
  // runs its handler and answers its refusal or 101 (the session is then
  // dropped); Range and conditional headers are applied as on the network.
  Response handle(const Request& request) const;
  std::vector<RequestCount> requestCounts() const;  // thread-safe
  // Thread-safe, returns at once. Stops accepting, closes idle
  // connections, lets responses in flight finish for at most
  // shutdownGrace (with "Connection: close"; WebSockets get a close frame),
  // then closes what is left and calls onStopped (on a loop of the pool)
  // once every connection is closed.
  void stop(std::function<void()> onStopped = nullptr);

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace vigil::http

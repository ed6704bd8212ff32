#pragma once
// vigil's HTTP/1.1 server on Boost.Beast, on the node's event loops: keep-
// alive, limits on header and body size, timeouts for idle and slow
// clients. Every route is declared with its access rule and checked in one
// place (dispatch), so no handler can forget it.
//
// A non-public route needs a session (cookie vigil_session or
// "Authorization: Bearer <token>") of a user whose role is high enough:
// 401 without one, 403 with too low a role. A state-changing request
// authenticated by cookie must carry an Origin naming this server (CSRF).

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "access/accounts.h"
#include "base/config.h"
#include "base/event_loops.h"

namespace vigil::http {

struct Request {
  std::string method;
  std::string path;   // without the query
  std::string query;  // after '?', raw
  // The {name} segments of the route's path pattern, by name, as sent
  // (not percent-decoded: handlers validate ids, which never need it).
  std::map<std::string, std::string> params;
  std::map<std::string, std::string> headers;  // names lower case
  std::string body;
  std::string remoteAddress;  // the client's IP address
  bool secure = false;        // came over TLS
  // Set by dispatch() for non-public routes.
  std::optional<access::Principal> principal;
  std::string sessionToken;  // the token that authenticated the request
};

struct Response {
  int status = 200;
  std::string contentType = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;

  static Response json(int status, std::string body);
  // {"error": message}, as every error of the API is.
  static Response error(int status, std::string_view message);
};

// Who may call a route: anyone, any logged-in user, or users with at least
// the operator or admin role.
enum class Access { kPublic, kUser, kOperator, kAdmin };
std::string_view accessName(Access access);

// The response for a failed Status: one table maps kinds to HTTP statuses;
// 5xx answers do not carry the internal message.
Response errorResponse(const Status& status);

struct RouteInfo {
  std::string method;
  std::string path;  // the pattern, as registered
  Access access;
};

using Handler = std::function<Response(const Request&)>;

struct HttpServerOptions {
  size_t maxHeaderBytes = 16 * 1024;
  size_t maxBodyBytes = 1 << 20;
  std::chrono::seconds requestTimeout{15};  // to receive one whole request
  std::chrono::seconds idleTimeout{60};     // between requests on a kept-alive connection
  // Checks sessions; without it, every non-public route answers 401.
  access::Accounts* accounts = nullptr;
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
  // (a '{' not spanning a whole segment, a repeated name) throws
  // std::invalid_argument: it is a programming error.
  void route(std::string method, std::string path, Access access, Handler handler);
  Status listen(const HostPort& address);
  uint16_t port() const;
  // Every registered route, so tests can check each one's access rule.
  std::vector<RouteInfo> routes() const;
  // Runs a request through the same checks and handlers as the network
  // path, without a socket (for tests).
  Response handle(const Request& request) const;
  void stop();  // thread-safe

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace vigil::http

#pragma once
// vigil's HTTP/1.1 server on Boost.Beast, on the node's event loops: keep-
// alive, limits on header and body size, timeouts for idle and slow
// clients. Every route is declared with its access rule and checked in one
// place (dispatch), so no handler can forget it.
//
// Today the only rules are "public" and "admin" (HTTP Basic against the
// node's admin password); accounts, sessions and roles replace the latter
// with the access module (issue 6).

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/config.h"
#include "base/event_loops.h"

namespace vigil::http {

struct Request {
  std::string method;
  std::string path;   // without the query
  std::string query;  // after '?', raw
  std::map<std::string, std::string> headers;  // names lower case
  std::string body;
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

enum class Access { kPublic, kAdmin };

using Handler = std::function<Response(const Request&)>;

struct HttpServerOptions {
  size_t maxHeaderBytes = 16 * 1024;
  size_t maxBodyBytes = 1 << 20;
  std::chrono::seconds requestTimeout{15};  // to receive one whole request
  std::chrono::seconds idleTimeout{60};     // between requests on a kept-alive connection
  std::string adminPassword;                // for Access::kAdmin (user "admin")
};

class HttpServer {
 public:
  HttpServer(EventLoopPool& loops, HttpServerOptions options);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Register before listen(). `path` is matched exactly.
  void route(std::string method, std::string path, Access access, Handler handler);
  Status listen(const HostPort& address);
  uint16_t port() const;
  void stop();  // thread-safe

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace vigil::http

#include "http/server.h"

#include <fmt/format.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <mutex>
#include <set>
#include <stdexcept>
#include <type_traits>
#include <nlohmann/json.hpp>

#include "base/log.h"
#include "base/net.h"

namespace vigil::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace ssl = asio::ssl;
using asio::ip::tcp;

Response Response::json(int status, std::string body) {
  Response r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

Response Response::error(int status, std::string_view message) {
  return json(status, nlohmann::json{{"error", message}}.dump());
}

std::string_view accessName(Access access) {
  switch (access) {
    case Access::kPublic: return "public";
    case Access::kUser: return "user";
    case Access::kOperator: return "operator";
    case Access::kAdmin: return "admin";
  }
  return "admin";
}

Response errorResponse(const Status& status) {
  switch (status.code()) {
    case StatusCode::kOk: return Response::json(200, "{}");
    case StatusCode::kInvalidArgument: return Response::error(400, status.message());
    case StatusCode::kUnauthenticated: return Response::error(401, status.message());
    case StatusCode::kPermissionDenied: return Response::error(403, status.message());
    case StatusCode::kNotFound: return Response::error(404, status.message());
    case StatusCode::kAlreadyExists:
    case StatusCode::kFailedPrecondition: return Response::error(409, status.message());
    case StatusCode::kResourceExhausted: return Response::error(429, status.message());
    case StatusCode::kUnimplemented: return Response::error(501, "not implemented");
    case StatusCode::kUnavailable: return Response::error(503, "unavailable");
    case StatusCode::kDeadlineExceeded: return Response::error(504, "timed out");
    case StatusCode::kDataLoss:
    case StatusCode::kInternal: break;
  }
  log::error("http.internal_error", {{"status", status}});
  return Response::error(500, "internal error");
}

namespace {

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
  Handler handler;
};

// "/a/b" -> {"a", "b"}; "/" -> {""}. Empty for a path not starting with '/'.
std::vector<std::string_view> splitPath(std::string_view path) {
  std::vector<std::string_view> out;
  if (path.empty() || path.front() != '/') return out;
  path.remove_prefix(1);
  while (true) {
    const size_t slash = path.find('/');
    out.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) return out;
    path.remove_prefix(slash + 1);
  }
}

std::vector<Segment> parsePattern(std::string_view pattern) {
  std::vector<std::string_view> parts = splitPath(pattern);
  if (parts.empty()) throw std::invalid_argument(fmt::format("route {}: must start with '/'", pattern));
  std::vector<Segment> out;
  std::set<std::string_view> names;
  for (std::string_view part : parts) {
    const bool param = part.size() > 2 && part.front() == '{' && part.back() == '}';
    if (param) part = part.substr(1, part.size() - 2);
    if (part.find_first_of("{}") != std::string_view::npos || (param && !names.insert(part).second)) {
      throw std::invalid_argument(fmt::format("route {}: malformed segment '{}'", pattern, part));
    }
    out.push_back({std::string(part), param});
  }
  return out;
}

// Whether `route` matches the segments of a path; fills `params` if so.
bool matches(const Route& route, const std::vector<std::string_view>& path,
             std::map<std::string, std::string>& params) {
  if (route.segments.size() != path.size()) return false;
  for (size_t i = 0; i < path.size(); ++i) {
    const Segment& s = route.segments[i];
    if (s.param ? path[i].empty() : s.text != path[i]) return false;
  }
  params.clear();
  for (size_t i = 0; i < path.size(); ++i) {
    if (route.segments[i].param) params[route.segments[i].text] = std::string(path[i]);
  }
  return true;
}

// Of two routes matching the same path, whether `a` is more specific than
// `b`: at the first segment where one is literal and the other not, the
// literal wins ("/cameras/new" over "/cameras/{id}").
bool moreSpecific(const Route& a, const Route& b) {
  for (size_t i = 0; i < a.segments.size() && i < b.segments.size(); ++i) {
    if (a.segments[i].param != b.segments[i].param) return !a.segments[i].param;
  }
  return false;
}

struct Shared {
  HttpServerOptions options;
  std::vector<Route> routes;
};

constexpr std::string_view kSessionCookie = "vigil_session";

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// The session token of a request and whether it came in a cookie. A
// Bearer header wins over a cookie.
std::pair<std::string, bool> sessionToken(const Request& req) {
  if (auto it = req.headers.find("authorization"); it != req.headers.end()) {
    std::string_view v = it->second;
    if (v.size() > 7 && v.substr(0, 7) == "Bearer ") return {std::string(trim(v.substr(7))), false};
  }
  if (auto it = req.headers.find("cookie"); it != req.headers.end()) {
    std::string_view rest = it->second;
    while (!rest.empty()) {
      const size_t semi = rest.find(';');
      std::string_view pair = trim(rest.substr(0, semi));
      rest = semi == std::string_view::npos ? std::string_view() : rest.substr(semi + 1);
      if (pair.size() > kSessionCookie.size() && pair.substr(0, kSessionCookie.size()) == kSessionCookie &&
          pair[kSessionCookie.size()] == '=') {
        return {std::string(pair.substr(kSessionCookie.size() + 1)), true};
      }
    }
  }
  return {"", false};
}

bool changesState(const Request& req) {
  return req.method != "GET" && req.method != "HEAD" && req.method != "OPTIONS";
}

// Origin must name this very server: a browser always sends it on a
// cross-site POST, and another site cannot forge it.
bool sameOrigin(const Request& req) {
  auto origin = req.headers.find("origin");
  auto host = req.headers.find("host");
  if (origin == req.headers.end() || host == req.headers.end()) return false;
  return origin->second == "http://" + host->second || origin->second == "https://" + host->second;
}

// The route a request goes to, or the error answering it: 404 when no
// route matches its path, 405 when some do but with another method.
const Route* findRoute(const Shared& shared, const Request& req, std::map<std::string, std::string>& params,
                       int& error) {
  const std::vector<std::string_view> path = splitPath(req.path);
  const Route* best = nullptr;
  bool pathKnown = false;
  std::map<std::string, std::string> candidate;
  for (const Route& r : shared.routes) {
    if (!matches(r, path, candidate)) continue;
    pathKnown = true;
    if (r.method != req.method || (best && !moreSpecific(r, *best))) continue;
    best = &r;
    params = std::move(candidate);
  }
  error = best ? 0 : pathKnown ? 405 : 404;
  return best;
}

// The one gate: authenticates and authorizes `req` for `route` (filling
// its principal) and checks Origin. The refusal, if any.
std::optional<Response> admit(const Shared& shared, const Route& route, Request& req) {
  bool byCookie = false;
  if (route.access != Access::kPublic) {
    auto [token, cookie] = sessionToken(req);
    byCookie = cookie;
    auto principal = shared.options.accounts && !token.empty()
                         ? shared.options.accounts->authenticate(token)
                         : Result<access::Principal>(Status::unauthenticated("authentication required"));
    if (!principal) {
      if (principal.status().code() != StatusCode::kUnauthenticated) return errorResponse(principal.status());
      return Response::error(401, "authentication required");
    }
    const access::Role needed = route.access == Access::kAdmin      ? access::Role::kAdmin
                                : route.access == Access::kOperator ? access::Role::kOperator
                                                                    : access::Role::kViewer;
    if (!principal->hasRole(needed)) return Response::error(403, "permission denied");
    req.principal = std::move(*principal);
    req.sessionToken = std::move(token);
  }
  // Public state-changing routes (login) are checked too when a browser
  // says where it comes from: a foreign page must not log a user in.
  if (changesState(req) && (byCookie || req.headers.contains("origin")) && !sameOrigin(req)) {
    return Response::error(403, "cross-site request refused (Origin does not match)");
  }
  return std::nullopt;
}

Response dispatch(const Shared& shared, const Request& incoming) {
  std::map<std::string, std::string> params;
  int error = 0;
  const Route* route = findRoute(shared, incoming, params, error);
  if (!route) return Response::error(error, error == 405 ? "method not allowed" : "not found");
  Request req = incoming;
  req.params = std::move(params);
  if (auto refused = admit(shared, *route, req)) return std::move(*refused);
  try {
    return route->handler(req);
  } catch (const std::exception& e) {
    log::error("http.handler_failed", {{"path", req.path}, {"error", e.what()}});
    return Response::error(500, "internal error");
  }
}

// What stop() needs of a connection, whatever its transport.
class ConnectionBase {
 public:
  virtual ~ConnectionBase() = default;
  virtual void close() = 0;
  virtual asio::any_io_executor executor() = 0;
};

// One HTTP connection on one loop. `Stream` is beast::tcp_stream (plain
// HTTP) or beast::ssl_stream<beast::tcp_stream> (HTTPS: the TLS handshake
// comes first, under the request timeout).
template <class Stream>
class Connection final : public ConnectionBase, public std::enable_shared_from_this<Connection<Stream>> {
 public:
  Connection(std::shared_ptr<const Shared> shared, Stream stream)
      : shared_(std::move(shared)), stream_(std::move(stream)) {}

  void start() {
    if constexpr (kTls) {
      lowest().expires_after(shared_->options.requestTimeout);
      stream_.async_handshake(ssl::stream_base::server, [self = this->shared_from_this()](beast::error_code ec) {
        if (ec) {
          self->close();  // not TLS, or a failed handshake: nothing to answer
          return;
        }
        self->readRequest();
      });
    } else {
      readRequest();
    }
  }
  void close() override {
    beast::error_code ec;
    lowest().socket().shutdown(tcp::socket::shutdown_both, ec);
    lowest().close();
  }
  asio::any_io_executor executor() override { return stream_.get_executor(); }

 private:
  static constexpr bool kTls = !std::is_same_v<Stream, beast::tcp_stream>;
  beast::tcp_stream& lowest() { return beast::get_lowest_layer(stream_); }

  void readRequest() {
    parser_.emplace();
    parser_->header_limit(static_cast<uint32_t>(shared_->options.maxHeaderBytes));
    parser_->body_limit(shared_->options.maxBodyBytes);
    // The first request of a connection gets the request timeout; later
    // ones may idle first. A slow sender is cut off either way.
    lowest().expires_after(requests_ == 0 ? shared_->options.requestTimeout : shared_->options.idleTimeout);
    bhttp::async_read(stream_, buffer_, *parser_,
                      [self = this->shared_from_this()](beast::error_code ec, size_t) { self->onRead(ec); });
  }

  void onRead(beast::error_code ec) {
    if (ec == bhttp::error::end_of_stream || ec == beast::error::timeout || ec == asio::error::operation_aborted ||
        ec == ssl::error::stream_truncated) {
      close();
      return;
    }
    if (ec) {
      const int status = ec == bhttp::error::header_limit ? 431 : ec == bhttp::error::body_limit ? 413 : 400;
      write(Response::error(status, ec == bhttp::error::header_limit ? "request header fields too large"
                                    : ec == bhttp::error::body_limit  ? "request body too large"
                                                                      : "malformed request"),
            false, 11);
      return;
    }
    ++requests_;
    const auto& msg = parser_->get();
    Request req;
    req.method = std::string(msg.method_string());
    const std::string_view target(msg.target().data(), msg.target().size());
    const size_t q = target.find('?');
    req.path = std::string(target.substr(0, q));
    if (q != std::string_view::npos) req.query = std::string(target.substr(q + 1));
    for (const auto& field : msg) {
      std::string name(field.name_string());
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      req.headers[name] = std::string(field.value());
    }
    req.body = msg.body();
    req.secure = kTls;
    beast::error_code remoteError;
    const auto remote = lowest().socket().remote_endpoint(remoteError);
    if (!remoteError) req.remoteAddress = remote.address().to_string();
    write(dispatch(*shared_, req), msg.keep_alive(), msg.version());
  }

  void write(Response r, bool keepAlive, unsigned version) {
    auto res = std::make_shared<bhttp::response<bhttp::string_body>>(static_cast<bhttp::status>(r.status), version);
    res->set(bhttp::field::server, "vigil");
    res->set(bhttp::field::content_type, r.contentType);
    res->set(bhttp::field::cache_control, "no-store");
    res->set("X-Content-Type-Options", "nosniff");
    // HTTPS tells browsers to use nothing else for a year.
    if constexpr (kTls) res->set(bhttp::field::strict_transport_security, "max-age=31536000");
    for (auto& [k, v] : r.headers) res->set(k, v);
    res->body() = std::move(r.body);
    res->keep_alive(keepAlive);
    res->prepare_payload();
    lowest().expires_after(shared_->options.requestTimeout);
    bhttp::async_write(stream_, *res, [self = this->shared_from_this(), res](beast::error_code ec, size_t) {
      if (ec || !res->keep_alive()) {
        self->close();
        return;
      }
      self->readRequest();
    });
  }

  std::shared_ptr<const Shared> shared_;
  Stream stream_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  size_t requests_ = 0;
};

}  // namespace

struct HttpServer::Impl {
  EventLoopPool& loops;
  std::shared_ptr<Shared> shared = std::make_shared<Shared>();
  tcp::acceptor acceptor;
  std::mutex mutex;
  std::vector<std::weak_ptr<ConnectionBase>> connections;
  bool stopped = false;
  std::unique_ptr<ssl::context> tls;  // set before listen(); null: plain HTTP

  explicit Impl(EventLoopPool& l) : loops(l), acceptor(l.loop(0)) {}

  void accept(const std::shared_ptr<Impl>& self) {
    acceptor.async_accept(loops.next(), [self](beast::error_code ec, tcp::socket socket) {
      if (ec == asio::error::operation_aborted) return;
      if (!ec) {
        std::lock_guard lock(self->mutex);
        if (self->stopped) return;
        std::erase_if(self->connections, [](const auto& w) { return w.expired(); });
        if (self->tls) {
          using TlsStream = beast::ssl_stream<beast::tcp_stream>;
          auto conn = std::make_shared<Connection<TlsStream>>(
              self->shared, TlsStream(beast::tcp_stream(std::move(socket)), *self->tls));
          self->connections.push_back(conn);
          asio::post(conn->executor(), [conn] { conn->start(); });
        } else {
          auto conn = std::make_shared<Connection<beast::tcp_stream>>(self->shared, beast::tcp_stream(std::move(socket)));
          self->connections.push_back(conn);
          asio::post(conn->executor(), [conn] { conn->start(); });
        }
      }
      self->accept(self);
    });
  }
};

HttpServer::HttpServer(EventLoopPool& loops, HttpServerOptions options) : impl_(std::make_shared<Impl>(loops)) {
  impl_->shared->options = std::move(options);
}

HttpServer::~HttpServer() { stop(); }

void HttpServer::route(std::string method, std::string path, Access access, Handler handler) {
  std::vector<Segment> segments = parsePattern(path);
  impl_->shared->routes.push_back({std::move(method), std::move(path), std::move(segments), access, std::move(handler)});
}

Status HttpServer::listen(const HostPort& address) {
  VIGIL_RETURN_IF_ERROR(listenOn(impl_->acceptor, address));
  impl_->accept(impl_);
  return Status::ok();
}

Status HttpServer::enableTls(const std::string& certFile, const std::string& keyFile) {
  auto context = std::make_unique<ssl::context>(ssl::context::tls_server);
  // TLS 1.2 and later only; OpenSSL's default cipher list for those.
  context->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                       ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
  beast::error_code ec;
  context->use_certificate_chain_file(certFile, ec);
  if (ec) return Status::invalidArgument(fmt::format("http.tls_cert: {}: {}", certFile, ec.message()));
  context->use_private_key_file(keyFile, ssl::context::pem, ec);
  if (ec) return Status::invalidArgument(fmt::format("http.tls_key: {}: {}", keyFile, ec.message()));
  impl_->tls = std::move(context);
  return Status::ok();
}

std::vector<RouteInfo> HttpServer::routes() const {
  std::vector<RouteInfo> out;
  for (const Route& r : impl_->shared->routes) out.push_back({r.method, r.path, r.access});
  return out;
}

Response HttpServer::handle(const Request& request) const { return dispatch(*impl_->shared, request); }

uint16_t HttpServer::port() const {
  beast::error_code ec;
  return impl_->acceptor.local_endpoint(ec).port();
}

void HttpServer::stop() {
  std::vector<std::shared_ptr<ConnectionBase>> open;
  {
    std::lock_guard lock(impl_->mutex);
    if (impl_->stopped) return;
    impl_->stopped = true;
    for (auto& w : impl_->connections) {
      if (auto c = w.lock()) open.push_back(std::move(c));
    }
  }
  asio::post(impl_->acceptor.get_executor(), [impl = impl_] {
    beast::error_code ec;
    impl->acceptor.close(ec);
  });
  for (auto& c : open) asio::post(c->executor(), [c] { c->close(); });
}

}  // namespace vigil::http

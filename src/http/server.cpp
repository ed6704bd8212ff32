#include "http/server.h"

#include <fmt/format.h>

#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <nlohmann/json.hpp>
#include <set>
#include <strings.h>
#include <stdexcept>

#include "base/encoding.h"
#include "base/log.h"
#include "base/net.h"
#include "http/headers.h"
#include "http/server_internal.h"

namespace vigil::http {

namespace asio = boost::asio;
namespace ssl = asio::ssl;
using asio::ip::tcp;
using internal::Outcome;
using internal::Route;
using internal::Segment;
using internal::Shared;

std::string_view accessName(Access access) {
  switch (access) {
    case Access::kPublic: return "public";
    case Access::kUser: return "user";
    case Access::kOperator: return "operator";
    case Access::kAdmin: return "admin";
    case Access::kNode: return "node";
  }
  return "admin";
}

namespace internal {

void RequestCounter::add(std::string_view method, std::string_view route, int status) {
  static const std::set<std::string_view> kKnown{"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"};
  const std::string_view label = kKnown.contains(method) ? method : "OTHER";
  std::lock_guard lock(mutex_);
  ++counts_[{std::string(label), std::string(route), status}];
}

std::vector<RequestCount> RequestCounter::snapshot() const {
  std::lock_guard lock(mutex_);
  std::vector<RequestCount> out;
  for (const auto& [key, count] : counts_) out.push_back({std::get<0>(key), std::get<1>(key), std::get<2>(key), count});
  return out;
}

bool ConnectionRegistry::add(const std::shared_ptr<ConnectionBase>& connection) {
  std::lock_guard lock(mutex_);
  if (stopping_) return false;
  std::erase_if(connections_, [](const auto& w) { return w.expired(); });
  connections_.push_back(connection);
  ++open_;
  return true;
}

void ConnectionRegistry::closed() {
  std::unique_lock lock(mutex_);
  --open_;
  notifyIfDone(lock);
}

std::optional<std::vector<std::shared_ptr<ConnectionBase>>> ConnectionRegistry::stop(
    asio::any_io_executor executor, std::function<void()> onAllClosed) {
  std::unique_lock lock(mutex_);
  if (stopping_) return std::nullopt;
  stopping_ = true;
  stopExecutor_ = std::move(executor);
  onAllClosed_ = std::move(onAllClosed);
  std::vector<std::shared_ptr<ConnectionBase>> open;
  for (auto& w : connections_) {
    if (auto c = w.lock()) open.push_back(std::move(c));
  }
  notifyIfDone(lock);
  return open;
}

void ConnectionRegistry::notifyIfDone(std::unique_lock<std::mutex>& lock) {
  if (!stopping_ || open_ != 0 || !stopExecutor_) return;
  auto done = std::move(onAllClosed_);
  auto executor = std::move(*stopExecutor_);
  stopExecutor_.reset();
  lock.unlock();
  if (done) asio::post(executor, std::move(done));
}

}  // namespace internal

namespace {

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

// A route's segments. The rule's camera parameter, when set, must be one
// of its {names}, on a route that needs a session.
std::vector<Segment> parsePattern(std::string_view pattern, const AccessRule& rule) {
  const std::string& cameraParam = rule.cameraParam;
  if (!cameraParam.empty() && (rule.role == Access::kPublic || rule.role == Access::kNode)) {
    throw std::invalid_argument(fmt::format("route {}: a public or node route cannot name a camera", pattern));
  }
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
  if (!cameraParam.empty() && !names.contains(std::string_view(cameraParam))) {
    throw std::invalid_argument(fmt::format("route {}: no {{{}}} segment names its camera", pattern, cameraParam));
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

// HEAD is answered by the GET route, without the body.
bool methodMatches(const Route& route, std::string_view method) {
  return route.method == method || (method == "HEAD" && route.method == "GET");
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
    if (!methodMatches(r, req.method) || (best && !moreSpecific(r, *best))) continue;
    best = &r;
    params = std::move(candidate);
  }
  error = best ? 0 : pathKnown ? 405 : 404;
  return best;
}

constexpr std::string_view kSessionCookie = "vigil_session";

// The session token of a request and whether it came in a cookie. A
// Bearer header wins over a cookie.
std::pair<std::string, bool> sessionToken(const Request& req) {
  if (auto it = req.headers.find("authorization"); it != req.headers.end()) {
    std::string_view v = it->second;
    // The scheme is case-insensitive (RFC 9110, 11.1).
    if (v.size() > 7 && ::strncasecmp(v.data(), "bearer ", 7) == 0) {
      return {std::string(trim(v.substr(7))), false};
    }
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
// cross-site POST and WebSocket, and another site cannot forge it.
bool sameOrigin(const Request& req) {
  auto origin = req.headers.find("origin");
  auto host = req.headers.find("host");
  if (origin == req.headers.end() || host == req.headers.end()) return false;
  return origin->second == "http://" + host->second || origin->second == "https://" + host->second;
}

bool headerHasToken(const Request& req, const std::string& name, std::string_view token) {
  auto it = req.headers.find(name);
  if (it == req.headers.end()) return false;
  std::string value = it->second;
  for (char& c : value) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::string_view rest = value;
  while (!rest.empty()) {
    const size_t comma = rest.find(',');
    if (trim(rest.substr(0, comma)) == token) return true;
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  return false;
}

bool wantsWebSocket(const Request& req) {
  return req.method == "GET" && headerHasToken(req, "upgrade", "websocket") &&
         headerHasToken(req, "connection", "upgrade");
}

access::Role neededRole(Access access) {
  return access == Access::kAdmin      ? access::Role::kAdmin
         : access == Access::kOperator ? access::Role::kOperator
                                       : access::Role::kViewer;
}

// An API token (access/accounts.h) reaches only its scope's routes, and
// only in an Authorization header: a browser never holds one.
bool apiTokenMayUse(access::TokenScope scope, const Route& route) {
  switch (scope) {
    case access::TokenScope::kAlarm:  // a smart button raises, and may read back what it raised
      return (route.method == "POST" && route.path == "/api/v1/alarms") ||
             (route.method == "GET" && route.path == "/api/v1/alarms/{id}");
    case access::TokenScope::kMetrics:
      return route.method == "GET" && route.path == "/metrics";
  }
  return false;
}

// The one gate: authenticates and authorizes `req` for `route` (filling
// its principal) and checks Origin. The refusal, if any.
std::optional<Response> admit(const Shared& shared, const Route& route, Request& req) {
  bool byCookie = false;
  if (route.access != Access::kPublic && route.access != Access::kNode) {
    auto [token, cookie] = sessionToken(req);
    byCookie = cookie;
    auto principal = shared.options.accounts && !token.empty()
                         ? shared.options.accounts->authenticate(token)
                         : Result<access::Principal>(Status::unauthenticated("authentication required"));
    if (!principal) {
      if (principal.status().code() != StatusCode::kUnauthenticated) return errorResponse(principal.status());
      return Response::error(401, "authentication required");
    }
    if (principal->scope && (byCookie || !apiTokenMayUse(*principal->scope, route))) {
      return Response::error(403, fmt::format("permission denied: an API token of scope {} may not use this route",
                                              access::tokenScopeName(*principal->scope)));
    }
    if (!principal->hasRole(neededRole(route.access))) return Response::error(403, "permission denied");
    req.principal = std::move(*principal);
    req.sessionToken = std::move(token);
  }
  // Public state-changing routes (login) are checked too when a browser
  // says where it comes from: a foreign page must not log a user in. A
  // WebSocket is a GET, but browsers let any page open one, cookie and all.
  const bool checkOrigin = route.webSocket ? req.headers.contains("origin")
                                           : changesState(req) && (byCookie || req.headers.contains("origin"));
  if (checkOrigin && !sameOrigin(req)) {
    return Response::error(403, "cross-site request refused (Origin does not match)");
  }
  if (!route.cameraParam.empty()) {
    if (Status s = shared.cameras.admit(*req.principal, req.params.at(route.cameraParam)); !s.isOk()) {
      return errorResponse(s);
    }
  }
  return std::nullopt;
}

// What a response to `req` holds open while it lasts (a WebSocket, a
// streamed body): the session, the route's role and its camera.
std::optional<access::HeldRight> heldRight(const Route& route, const Request& req) {
  if (route.access == Access::kPublic || route.access == Access::kNode) return std::nullopt;
  return access::HeldRight{req.sessionToken, neededRole(route.access),
                           route.cameraParam.empty() ? "" : req.params.at(route.cameraParam)};
}

// DNS rebinding: a page of another site whose name has been pointed at our
// address reaches us with that name in Host, so only our own names pass.
// An IP address or localhost (and *.localhost, which browsers resolve to
// loopback themselves) cannot be rebound by another site. Host must be
// exactly a name or address and an optional ":port" of digits; anything
// else is 400 (RFC 9112, 3.2), so no parser downstream (a proxy, a
// browser) can read another name out of it. The port is not compared. A
// request without Host passes here: the connection answers 400 to one of
// HTTP/1.1 (and to two Hosts), and HTTP/1.0 comes from no browser.
std::optional<Response> refuseForeignHost(const HttpServerOptions& options, const Request& req) {
  auto it = req.headers.find("host");
  if (it == req.headers.end()) return std::nullopt;
  const auto host = parseHostHeader(it->second);
  if (!host) return Response::error(400, "Host: malformed (a name or address, then :port)");
  if (host->ipAddress || host->name == "localhost" || host->name.ends_with(".localhost")) return std::nullopt;
  for (const std::string& name : options.hosts) {
    if (::strcasecmp(name.c_str(), host->name.c_str()) == 0) return std::nullopt;
  }
  return Response::error(421,
                         fmt::format("Host: \"{}\" is not a name of this server (add it to [http] hosts)", host->name));
}

Response runHandler(const Route& route, const Request& req) {
  try {
    return route.handler(req);
  } catch (const std::exception& e) {
    log::error("http.handler_failed", {{"path", req.path}, {"error", e.what()}});
    return Response::error(500, "internal error");
  }
}

}  // namespace

namespace internal {

// A body streamed from [first, first + length) of another.
class SliceBody final : public BodySource {
 public:
  SliceBody(std::shared_ptr<const BodySource> source, ByteRange range) : source_(std::move(source)), range_(range) {}
  uint64_t size() const override { return range_.length(); }
  Result<std::vector<uint8_t>> read(uint64_t offset, size_t length) const override {
    return source_->read(range_.first + offset, length);
  }

 private:
  std::shared_ptr<const BodySource> source_;
  ByteRange range_;
};

// RFC 9110 §13.2.2 (server_internal.h): If-None-Match (or else If-Modified-Since) may turn a
// 200 to GET/HEAD into a 304; then a GET's Range (if If-Range holds) into
// a 206 or 416.
Response applyPreconditions(const Request& req, Response res) {
  if (res.status != 200 || (req.method != "GET" && req.method != "HEAD")) return res;
  auto header = [&](const char* name) -> const std::string* {
    auto it = req.headers.find(name);
    return it == req.headers.end() ? nullptr : &it->second;
  };
  bool notModified = false;
  if (const std::string* inm = header("if-none-match")) {
    notModified = !res.etag.empty() && etagListMatches(*inm, res.etag);
  } else if (const std::string* ims = header("if-modified-since"); ims && res.lastModified) {
    auto since = parseHttpDate(*ims);
    notModified = since && res.lastModified->unixMicros() / 1'000'000 <= since->unixMicros() / 1'000'000;
  }
  if (notModified) {
    res.status = 304;
    res.body.clear();
    res.source.reset();
    return res;
  }
  const std::string* range = header("range");
  if (!res.source || req.method != "GET" || !range) return res;
  if (const std::string* ifRange = header("if-range"); ifRange && !ifRangeHolds(*ifRange, res.etag, res.lastModified)) {
    return res;
  }
  const uint64_t size = res.source->size();
  const RangeDecision decision = evaluateRange(*range, size);
  switch (decision.kind) {
    case RangeDecision::Kind::kWhole: return res;
    case RangeDecision::Kind::kUnsatisfiable: {
      Response refused = Response::error(416, "range not satisfiable");
      refused.headers.emplace_back("Content-Range", fmt::format("bytes */{}", size));
      return refused;
    }
    case RangeDecision::Kind::kPartial:
      res.status = 206;
      res.headers.emplace_back("Content-Range",
                               fmt::format("bytes {}-{}/{}", decision.range.first, decision.range.last, size));
      res.source = std::make_shared<SliceBody>(std::move(res.source), decision.range);
      return res;
  }
  return res;
}

Outcome dispatch(const Shared& shared, const Request& incoming) {
  if (auto refused = refuseForeignHost(shared.options, incoming)) return {std::move(*refused)};
  std::map<std::string, std::string> params;
  int error = 0;
  const Route* route = findRoute(shared, incoming, params, error);
  if (!route) {
    const bool read = incoming.method == "GET" || incoming.method == "HEAD";
    if (error == 404 && read && shared.staticFiles) {
      if (auto file = shared.staticFiles->serve(incoming.path)) {
        return {applyPreconditions(incoming, std::move(*file)), kStaticRoute};
      }
    }
    return {Response::error(error, error == 405 ? "method not allowed" : "not found")};
  }
  Request req = incoming;
  req.params = std::move(params);
  if (auto refused = admit(shared, *route, req)) return {std::move(*refused), route->path};
  if (route->webSocket) {
    if (!wantsWebSocket(req)) {
      Response r = Response::error(426, "WebSocket upgrade required");
      r.headers.emplace_back("Upgrade", "websocket");
      return {std::move(r), route->path};
    }
    Result<WebSocketSession> session = [&]() -> Result<WebSocketSession> {
      try {
        return route->webSocket(req);
      } catch (const std::exception& e) {
        log::error("http.handler_failed", {{"path", req.path}, {"error", e.what()}});
        return Status::internal(e.what());
      }
    }();
    if (!session) return {errorResponse(session.status()), route->path};
    Response switching;
    switching.status = 101;
    Outcome upgraded{std::move(switching), route->path, std::move(*session)};
    upgraded.right = heldRight(*route, req);
    return upgraded;
  }
  Outcome answered{applyPreconditions(req, runHandler(*route, req)), route->path};
  if (answered.response.source) answered.right = heldRight(*route, req);
  return answered;
}

}  // namespace internal

struct HttpServer::Impl {
  EventLoopPool& loops;
  std::shared_ptr<Shared> shared = std::make_shared<Shared>();
  tcp::acceptor acceptor;
  std::unique_ptr<ssl::context> tls;  // set before listen(); null: plain HTTP
  asio::steady_timer graceTimer;

  explicit Impl(EventLoopPool& l) : loops(l), acceptor(l.loop(0)), graceTimer(l.loop(0)) {}

  void accept(const std::shared_ptr<Impl>& self) {
    acceptor.async_accept(loops.next(), [self](boost::system::error_code ec, tcp::socket socket) {
      if (ec == asio::error::operation_aborted) return;
      if (!ec) {
        // Live video goes out as one small WebSocket message per frame:
        // with Nagle, a message's tail would wait for the client's ACK of
        // the previous one (a delayed ACK: up to 40 ms). Bulk bodies are
        // written in large chunks, so they lose nothing by it.
        boost::system::error_code ignored;
        socket.set_option(tcp::no_delay(true), ignored);
        internal::serveConnection(self->shared, std::move(socket), self->tls.get());
      }
      self->accept(self);
    });
  }
};

HttpServer::HttpServer(EventLoopPool& loops, HttpServerOptions options) : impl_(std::make_shared<Impl>(loops)) {
  Shared& shared = *impl_->shared;
  shared.options = std::move(options);
  shared.cameras = CameraGate(shared.options.cameraExists);
  if (shared.options.accounts) shared.watch = std::make_unique<access::RightsWatch>(*shared.options.accounts);
}

HttpServer::~HttpServer() {
  stop();
  impl_->shared->work.waitForNone();
  // Connections may keep the shared state a while: the accounts may not.
  if (impl_->shared->watch) impl_->shared->watch->stop();
}

void HttpServer::route(std::string method, std::string path, AccessRule access, Handler handler) {
  std::vector<Segment> segments = parsePattern(path, access);
  impl_->shared->routes.push_back({std::move(method), std::move(path), std::move(segments), access.role,
                                   std::move(access.cameraParam), std::move(handler), {}});
}

void HttpServer::webSocket(std::string path, AccessRule access, WebSocketHandler handler) {
  std::vector<Segment> segments = parsePattern(path, access);
  impl_->shared->routes.push_back({"GET", std::move(path), std::move(segments), access.role,
                                   std::move(access.cameraParam), {}, std::move(handler)});
}

const CameraGate& HttpServer::cameraGate() const { return impl_->shared->cameras; }

access::RightsWatch* HttpServer::rightsWatch() const { return impl_->shared->watch.get(); }

Status HttpServer::serveStaticFiles(const std::string& webRoot) {
  auto files = StaticFiles::open(webRoot);
  if (!files) return files.status();
  impl_->shared->staticFiles = std::move(*files);
  return Status::ok();
}

bool HttpServer::servesStaticFiles() const { return impl_->shared->staticFiles.has_value(); }

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
  boost::system::error_code ec;
  context->use_certificate_chain_file(certFile, ec);
  if (ec) return Status::invalidArgument(fmt::format("http.tls_cert: {}: {}", certFile, ec.message()));
  context->use_private_key_file(keyFile, ssl::context::pem, ec);
  if (ec) return Status::invalidArgument(fmt::format("http.tls_key: {}: {}", keyFile, ec.message()));
  impl_->tls = std::move(context);
  return Status::ok();
}

std::vector<RouteInfo> HttpServer::routes() const {
  std::vector<RouteInfo> out;
  for (const Route& r : impl_->shared->routes) {
    out.push_back({r.method, r.path, r.access, bool(r.webSocket), r.cameraParam});
  }
  return out;
}

Response HttpServer::handle(const Request& request) const {
  return internal::dispatch(*impl_->shared, request).response;
}

std::vector<RequestCount> HttpServer::requestCounts() const { return impl_->shared->counter.snapshot(); }

uint16_t HttpServer::port() const {
  boost::system::error_code ec;
  return impl_->acceptor.local_endpoint(ec).port();
}

void HttpServer::stop(std::function<void()> onStopped) {
  std::shared_ptr<Impl> impl = impl_;
  auto loop0 = impl->acceptor.get_executor();
  // Weak: the registry lives in `impl`, which must not own itself.
  auto open = impl->shared->registry.stop(loop0, [weak = std::weak_ptr<Impl>(impl), onStopped = std::move(onStopped)] {
    if (auto alive = weak.lock()) alive->graceTimer.cancel();
    if (onStopped) onStopped();
  });
  if (!open) return;  // stopped before
  asio::post(loop0, [impl, open = *open] {
    boost::system::error_code ec;
    impl->acceptor.close(ec);
    // What has not finished within the grace period is cut off.
    impl->graceTimer.expires_after(impl->shared->options.shutdownGrace);
    impl->graceTimer.async_wait([open](boost::system::error_code waitError) {
      if (waitError) return;
      for (const auto& c : open) asio::post(c->loop(), [c] { c->abort(); });
    });
  });
  for (const auto& c : *open) asio::post(c->loop(), [c] { c->stopGracefully(); });
}

}  // namespace vigil::http

#include "http/server.h"

#include <fmt/format.h>
#include <openssl/crypto.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <mutex>
#include <nlohmann/json.hpp>

#include "base/encoding.h"
#include "base/log.h"

namespace vigil::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
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

namespace {

struct Route {
  std::string method;
  std::string path;
  Access access;
  Handler handler;
};

struct Shared {
  HttpServerOptions options;
  std::vector<Route> routes;
};

// "Basic base64(admin:password)", compared in constant time.
bool isAdmin(const Request& req, const std::string& password) {
  auto it = req.headers.find("authorization");
  if (password.empty() || it == req.headers.end()) return false;
  const std::string_view value = it->second;
  if (value.size() < 6 || value.substr(0, 6) != "Basic ") return false;
  auto decoded = base64Decode(value.substr(6));
  const std::string expected = "admin:" + password;
  return decoded && decoded->size() == expected.size() &&
         CRYPTO_memcmp(decoded->data(), expected.data(), expected.size()) == 0;
}

Response dispatch(const Shared& shared, const Request& req) {
  bool pathKnown = false;
  for (const Route& r : shared.routes) {
    if (r.path != req.path) continue;
    pathKnown = true;
    if (r.method != req.method) continue;
    if (r.access == Access::kAdmin && !isAdmin(req, shared.options.adminPassword)) {
      Response denied = Response::error(401, "authentication required");
      denied.headers.emplace_back("WWW-Authenticate", "Basic realm=\"vigil\", charset=\"UTF-8\"");
      return denied;
    }
    try {
      return r.handler(req);
    } catch (const std::exception& e) {
      log::error("http.handler_failed", {{"path", req.path}, {"error", e.what()}});
      return Response::error(500, "internal error");
    }
  }
  return pathKnown ? Response::error(405, "method not allowed") : Response::error(404, "not found");
}

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(std::shared_ptr<const Shared> shared, tcp::socket socket)
      : shared_(std::move(shared)), stream_(std::move(socket)) {}

  void start() { readRequest(); }
  void close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.close();
  }
  asio::any_io_executor executor() { return stream_.get_executor(); }

 private:
  void readRequest() {
    parser_.emplace();
    parser_->header_limit(static_cast<uint32_t>(shared_->options.maxHeaderBytes));
    parser_->body_limit(shared_->options.maxBodyBytes);
    // The first request of a connection gets the request timeout; later
    // ones may idle first. A slow sender is cut off either way.
    stream_.expires_after(requests_ == 0 ? shared_->options.requestTimeout : shared_->options.idleTimeout);
    bhttp::async_read(stream_, buffer_, *parser_,
                      [self = shared_from_this()](beast::error_code ec, size_t) { self->onRead(ec); });
  }

  void onRead(beast::error_code ec) {
    if (ec == bhttp::error::end_of_stream || ec == beast::error::timeout || ec == asio::error::operation_aborted) {
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
    write(dispatch(*shared_, req), msg.keep_alive(), msg.version());
  }

  void write(Response r, bool keepAlive, unsigned version) {
    auto res = std::make_shared<bhttp::response<bhttp::string_body>>(static_cast<bhttp::status>(r.status), version);
    res->set(bhttp::field::server, "vigil");
    res->set(bhttp::field::content_type, r.contentType);
    res->set(bhttp::field::cache_control, "no-store");
    res->set("X-Content-Type-Options", "nosniff");
    for (auto& [k, v] : r.headers) res->set(k, v);
    res->body() = std::move(r.body);
    res->keep_alive(keepAlive);
    res->prepare_payload();
    stream_.expires_after(shared_->options.requestTimeout);
    bhttp::async_write(stream_, *res, [self = shared_from_this(), res](beast::error_code ec, size_t) {
      if (ec || !res->keep_alive()) {
        self->close();
        return;
      }
      self->readRequest();
    });
  }

  std::shared_ptr<const Shared> shared_;
  beast::tcp_stream stream_;
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
  std::vector<std::weak_ptr<Connection>> connections;
  bool stopped = false;

  explicit Impl(EventLoopPool& l) : loops(l), acceptor(l.loop(0)) {}

  void accept(const std::shared_ptr<Impl>& self) {
    acceptor.async_accept(loops.next(), [self](beast::error_code ec, tcp::socket socket) {
      if (ec == asio::error::operation_aborted) return;
      if (!ec) {
        std::lock_guard lock(self->mutex);
        if (self->stopped) return;
        auto conn = std::make_shared<Connection>(self->shared, std::move(socket));
        std::erase_if(self->connections, [](const auto& w) { return w.expired(); });
        self->connections.push_back(conn);
        asio::post(conn->executor(), [conn] { conn->start(); });
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
  impl_->shared->routes.push_back({std::move(method), std::move(path), access, std::move(handler)});
}

Status HttpServer::listen(const HostPort& address) {
  beast::error_code ec;
  const auto ip = asio::ip::make_address(address.host, ec);
  if (ec) return Status::invalidArgument(fmt::format("\"{}\" is not an IP address", address.host));
  const tcp::endpoint endpoint(ip, address.port);
  auto& a = impl_->acceptor;
  a.open(endpoint.protocol(), ec);
  if (!ec) a.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) a.bind(endpoint, ec);
  if (!ec) a.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    beast::error_code ignored;
    a.close(ignored);
    return Status::unavailable(fmt::format("cannot listen on {}: {}", address.toString(), ec.message()));
  }
  impl_->accept(impl_);
  return Status::ok();
}

uint16_t HttpServer::port() const {
  beast::error_code ec;
  return impl_->acceptor.local_endpoint(ec).port();
}

void HttpServer::stop() {
  std::vector<std::shared_ptr<Connection>> open;
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

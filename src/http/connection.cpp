// The server's connections: HTTP/1.1 (plain or TLS) and, after an upgrade,
// WebSocket. Each lives on one loop and is touched only there, except the
// WebSocketChannel members, which lock.
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <array>
#include <deque>
#include <type_traits>

#include <linux/sockios.h>
#include <sys/ioctl.h>

#include "base/log.h"
#include "http/headers.h"
#include "http/server_internal.h"

namespace vigil::http::internal {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace websocket = beast::websocket;
namespace ssl = asio::ssl;
using asio::ip::tcp;

// A response body goes out in chunks of this size: one is read while
// none is being written, so a slow client holds at most one in memory.
constexpr size_t kChunkBytes = 256 * 1024;

// On every answer, the web UI's and the API's (a JSON error opened as a
// page must not run anything either): only this origin's scripts and
// styles, no inline code; video from blob: (Media Source Extensions, and
// hls.js's worker); fetch and the live WebSocket to this origin ('self'
// covers ws: and wss: of it, CSP level 3); never inside another site's
// frame. A page that needs inline text names it by hash (camera_routes).
constexpr const char* kContentSecurityPolicy =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "media-src 'self' blob:; worker-src 'self' blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'";

// Request handlers and BodySource reads run here, off the loops
// (WorkInFlight). Four threads, so one slow handler (a login's Argon2id, a
// PostgreSQL audit row waiting for its lock) does not hold up the rest.
// Process-wide, so no work can outlive its pool.
// A cut for a right that ended: closing with SO_LINGER {1, 0} resets the
// connection and drops what the kernel still holds to send (megabytes for
// a client that stopped reading), instead of delivering it after the cut.
void resetOnClose(tcp::socket& socket) {
  beast::error_code ec;
  socket.set_option(asio::socket_base::linger(true, 0), ec);
}

// Whether the kernel holds more than a little not yet acknowledged by the
// client: then a close frame would wait behind it.
bool clientIsBehind(tcp::socket& socket) {
  constexpr int kLittle = 64 * 1024;
  int unsent = 0;
  return ::ioctl(socket.native_handle(), SIOCOUTQ, &unsent) == 0 && unsent > kLittle;
}

asio::thread_pool& workers() {
  static asio::thread_pool pool(4);
  return pool;
}

WallTime wallNow() {
  return WallTime::fromUnixMicros(
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count());
}

// RFC 9266's tls-exporter channel binding; empty before TLS 1.3, whose
// exporter does not bind the handshake by itself.
std::string tlsExporterBinding(SSL* ssl) {
  if (SSL_version(ssl) != TLS1_3_VERSION) return {};
  std::string out(32, '\0');
  static constexpr std::string_view kLabel = "EXPORTER-Channel-Binding";
  if (SSL_export_keying_material(ssl, reinterpret_cast<unsigned char*>(out.data()), out.size(), kLabel.data(),
                                 kLabel.size(), nullptr, 0, 0) != 1) {
    return {};
  }
  return out;
}

bool hasNoBody(int status) { return status < 200 || status == 204 || status == 304; }

// A connection's place in the registry: taken once, given back once.
class RegistrySlot {
 public:
  explicit RegistrySlot(const Shared& shared) : shared_(shared) {}
  // False when the server is stopping: the connection is not to be served.
  bool take(const std::shared_ptr<ConnectionBase>& connection) {
    held_ = shared_.registry.add(connection);
    return held_;
  }
  void release() {
    if (std::exchange(held_, false)) shared_.registry.closed();
  }

 private:
  const Shared& shared_;
  bool held_ = false;
};

template <class Stream>
class WebSocketConnection final : public ConnectionBase,
                                  public WebSocketChannel,
                                  public std::enable_shared_from_this<WebSocketConnection<Stream>> {
 public:
  WebSocketConnection(std::shared_ptr<const Shared> shared, Stream stream, WebSocketSession session,
                      std::optional<access::HeldRight> right)
      : shared_(std::move(shared)),
        ws_(std::move(stream)),
        executor_(ws_.get_executor()),
        session_(std::move(session)),
        slot_(*shared_),
        right_(std::move(right)) {}

  bool join() { return slot_.take(this->shared_from_this()); }

  void accept(bhttp::request<bhttp::string_body> request) {
    const HttpServerOptions& o = shared_->options;
    beast::get_lowest_layer(ws_).expires_never();  // the WebSocket keeps its own timeouts
    ws_.set_option(websocket::stream_base::timeout{o.requestTimeout, o.webSocketIdleTimeout, true});
    ws_.set_option(websocket::stream_base::decorator(
        [](websocket::response_type& res) { res.set(bhttp::field::server, "vigil"); }));
    ws_.read_message_max(o.webSocketMaxMessageBytes);
    // A message (a live fragment) goes out as one WebSocket frame in one
    // write: Beast's default cuts it into 4 KiB frames, each its own write
    // (and TLS record), three or more for a fragment of 2 Mbit/s video.
    ws_.auto_fragment(false);
    request_ = std::move(request);
    ws_.async_accept(request_, [self = this->shared_from_this()](beast::error_code ec) {
      if (ec) {
        self->finish();
        return;
      }
      {
        std::lock_guard lock(self->mutex_);
        self->state_ = State::kOpen;
      }
      self->opened_ = true;
      self->holdRight();
      if (self->session_.onOpen) self->session_.onOpen(self);
      self->read();
    });
  }

  // WebSocketChannel
  bool sendBinary(std::shared_ptr<const std::vector<uint8_t>> message) override {
    const size_t size = message->size();
    const void* data = message->data();
    return enqueue({std::move(message), data, size, true});
  }
  bool sendText(std::string message) override {
    auto owned = std::make_shared<const std::string>(std::move(message));
    return enqueue({owned, owned->data(), owned->size(), false});
  }
  size_t queuedBytes() const override {
    std::lock_guard lock(mutex_);
    return queuedBytes_;
  }
  size_t queuedMessages() const override {
    std::lock_guard lock(mutex_);
    return queue_.size();
  }
  void close(uint16_t code, std::string reason) override {
    std::lock_guard lock(mutex_);
    if (state_ != State::kOpen) return;
    state_ = State::kClosing;
    closeReason_ = websocket::close_reason(static_cast<websocket::close_code>(code), reason);
    // The message on the wire (the front, while writing) finishes; the rest goes.
    while (queue_.size() > (writing_ ? 1 : 0)) {
      queuedBytes_ -= queue_.back().size;
      queue_.pop_back();
    }
    if (!writing_) {
      writing_ = true;
      asio::post(executor_, [self = this->shared_from_this()] { self->writeNext(); });
    }
  }
  bool isOpen() const override {
    std::lock_guard lock(mutex_);
    return state_ == State::kOpen;
  }
  asio::any_io_executor executor() const override { return executor_; }

  // ConnectionBase
  void stopGracefully() override {
    if (endReason_.empty()) endReason_ = "server_stopping";
    close(1001, "server stopping");
  }
  void abort() override { finish(); }
  asio::any_io_executor loop() override { return executor_; }

 private:
  enum class State { kAccepting, kOpen, kClosing, kClosed };
  struct Message {
    std::shared_ptr<const void> owner;
    const void* data;
    size_t size;
    bool binary;
  };

  // While open, the socket holds the right it was opened under; when that
  // right ends, the socket is closed (1008) and onClose gets the reason.
  void holdRight() {
    if (!right_ || !shared_->watch) return;
    hold_ = shared_->watch->hold(std::move(*right_), [weak = this->weak_from_this(),
                                                      executor = executor_](std::string_view reason) {
      asio::post(executor, [weak, reason = std::string(reason)] {
        auto self = weak.lock();
        if (!self || !self->hold_) return;
        self->endReason_ = reason;
        tcp::socket& socket = beast::get_lowest_layer(self->ws_).socket();
        resetOnClose(socket);
        if (clientIsBehind(socket)) {
          self->finish();  // no close frame: it would come after all that
          return;
        }
        self->close(1008, "access ended: " + reason);
      });
    });
  }

  bool enqueue(Message m) {
    std::lock_guard lock(mutex_);
    if (state_ != State::kOpen) return false;
    if (!queue_.empty() && queuedBytes_ + m.size > shared_->options.webSocketMaxQueuedBytes) return false;
    queuedBytes_ += m.size;
    queue_.push_back(std::move(m));
    if (!writing_) {
      writing_ = true;
      asio::post(executor_, [self = this->shared_from_this()] { self->writeNext(); });
    }
    return true;
  }

  void writeNext() {
    Message m{};
    bool drained = false;
    {
      std::lock_guard lock(mutex_);
      if (state_ == State::kClosed) return;
      if (queue_.empty()) {
        writing_ = false;
        if (state_ == State::kClosing) sendClose();
        drained = state_ == State::kOpen && session_.onDrained;
      } else {
        m = queue_.front();
      }
    }
    if (drained) session_.onDrained();
    if (!m.owner) return;
    ws_.binary(m.binary);
    ws_.async_write(asio::const_buffer(m.data, m.size),
                    [self = this->shared_from_this(), owner = m.owner](beast::error_code ec, size_t) {
                      {
                        std::lock_guard lock(self->mutex_);
                        if (!self->queue_.empty()) {
                          self->queuedBytes_ -= self->queue_.front().size;
                          self->queue_.pop_front();
                        }
                      }
                      if (ec) {
                        self->finish();
                        return;
                      }
                      self->writeNext();
                    });
  }

  void sendClose() {
    if (std::exchange(closeSent_, true)) return;
    ws_.async_close(closeReason_, [self = this->shared_from_this()](beast::error_code) { self->finish(); });
  }

  void read() {
    ws_.async_read(readBuffer_, [self = this->shared_from_this()](beast::error_code ec, size_t) {
      if (ec) {
        self->finish();
        return;
      }
      if (self->session_.onMessage) {
        const auto data = self->readBuffer_.cdata();
        self->session_.onMessage(std::string_view(static_cast<const char*>(data.data()), data.size()),
                                 self->ws_.got_binary());
      }
      self->readBuffer_.consume(self->readBuffer_.size());
      self->read();
    });
  }

  // The end, whatever its cause: once, on the loop.
  void finish() {
    {
      std::lock_guard lock(mutex_);
      if (state_ == State::kClosed) return;
      state_ = State::kClosed;
      queue_.clear();
      queuedBytes_ = 0;
    }
    beast::error_code ec;
    beast::get_lowest_layer(ws_).socket().shutdown(tcp::socket::shutdown_both, ec);
    beast::get_lowest_layer(ws_).close();
    slot_.release();
    hold_.reset();
    // The handler's callbacks may hold the channel: dropping them ends the cycle.
    WebSocketSession session = std::move(session_);
    session_ = {};
    if (opened_ && session.onClose) session.onClose(endReason_);
  }

  std::shared_ptr<const Shared> shared_;
  websocket::stream<Stream> ws_;
  const asio::any_io_executor executor_;
  WebSocketSession session_;
  RegistrySlot slot_;
  bhttp::request<bhttp::string_body> request_;
  beast::flat_buffer readBuffer_;
  bool opened_ = false;
  bool closeSent_ = false;
  websocket::close_reason closeReason_;
  std::optional<access::HeldRight> right_;  // until held
  std::unique_ptr<access::RightsWatch::Hold> hold_;
  std::string endReason_;  // for onClose: why the server ended it, if it did

  mutable std::mutex mutex_;  // guards what sending threads touch
  State state_ = State::kAccepting;
  std::deque<Message> queue_;
  size_t queuedBytes_ = 0;
  bool writing_ = false;
};

// One HTTP connection on one loop. `Stream` is beast::tcp_stream (plain
// HTTP) or beast::ssl_stream<beast::tcp_stream> (HTTPS: the TLS handshake
// comes first, under the request timeout).
template <class Stream>
class Connection final : public ConnectionBase, public std::enable_shared_from_this<Connection<Stream>> {
 public:
  Connection(std::shared_ptr<const Shared> shared, Stream stream)
      : shared_(std::move(shared)), stream_(std::move(stream)), executor_(stream_.get_executor()), slot_(*shared_) {}

  bool join() { return slot_.take(this->shared_from_this()); }

  void start() {
    if constexpr (kTls) {
      lowest().expires_after(shared_->options.requestTimeout);
      stream_.async_handshake(ssl::stream_base::server, [self = this->shared_from_this()](beast::error_code ec) {
        if (ec) {
          self->abort();  // not TLS, or a failed handshake: nothing to answer
          return;
        }
        self->channelBinding_ = tlsExporterBinding(self->stream_.native_handle());
        self->readRequest();
      });
    } else {
      readRequest();
    }
  }

  void stopGracefully() override {
    stopping_ = true;
    if (!busy_) abort();
  }
  void abort() override {
    hold_.reset();
    if (std::exchange(closed_, true)) return;  // closed, or handed over to a WebSocket
    beast::error_code ec;
    lowest().socket().shutdown(tcp::socket::shutdown_both, ec);
    lowest().close();
    slot_.release();
  }
  asio::any_io_executor loop() override { return executor_; }

 private:
  static constexpr bool kTls = !std::is_same_v<Stream, beast::tcp_stream>;
  beast::tcp_stream& lowest() { return beast::get_lowest_layer(stream_); }

  void readRequest() {
    if (stopping_) {
      abort();
      return;
    }
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
        ec == ssl::error::stream_truncated || ec == asio::error::connection_reset || ec == asio::error::eof) {
      abort();
      return;
    }
    busy_ = true;
    head_ = false;
    if (ec) {
      lingering_ = true;
      const int status = ec == bhttp::error::header_limit ? 431 : ec == bhttp::error::body_limit ? 413 : 400;
      method_ = "OTHER";
      respond({Response::error(status, ec == bhttp::error::header_limit ? "request header fields too large"
                                       : ec == bhttp::error::body_limit  ? "request body too large"
                                                                         : "malformed request"),
               kNoRoute},
              false, 11);
      return;
    }
    ++requests_;
    const auto& msg = parser_->get();
    // RFC 9112, 3.2: exactly one Host in HTTP/1.1; two could be read as
    // different names by us and by a proxy in front.
    if (const size_t hosts = msg.count(bhttp::field::host); hosts > 1 || (hosts == 0 && msg.version() >= 11)) {
      method_ = "OTHER";
      respond({Response::error(400, hosts > 1 ? "more than one Host" : "no Host (HTTP/1.1 requires it)"), kNoRoute},
              false, msg.version());
      return;
    }
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
    req.tlsChannelBinding = channelBinding_;
    beast::error_code remoteError;
    const auto remote = lowest().socket().remote_endpoint(remoteError);
    if (!remoteError) req.remoteAddress = remote.address().to_string();
    method_ = req.method;
    head_ = req.method == "HEAD";
    offLoop([shared = shared_, req = std::move(req)] { return dispatch(*shared, req); },
            [keepAlive = msg.keep_alive(), version = msg.version()](Connection& self, Outcome outcome) {
              if (outcome.webSocket) {
                self.upgrade(std::move(*outcome.webSocket), std::move(outcome.right), outcome.route);
                return;
              }
              self.respond(std::move(outcome), keepAlive, version);
            });
  }

  // Runs work() on the workers, then then(*this, its result) on this
  // connection's loop, unless the connection was closed meanwhile.
  template <class Work, class Then>
  void offLoop(Work work, Then then) {
    shared_->work.begin();
    asio::post(workers(), [self = this->shared_from_this(), work = std::move(work), then = std::move(then)]() mutable {
      auto result = work();
      const std::shared_ptr<const Shared> shared = self->shared_;
      auto loop = self->executor_;
      asio::post(loop, [self = std::move(self), then = std::move(then), result = std::move(result)]() mutable {
        if (!self->closed_) then(*self, std::move(result));
      });
      shared->work.end();
    });
  }

  void upgrade(WebSocketSession session, std::optional<access::HeldRight> right, std::string_view route) {
    shared_->counter.add(method_, route, 101);
    auto ws = std::make_shared<WebSocketConnection<Stream>>(shared_, std::move(stream_), std::move(session),
                                                            std::move(right));
    closed_ = true;  // the stream is the WebSocket's now
    slot_.release();
    if (!ws->join()) {
      ws->abort();
      return;
    }
    ws->accept(parser_->release());
  }

  void respond(Outcome outcome, bool keepAlive, unsigned version) {
    Response& r = outcome.response;
    route_ = outcome.route;
    header_ = {};
    header_.result(static_cast<bhttp::status>(r.status));
    header_.version(version);
    header_.set(bhttp::field::server, "vigil");
    header_.set(bhttp::field::date, formatHttpDate(wallNow()));
    if (!hasNoBody(r.status)) header_.set(bhttp::field::content_type, r.contentType);
    header_.set(bhttp::field::cache_control, "no-store");
    header_.set("X-Content-Type-Options", "nosniff");
    header_.set("Content-Security-Policy", kContentSecurityPolicy);
    header_.set("X-Frame-Options", "DENY");
    header_.set("Referrer-Policy", "no-referrer");
    // HTTPS tells browsers to use nothing else for a year.
    if constexpr (kTls) header_.set(bhttp::field::strict_transport_security, "max-age=31536000");
    if (!r.etag.empty()) header_.set(bhttp::field::etag, r.etag);
    if (r.lastModified) header_.set(bhttp::field::last_modified, formatHttpDate(*r.lastModified));
    if (r.source && r.status == 200) header_.set(bhttp::field::accept_ranges, "bytes");
    for (auto& [k, v] : r.headers) header_.set(k, v);
    const uint64_t length = r.source ? r.source->size() : r.body.size();
    if (!hasNoBody(r.status)) header_.content_length(length);
    keepAlive_ = keepAlive;
    source_.reset();
    body_.clear();
    if (head_ || hasNoBody(r.status) || length == 0) {
      writeHeader([self = this->shared_from_this()] { self->finish(); });
    } else if (r.source) {
      if (outcome.right) holdRight(std::move(*outcome.right));
      source_ = std::move(r.source);
      offset_ = 0;
      end_ = length;
      readChunk();  // the header waits for the first chunk: a failed read can still answer an error
    } else {
      body_ = std::move(r.body);
      writeHeader([self = this->shared_from_this()] {
        self->writeBody(asio::buffer(self->body_), [self] { self->finish(); });
      });
    }
  }

  template <class Then>
  void writeHeader(Then then) {
    headerSent_ = true;
    header_.keep_alive(keepAlive_ && !stopping_);
    shared_->counter.add(method_, route_, header_.result_int());
    lowest().expires_after(shared_->options.writeTimeout);
    bhttp::async_write(stream_, header_, unlessFailed(std::move(then)));
  }

  template <class Then>
  void writeBody(asio::const_buffer data, Then then) {
    lowest().expires_after(shared_->options.writeTimeout);
    asio::async_write(stream_, data, unlessFailed(std::move(then)));
  }

  // The completion handler of a read or write: the connection is dropped
  // when it failed, else `then` runs.
  template <class Then>
  auto unlessFailed(Then then) {
    return [self = this->shared_from_this(), then = std::move(then)](beast::error_code ec, size_t) {
      if (ec) {
        self->abort();
        return;
      }
      then();
    };
  }

  void readChunk() {
    const size_t length = static_cast<size_t>(std::min<uint64_t>(kChunkBytes, end_ - offset_));
    offLoop(
        [source = source_, offset = offset_, length] {
          auto data = source->read(offset, length);
          if (data && data->size() != length) data = Status::dataLoss("body source returned a short read");
          return data;
        },
        [](Connection& self, Result<std::vector<uint8_t>> data) { self.onChunk(std::move(data)); });
  }

  void onChunk(Result<std::vector<uint8_t>> data) {
    if (!data) {
      log::warn("http.body_read_failed", {{"method", method_}, {"route", route_}, {"status", data.status()}});
      if (headerSent_) {
        abort();  // the client sees a short body, never a wrong one
      } else {
        respond({errorResponse(data.status()), route_}, keepAlive_, header_.version());
      }
      return;
    }
    chunk_ = std::move(*data);
    auto sendChunk = [self = this->shared_from_this()] {
      self->writeBody(asio::buffer(self->chunk_), [self] {
        self->offset_ += self->chunk_.size();
        if (self->offset_ < self->end_) {
          self->readChunk();
        } else {
          self->finish();
        }
      });
    };
    if (headerSent_) {
      sendChunk();
    } else {
      writeHeader(sendChunk);
    }
  }

  // A streamed body holds the right it was answered under: when that right
  // ends, the connection is cut (the client sees a short body).
  void holdRight(access::HeldRight right) {
    if (!shared_->watch) return;
    const uint64_t body = ++bodies_;
    hold_ = shared_->watch->hold(std::move(right), [weak = this->weak_from_this(), loop = executor_,
                                                    body](std::string_view reason) {
      asio::post(loop, [weak, body, reason = std::string(reason)] {
        auto self = weak.lock();
        if (!self || self->bodies_ != body || !self->hold_) return;
        log::info("http.body_ended", {{"route", self->route_}, {"reason", reason}});
        resetOnClose(self->lowest().socket());
        self->abort();
      });
    });
  }

  void finish() {
    hold_.reset();
    busy_ = false;
    headerSent_ = false;
    source_.reset();
    chunk_ = {};
    body_ = {};
    if (!header_.keep_alive()) {
      lingering_ ? linger() : abort();
      return;
    }
    readRequest();
  }

  // After an error answer to a request not read in full (431, 413, 400):
  // closing with its bytes unread would make the kernel reset the
  // connection, and the client could lose the answer. So stop sending, and
  // read and drop what comes for at most the request timeout.
  void linger() {
    beast::error_code ec;
    lowest().socket().shutdown(tcp::socket::shutdown_send, ec);
    lowest().expires_after(shared_->options.requestTimeout);
    drain();
  }
  void drain() {
    lowest().async_read_some(asio::buffer(discard_),
                             unlessFailed([self = this->shared_from_this()] { self->drain(); }));
  }

  std::shared_ptr<const Shared> shared_;
  Stream stream_;
  const asio::any_io_executor executor_;
  RegistrySlot slot_;
  bool closed_ = false;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  size_t requests_ = 0;
  bool busy_ = false;      // between a request read and its response written
  bool stopping_ = false;  // stop(): no further request on this connection
  bool lingering_ = false;  // the request was malformed: linger() before closing
  std::array<char, 4096> discard_;
  // The response being written.
  bhttp::response<bhttp::empty_body> header_;
  std::string method_;
  std::string channelBinding_;  // TLS 1.3: see tlsExporterBinding()
  std::string_view route_ = kNoRoute;
  bool head_ = false;
  bool keepAlive_ = false;
  bool headerSent_ = false;
  std::string body_;
  std::shared_ptr<const BodySource> source_;
  uint64_t offset_ = 0, end_ = 0;
  std::vector<uint8_t> chunk_;
  std::unique_ptr<access::RightsWatch::Hold> hold_;  // while a body streams
  uint64_t bodies_ = 0;  // streamed bodies so far, to tell a stale end from a current one
};

template <class Stream>
void start(const std::shared_ptr<const Shared>& shared, Stream stream) {
  auto connection = std::make_shared<Connection<Stream>>(shared, std::move(stream));
  if (!connection->join()) {
    connection->abort();  // stopping: not served
    return;
  }
  asio::post(connection->loop(), [connection] { connection->start(); });
}

}  // namespace

void serveConnection(const std::shared_ptr<const Shared>& shared, tcp::socket socket, ssl::context* tls) {
  if (tls) {
    start(shared, beast::ssl_stream<beast::tcp_stream>(beast::tcp_stream(std::move(socket)), *tls));
  } else {
    start(shared, beast::tcp_stream(std::move(socket)));
  }
}

}  // namespace vigil::http::internal

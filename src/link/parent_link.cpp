#include "link/config.h"
#include "link/parent_link.h"

#include <fmt/format.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <nlohmann/json.hpp>

#include "base/log.h"
#include "link/tls_client.h"

namespace vigil::link {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;

namespace {

auto withError(beast::error_code& ec) { return asio::redirect_error(asio::use_awaitable, ec); }

// A declined upgrade's {"error": ...}, or its status alone.
std::string declined(const websocket::response_type& res) {
  auto j = nlohmann::json::parse(res.body(), nullptr, false);
  if (j.is_object() && j.contains("error") && j["error"].is_string()) {
    return fmt::format("the parent declined the link ({}): {}", res.result_int(), j["error"].get<std::string>());
  }
  return fmt::format("the parent declined the link ({})", res.result_int());
}

}  // namespace

// One connection: its WebSocket, its session, and the timers that wake
// its writer and its keepalive. Shared by the three coroutines of it.
struct ParentLink::Attempt : Endpoint, std::enable_shared_from_this<Attempt> {
  Attempt(websocket::stream<TlsStream> stream, Session s)
      : ws(std::move(stream)), session(std::move(s)), wake(ws.get_executor()), tick(ws.get_executor()) {}
  bool post(Kind kind, uint32_t channel, std::vector<uint8_t> payload) override {
    asio::post(ws.get_executor(), [self = shared_from_this(), kind, channel, payload = std::move(payload)] {
      if (self->over || self->session.ended()) return;
      if (!self->session.send(kind, channel, payload) && isControl(kind)) {
        (void)self->session.end(RefuseCode::kTimeout, "the parent does not read its link");
      }
      self->wake.cancel();
    });
    return true;
  }
  websocket::stream<TlsStream> ws;
  Session session;
  asio::steady_timer wake;
  asio::steady_timer tick;
  bool over = false;  // the reader ended: everything winds down
  void closeSocket() {
    over = true;
    wake.cancel();
    tick.cancel();
    beast::error_code ignored;
    beast::get_lowest_layer(ws).socket().close(ignored);
  }
};

ParentLink::ParentLink(asio::io_context& loop, const access::NodeKey& key, ParentRecord parent, std::string selfId,
                       const Clock& clock, ParentLinkOptions options, Bus* bus)
    : loop_(loop),
      key_(key),
      parent_(std::move(parent)),
      selfId_(std::move(selfId)),
      clock_(clock),
      options_(options),
      bus_(bus),
      tls_(makeClientTlsContext()),
      backoffTimer_(loop),
      rng_(std::random_device{}()) {
  status_.url = parent_.url;
  status_.id = parent_.id;
  status_.state = "connecting";
}

ParentLink::~ParentLink() = default;

void ParentLink::start() {
  asio::co_spawn(loop_, [self = shared_from_this()]() { return self->run(); }, asio::detached);
}

void ParentLink::stop(std::function<void()> onStopped) {
  asio::post(loop_, [self = shared_from_this(), onStopped = std::move(onStopped)]() mutable {
    self->stopping_ = true;
    self->onStopped_ = std::move(onStopped);
    self->backoffTimer_.cancel();
    if (self->attempt_) {
      (void)self->attempt_->session.end(RefuseCode::kShutdown, "the child is stopping");
      self->attempt_->wake.cancel();
    }
  });
}

ParentLinkStatus ParentLink::status() const {
  std::lock_guard lock(mutex_);
  return status_;
}

void ParentLink::setState(std::string state, std::string reason) {
  std::lock_guard lock(mutex_);
  status_.state = std::move(state);
  if (!reason.empty()) status_.reason = std::move(reason);
}

asio::awaitable<void> ParentLink::run() {
  auto self = shared_from_this();  // alive while the coroutine is
  int failures = 0;
  while (!stopping_) {
    setState("connecting");
    Status reason = co_await connectOnce();
    if (stopping_) break;
    {
      std::lock_guard lock(mutex_);
      if (status_.connectedSince) failures = 0;  // it was up: start the backoff over
      status_.connectedSince.reset();
      status_.attempts = ++failures;
    }
    const auto delay = options_.backoff.delay(failures - 1, rng_);
    log::warn("link.parent_retrying", {{"parent", parent_.url}, {"reason", reason.message()},
                                       {"in_ms", delay.count()}});
    setState("retrying", reason.message());
    backoffTimer_.expires_after(delay);
    beast::error_code ec;
    co_await backoffTimer_.async_wait(withError(ec));
  }
  setState("stopped");
  if (onStopped_) onStopped_();
}

asio::awaitable<Status> ParentLink::connectOnce() {
  auto address = parseLinkParent(parent_.url);
  if (!address) co_return address.status();
  auto connected = co_await connectTls(*tls_, *address, options_.connectTimeout);
  if (!connected) co_return connected.status();

  websocket::stream<TlsStream> ws(std::move(*connected->stream));
  auto timeouts = websocket::stream_base::timeout::suggested(beast::role_type::client);
  timeouts.handshake_timeout = options_.connectTimeout;
  timeouts.idle_timeout = websocket::stream_base::none();  // the session's keepalive decides
  ws.set_option(timeouts);
  ws.set_option(websocket::stream_base::decorator(
      [](websocket::request_type& req) { req.set(beast::http::field::user_agent, "vigil-link"); }));
  ws.read_message_max(kMaxFrameBytes);
  ws.binary(true);
  // A link frame goes out as one WebSocket frame, masked in one pass and
  // handed to TLS in one write. Beast's defaults cut a client's message
  // into 4 KiB pieces, each its own TLS record and send: three for an
  // average 2 Mbit/s video frame, and as many wakeups at the parent.
  ws.auto_fragment(false);
  ws.write_buffer_bytes(kMaxFrameBytes);
  websocket::response_type res;
  beast::error_code ec;
  co_await ws.async_handshake(res, address->toString(), "/api/v1/link/connect", withError(ec));
  if (ec == websocket::error::upgrade_declined) co_return Status::unavailable(declined(res));
  if (ec) co_return Status::unavailable(fmt::format("{}: WebSocket upgrade: {}", parent_.url, ec.message()));

  auto a = std::make_shared<Attempt>(std::move(ws), Session(key_, parent_.key, selfId_, connected->binding, clock_,
                                                           options_.session));
  attempt_ = a;
  if (bus_) a->session.setMessageHandler([bus = bus_](Frame frame) { return bus->deliver(Peer::theParent(), std::move(frame)); });
  if (stopping_) (void)a->session.end(RefuseCode::kShutdown, "the child is stopping");

  // Writer: one frame at a time from the session's queue (control first);
  // once the session has ended and its Refuse is out, the close.
  asio::co_spawn(loop_, [a, self = shared_from_this()]() -> asio::awaitable<void> {
    beast::error_code wec;
    while (!a->over) {
      if (FrameBytes f = a->session.nextFrame()) {
        co_await a->ws.async_write(asio::buffer(*f), withError(wec));
        if (wec) break;
        continue;
      }
      if (a->session.ended()) {
        co_await a->ws.async_close(websocket::close_reason(websocket::close_code::policy_error), withError(wec));
        break;
      }
      a->wake.expires_at(asio::steady_timer::time_point::max());
      co_await a->wake.async_wait(withError(wec));
    }
    a->closeSocket();
  }, asio::detached);
  // Keepalive and the handshake's deadline.
  asio::co_spawn(loop_, [a, self = shared_from_this()]() -> asio::awaitable<void> {
    beast::error_code tec;
    while (!a->over && !a->session.ended()) {
      a->tick.expires_at(a->session.deadline());
      co_await a->tick.async_wait(withError(tec));
      if (a->over) break;
      (void)a->session.tick();
      a->wake.cancel();
    }
  }, asio::detached);

  // Reader, here: the attempt lasts as long as it reads.
  Status reason;
  for (;;) {
    beast::flat_buffer buffer;
    co_await a->ws.async_read(buffer, withError(ec));
    if (ec) break;
    const bool wasReady = a->session.ready();
    const auto data = buffer.cdata();
    Status s = a->session.receive(std::span(static_cast<const uint8_t*>(data.data()), data.size()));
    {
      std::lock_guard lock(mutex_);
      status_.traffic = a->session.traffic();
      if (!wasReady && a->session.ready()) {
        status_.state = "connected";
        status_.reason.clear();
        status_.attempts = 0;
        status_.connectedSince = clock_.now();
      }
    }
    if (!wasReady && a->session.ready()) {
      log::info("link.parent_connected", {{"parent", parent_.url}, {"id", parent_.id}});
      a->tick.cancel();  // from the handshake's deadline to the keepalive's
      if (bus_) bus_->attach(Peer::theParent(), a);
    }
    if (!s.isOk() && reason.isOk()) reason = s;
    a->wake.cancel();
  }
  a->closeSocket();
  if (bus_) bus_->detach(Peer::theParent(), a.get());
  attempt_.reset();
  {
    std::lock_guard lock(mutex_);
    status_.traffic = a->session.traffic();
  }
  if (!reason.isOk()) co_return reason;
  // Ended on this side (a timeout, a bad proof): tick() or receive() said why.
  if (a->session.ended()) co_return a->session.endReason();
  if (ec == websocket::error::closed) {
    const auto& why = a->ws.reason();
    co_return Status::unavailable(fmt::format("the parent closed the link ({} {})", static_cast<int>(why.code),
                                              std::string(why.reason.data(), why.reason.size())));
  }
  co_return Status::unavailable(fmt::format("the connection to the parent ended: {}", ec.message()));
}

}  // namespace vigil::link

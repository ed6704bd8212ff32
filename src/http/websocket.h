#pragma once
// WebSocket routes (RFC 6455 on Boost.Beast). A route is declared with its
// access rule like any other; before the upgrade the server checks the
// session, the role and the Origin (a page of another site must not open a
// socket with the user's cookie), then asks the route's handler, which may
// still refuse with an HTTP error (unknown camera: 404). Once open, the
// handler talks through a WebSocketChannel.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/any_io_executor.hpp>

namespace vigil::http {

// One open WebSocket. Every member is thread-safe: send from any thread
// (a live hub's loop, a worker); the writes themselves run on the
// connection's loop, executor(), one message after the other.
class WebSocketChannel {
 public:
  virtual ~WebSocketChannel() = default;

  // Queues a message. False, with the message dropped, when the channel is
  // closed or the message would take the queue past
  // HttpServerOptions::webSocketMaxQueuedBytes (a message alone in the
  // queue is always taken, whatever its size). A slow reader thus costs at
  // most that bound; the caller decides what to skip or whether to close.
  // The shared form sends one buffer to many viewers without copying it.
  virtual bool sendBinary(std::shared_ptr<const std::vector<uint8_t>> message) = 0;
  bool sendBinary(std::vector<uint8_t> message) {
    return sendBinary(std::make_shared<const std::vector<uint8_t>>(std::move(message)));
  }
  virtual bool sendText(std::string message) = 0;

  // What is queued and not yet written to the socket (the message being
  // written included).
  virtual size_t queuedBytes() const = 0;
  virtual size_t queuedMessages() const = 0;

  // Sends a close frame (normal closure, or 1008 "policy violation" with
  // `reason` for a viewer closed for being too slow...) after the message
  // being written; what is still queued is dropped. onClose follows.
  virtual void close(uint16_t code = 1000, std::string reason = {}) = 0;
  virtual bool isOpen() const = 0;

  // The connection's loop: post work there to run beside its writes.
  virtual boost::asio::any_io_executor executor() const = 0;
};

// What a handler returns to accept an upgrade. Every callback runs on the
// channel's executor; onOpen first, onClose exactly once and last (after a
// close frame, an error, an idle or ping timeout, the server stopping, or
// the end of the right it was opened under: logout, expiry...).
struct WebSocketSession {
  std::function<void(std::shared_ptr<WebSocketChannel>)> onOpen;
  // Optional: a message from the client (at most
  // HttpServerOptions::webSocketMaxMessageBytes; more closes the socket).
  std::function<void(std::string_view data, bool binary)> onMessage;
  // Optional. `reason` is empty when the client or the network ended it
  // (or the handler closed it); else why the server did: an
  // access::end_reason when the right to it ended, or "server_stopping".
  std::function<void(std::string_view reason)> onClose;
  // Optional: every queued message has been written. A sender with its
  // own priorities (the tier link) queues one message at a time and the
  // next one here.
  std::function<void()> onDrained;
};

}  // namespace vigil::http

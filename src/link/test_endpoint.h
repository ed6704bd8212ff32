#pragma once
// For tests: one side of a link as a node's parts see it through the bus,
// keeping every frame sent there.

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <functional>
#include <mutex>
#include <vector>

#include "link/bus.h"

namespace vigil::link::testing {

struct RecordingEndpoint : Endpoint {
  bool post(Kind kind, uint32_t channel, std::vector<uint8_t> payload) override {
    if (beforePost) beforePost(kind);
    Frame frame{kind, channel, std::move(payload)};
    if (loop && !loop->get_executor().running_in_this_thread()) {
      boost::asio::post(*loop, [this, frame = std::move(frame)]() mutable { keep(std::move(frame)); });
    } else {
      keep(std::move(frame));
    }
    return true;
  }
  void keep(Frame frame) {
    std::lock_guard lock(mutex);
    sent.push_back(std::move(frame));
  }
  // The frames of `kind` sent so far, in order.
  std::vector<Frame> of(Kind kind) {
    std::lock_guard lock(mutex);
    std::vector<Frame> out;
    for (const Frame& f : sent) {
      if (f.kind == kind) out.push_back(f);
    }
    return out;
  }
  // Set before anything is sent: runs on the sender's thread, before the
  // frame is kept (a slow hand-over to the link).
  std::function<void(Kind)> beforePost;
  // Set: a frame from another thread is kept by a handler posted to this
  // loop, as a connection queues what other threads send on its own.
  boost::asio::io_context* loop = nullptr;
  std::mutex mutex;
  std::vector<Frame> sent;
};

}  // namespace vigil::link::testing

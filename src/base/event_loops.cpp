#include "base/event_loops.h"

#include <csignal>

#include "base/log.h"

namespace vigil {

EventLoopPool::EventLoopPool(size_t count) {
  if (count == 0) count = std::max(1u, std::thread::hardware_concurrency());
  for (size_t i = 0; i < count; ++i) {
    // Concurrency hint 1: each context is run by exactly one thread.
    loops_.push_back(std::make_unique<boost::asio::io_context>(1));
    guards_.push_back(boost::asio::make_work_guard(*loops_.back()));
  }
}

EventLoopPool::~EventLoopPool() {
  stop();
  join();
}

boost::asio::io_context& EventLoopPool::next() {
  return *loops_[next_.fetch_add(1, std::memory_order_relaxed) % loops_.size()];
}

void EventLoopPool::start() {
  for (auto& loop : loops_) {
    threads_.emplace_back([ctx = loop.get()] { ctx->run(); });
  }
}

void EventLoopPool::stop() {
  for (auto& loop : loops_) loop->stop();
}

void EventLoopPool::join() {
  for (auto& thread : threads_) {
    if (thread.joinable()) thread.join();
  }
  threads_.clear();
}

StopSignals::StopSignals(boost::asio::io_context& loop, std::function<void(int)> onStop)
    : signals_(loop, SIGINT, SIGTERM), onStop_(std::move(onStop)) {
  wait();
}

void StopSignals::wait() {
  signals_.async_wait([this](const boost::system::error_code& ec, int signal) {
    if (ec) return;
    if (fired_) {
      log::warn("signal.ignored", {{"signal", signal}, {"reason", "already stopping"}});
    } else {
      fired_ = true;
      log::info("signal.stop", {{"signal", signal}});
      onStop_(signal);
    }
    wait();
  });
}

}  // namespace vigil

#pragma once
// One asio io_context per core, each run by one thread (design/ARCHITECTURE.md,
// "Threads"). An object that lives on a loop is created with that loop's
// io_context and touched only from it; other threads reach it with
// boost::asio::post.

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include <atomic>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

namespace vigil {

class EventLoopPool {
 public:
  // count 0 means one loop per hardware thread.
  explicit EventLoopPool(size_t count = 0);
  ~EventLoopPool();  // stops and joins
  EventLoopPool(const EventLoopPool&) = delete;
  EventLoopPool& operator=(const EventLoopPool&) = delete;

  size_t size() const { return loops_.size(); }
  boost::asio::io_context& loop(size_t index) { return *loops_[index]; }
  // Round robin over the loops; thread-safe.
  boost::asio::io_context& next();

  // Starts one thread per loop. Loops keep running with no work until stop().
  void start();
  // Asks every loop to return; pending handlers are abandoned. Thread-safe.
  void stop();
  // Waits for the loop threads to return.
  void join();

 private:
  using WorkGuard = boost::asio::executor_work_guard<boost::asio::io_context::executor_type>;
  std::vector<std::unique_ptr<boost::asio::io_context>> loops_;
  std::vector<WorkGuard> guards_;
  std::vector<std::thread> threads_;
  std::atomic<size_t> next_{0};
};

// Calls onStop (on `loop`) once, at the first SIGINT or SIGTERM. A second
// signal while stopping is logged and ignored: shutdown stays graceful.
class StopSignals {
 public:
  StopSignals(boost::asio::io_context& loop, std::function<void(int signal)> onStop);

 private:
  void wait();
  boost::asio::signal_set signals_;
  std::function<void(int)> onStop_;
  bool fired_ = false;
};

}  // namespace vigil

#include "base/event_loops.h"

#include <gtest/gtest.h>

#include <boost/asio/post.hpp>
#include <csignal>
#include <future>
#include <set>

namespace vigil {
namespace {

TEST(EventLoopPool, RunsEachLoopOnItsOwnThread) {
  EventLoopPool pool(2);
  pool.start();
  std::promise<std::thread::id> a, b;
  boost::asio::post(pool.loop(0), [&] { a.set_value(std::this_thread::get_id()); });
  boost::asio::post(pool.loop(1), [&] { b.set_value(std::this_thread::get_id()); });
  const auto ta = a.get_future().get();
  const auto tb = b.get_future().get();
  EXPECT_NE(ta, tb);
  EXPECT_NE(ta, std::this_thread::get_id());
  pool.stop();
  pool.join();
}

TEST(EventLoopPool, NextRoundRobins) {
  EventLoopPool pool(3);
  std::set<boost::asio::io_context*> seen;
  for (int i = 0; i < 3; ++i) seen.insert(&pool.next());
  EXPECT_EQ(seen.size(), 3u);
}

TEST(StopSignals, SigtermCallsStopOnce) {
  EventLoopPool pool(1);
  std::promise<int> got;
  int calls = 0;
  StopSignals signals(pool.loop(0), [&](int sig) {
    ++calls;
    got.set_value(sig);
  });
  pool.start();
  ASSERT_EQ(::raise(SIGTERM), 0);
  auto fut = got.get_future();
  ASSERT_EQ(fut.wait_for(std::chrono::seconds(5)), std::future_status::ready);
  EXPECT_EQ(fut.get(), SIGTERM);
  pool.stop();
  pool.join();
  EXPECT_EQ(calls, 1);
}

}  // namespace
}  // namespace vigil

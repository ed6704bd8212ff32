#include "http/live_frames.h"

#include <gtest/gtest.h>

namespace vigil::http {
namespace {

// The bound on workers waiting for pictures, as both the public register
// and a logged-in user's snapshot of a camera below use it.
TEST(SnapshotWaitsTest, OneWaitPerCameraABoundForAllAndAQuietTimeAfterAFailure) {
  SnapshotWaits waits({.maxWaiting = 2, .afterFailure = std::chrono::seconds(60), .whileWaiting = std::chrono::seconds(3)});
  std::chrono::seconds retryAfter{};
  auto gate = waits.begin("gate", retryAfter);
  ASSERT_TRUE(gate);
  EXPECT_FALSE(waits.begin("gate", retryAfter));  // one per camera
  EXPECT_EQ(retryAfter, std::chrono::seconds(3));
  auto yard = waits.begin("yard", retryAfter);
  ASSERT_TRUE(yard);
  EXPECT_FALSE(waits.begin("lane", retryAfter));  // two for all cameras
  yard.reset();
  EXPECT_TRUE(waits.begin("lane", retryAfter));  // ended (and released again here)

  gate->failed();
  gate.reset();
  retryAfter = {};
  EXPECT_FALSE(waits.begin("gate", retryAfter));  // had no picture: not asked again for a while
  EXPECT_GE(retryAfter, std::chrono::seconds(59));
  EXPECT_LE(retryAfter, std::chrono::seconds(60));
  EXPECT_TRUE(waits.begin("yard", retryAfter));
}

}  // namespace
}  // namespace vigil::http

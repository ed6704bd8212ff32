#include "access/throttle.h"

#include <gtest/gtest.h>

namespace vigil::access {
namespace {

using std::chrono::seconds;

class ThrottleTest : public ::testing::Test {
 protected:
  ManualClock clock_{WallTime::fromUnixMicros(1'700'000'000'000'000)};
  LoginThrottle throttle_{clock_, ThrottleOptions{}};
};

TEST_F(ThrottleTest, AFewMistakesCostNothing) {
  throttle_.recordFailure("ann", "10.0.0.1");
  throttle_.recordFailure("ann", "10.0.0.1");
  EXPECT_EQ(throttle_.retryAfter("ann", "10.0.0.1"), seconds(0));
}

TEST_F(ThrottleTest, DelaysDoublePerAccount) {
  for (int i = 0; i < 3; ++i) throttle_.recordFailure("ann", "10.0.0.1");
  EXPECT_EQ(throttle_.retryAfter("ann", "10.0.0.9"), seconds(1));  // any address
  clock_.advance(seconds(1));
  EXPECT_EQ(throttle_.retryAfter("ann", "10.0.0.9"), seconds(0));
  throttle_.recordFailure("ann", "10.0.0.2");
  EXPECT_EQ(throttle_.retryAfter("ann", "10.0.0.1"), seconds(2));
  clock_.advance(seconds(2));
  throttle_.recordFailure("ann", "10.0.0.3");
  EXPECT_EQ(throttle_.retryAfter("ann", "10.0.0.1"), seconds(4));
  EXPECT_EQ(throttle_.retryAfter("bob", "10.0.0.1"), seconds(0));  // other accounts unaffected
}

TEST_F(ThrottleTest, DelayIsCapped) {
  for (int i = 0; i < 60; ++i) throttle_.recordFailure("ann", "10.0.0.1");
  EXPECT_EQ(throttle_.retryAfter("ann", "10.0.0.1"), seconds(15 * 60));
}

TEST_F(ThrottleTest, ManyAccountsFromOneAddressAreSlowedToo) {
  for (int i = 0; i < 10; ++i) throttle_.recordFailure("user" + std::to_string(i), "10.0.0.1");
  EXPECT_EQ(throttle_.retryAfter("fresh", "10.0.0.1"), seconds(1));
  EXPECT_EQ(throttle_.retryAfter("fresh", "10.0.0.2"), seconds(0));
}

TEST_F(ThrottleTest, SuccessClearsTheAccountButNotTheAddress) {
  for (int i = 0; i < 10; ++i) throttle_.recordFailure("ann", "10.0.0.1");
  clock_.advance(seconds(15 * 60));
  throttle_.recordSuccess("ann");
  throttle_.recordFailure("ann", "10.0.0.2");
  EXPECT_EQ(throttle_.retryAfter("ann", "10.0.0.2"), seconds(0));
}

TEST_F(ThrottleTest, OldFailuresAreForgotten) {
  for (int i = 0; i < 3; ++i) throttle_.recordFailure("ann", "10.0.0.1");
  clock_.advance(seconds(2 * 60 * 60));
  throttle_.recordFailure("bob", "10.0.0.5");  // prunes
  throttle_.recordFailure("ann", "10.0.0.1");
  EXPECT_EQ(throttle_.retryAfter("ann", "10.0.0.1"), seconds(0));  // counting starts again
}

}  // namespace
}  // namespace vigil::access

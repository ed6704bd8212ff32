#include "access/throttle.h"

#include <gtest/gtest.h>

#include <vector>

namespace vigil::access {
namespace {

using std::chrono::seconds;
using Refusal = LoginAdmission::Refusal;

class ThrottleTest : public ::testing::Test {
 protected:
  // Checks one password that turns out wrong; false when not admitted.
  bool fail(std::string_view account, std::string_view address) {
    return throttle_.admit(account, address).attempt.has_value();
  }
  bool succeed(std::string_view account, std::string_view address) {
    auto a = throttle_.admit(account, address);
    if (a.attempt) a.attempt->succeeded();
    return a.attempt.has_value();
  }

  ManualClock clock_{WallTime::fromUnixMicros(1'700'000'000'000'000)};
  LoginThrottle throttle_{clock_, ThrottleOptions{.checksPerSecond = 1000}};
};

TEST_F(ThrottleTest, AFewMistakesCostNothing) {
  EXPECT_TRUE(fail("ann", "10.0.0.1"));
  EXPECT_TRUE(fail("ann", "10.0.0.1"));
  EXPECT_EQ(throttle_.retryAfter("ann", "10.0.0.1"), seconds(0));
  EXPECT_TRUE(succeed("ann", "10.0.0.1"));
}

TEST_F(ThrottleTest, DelaysDoublePerAccountAndAddress) {
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(fail("ann", "10.0.0.1"));
  EXPECT_EQ(throttle_.retryAfter("ann", "10.0.0.1"), seconds(1));
  auto refused = throttle_.admit("ann", "10.0.0.1");
  EXPECT_FALSE(refused.attempt);
  EXPECT_EQ(refused.refusal, Refusal::kClient);
  EXPECT_EQ(refused.retryAfter, seconds(1));
  clock_.advance(seconds(1));
  EXPECT_TRUE(fail("ann", "10.0.0.1"));
  EXPECT_EQ(throttle_.retryAfter("ann", "10.0.0.1"), seconds(2));
  clock_.advance(seconds(2));
  EXPECT_TRUE(fail("ann", "10.0.0.1"));
  EXPECT_EQ(throttle_.retryAfter("ann", "10.0.0.1"), seconds(4));
  EXPECT_EQ(throttle_.retryAfter("bob", "10.0.0.1"), seconds(0));  // other accounts unaffected
}

// Issue 13, item 7: an outsider's guesses must not lock the real user out.
TEST_F(ThrottleTest, GuessesFromOneAddressDoNotBlockTheAccountElsewhere) {
  for (int i = 0; i < 30; ++i) {
    (void)fail("admin", "203.0.113.9");
    clock_.advance(seconds(15 * 60));
  }
  EXPECT_TRUE(fail("admin", "203.0.113.9"));
  EXPECT_EQ(throttle_.retryAfter("admin", "203.0.113.9"), seconds(15 * 60));
  EXPECT_EQ(throttle_.retryAfter("admin", "10.0.0.1"), seconds(0));
  EXPECT_TRUE(succeed("admin", "10.0.0.1"));
}

TEST_F(ThrottleTest, DelayIsCapped) {
  for (int i = 0; i < 60; ++i) {
    (void)fail("ann", "10.0.0.1");
    clock_.advance(seconds(15 * 60));
  }
  EXPECT_TRUE(fail("ann", "10.0.0.1"));
  EXPECT_EQ(throttle_.retryAfter("ann", "10.0.0.1"), seconds(15 * 60));
}

TEST_F(ThrottleTest, ManyAccountsFromOneAddressAreSlowedToo) {
  for (int i = 0; i < 10; ++i) EXPECT_TRUE(fail("user" + std::to_string(i), "10.0.0.1"));
  EXPECT_EQ(throttle_.retryAfter("fresh", "10.0.0.1"), seconds(1));
  EXPECT_EQ(throttle_.retryAfter("fresh", "10.0.0.2"), seconds(0));
}

TEST_F(ThrottleTest, AnIpv6HostCountsByItsSlash64) {
  for (int i = 0; i < 10; ++i) EXPECT_TRUE(fail("user" + std::to_string(i), "2001:db8:1:2::" + std::to_string(i)));
  EXPECT_EQ(throttle_.retryAfter("fresh", "2001:db8:1:2:ffff::1"), seconds(1));
  EXPECT_EQ(throttle_.retryAfter("fresh", "2001:db8:1:3::1"), seconds(0));
  // A v4-mapped address is its IPv4 address.
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(fail("ann", "::ffff:10.0.0.7"));
  EXPECT_EQ(throttle_.retryAfter("ann", "10.0.0.7"), seconds(1));
}

TEST_F(ThrottleTest, SuccessDoesNotClearTheAddress) {
  EXPECT_TRUE(fail("ann", "10.0.0.1"));
  EXPECT_TRUE(fail("ann", "10.0.0.1"));
  for (int i = 0; i < 7; ++i) EXPECT_TRUE(fail("user" + std::to_string(i), "10.0.0.1"));
  EXPECT_TRUE(succeed("ann", "10.0.0.1"));
  EXPECT_EQ(throttle_.retryAfter("bob", "10.0.0.1"), seconds(0));
  EXPECT_TRUE(fail("ann", "10.0.0.1"));  // the address's tenth failure
  EXPECT_EQ(throttle_.retryAfter("bob", "10.0.0.1"), seconds(1));
}

// Issue 13, item 7: admission and counting are one step, so checks in
// flight at once cannot exceed the free failures.
TEST_F(ThrottleTest, ChecksInFlightCountBeforeTheyFinish) {
  std::vector<LoginAttempt> inFlight;
  for (int i = 0; i < 10; ++i) {
    auto a = throttle_.admit("ann", "10.0.0.1");
    if (a.attempt) inFlight.push_back(std::move(*a.attempt));
  }
  EXPECT_EQ(inFlight.size(), 3u);
  inFlight.clear();  // all three fail
  EXPECT_EQ(throttle_.retryAfter("ann", "10.0.0.1"), seconds(1));
  // Past the free failures, one check at a time.
  clock_.advance(seconds(1));
  auto first = throttle_.admit("ann", "10.0.0.1");
  EXPECT_TRUE(first.attempt);
  EXPECT_FALSE(throttle_.admit("ann", "10.0.0.1").attempt);
}

TEST_F(ThrottleTest, TheNodeCeilingRefusesEveryoneForAMoment) {
  LoginThrottle throttle(clock_, ThrottleOptions{.checksPerSecond = 4});
  for (int i = 0; i < 4; ++i) {
    auto a = throttle.admit("ann", "10.0.0." + std::to_string(i));
    ASSERT_TRUE(a.attempt);
    a.attempt->succeeded();
  }
  auto refused = throttle.admit("bob", "10.0.0.99");
  EXPECT_FALSE(refused.attempt);
  EXPECT_EQ(refused.refusal, Refusal::kNode);
  EXPECT_EQ(refused.retryAfter, seconds(1));
  clock_.advance(std::chrono::milliseconds(250));  // one check's worth
  auto next = throttle.admit("bob", "10.0.0.99");
  EXPECT_TRUE(next.attempt);
  EXPECT_FALSE(throttle.admit("cy", "10.0.0.98").attempt);
}

TEST_F(ThrottleTest, OldFailuresAreForgotten) {
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(fail("ann", "10.0.0.1"));
  clock_.advance(seconds(2 * 60 * 60));
  EXPECT_TRUE(fail("bob", "10.0.0.5"));  // prunes
  EXPECT_TRUE(fail("ann", "10.0.0.1"));
  EXPECT_EQ(throttle_.retryAfter("ann", "10.0.0.1"), seconds(0));  // counting starts again
}

TEST_F(ThrottleTest, KeysAreBounded) {
  LoginThrottle throttle(clock_, ThrottleOptions{.checksPerSecond = 1000000, .maxKeys = 100});
  for (int i = 0; i < 1000; ++i) {
    clock_.advance(std::chrono::milliseconds(1));
    ASSERT_TRUE(throttle.admit("ann", "10.0." + std::to_string(i / 256) + "." + std::to_string(i % 256)).attempt);
  }
  EXPECT_LE(throttle.keys(), 100u);
  // The newest keys are kept: the last address still counts its failure.
  for (int i = 0; i < 9; ++i) (void)throttle.admit("u" + std::to_string(i), "10.0.3.231").attempt;
  EXPECT_EQ(throttle.retryAfter("fresh", "10.0.3.231"), seconds(1));
}

}  // namespace
}  // namespace vigil::access

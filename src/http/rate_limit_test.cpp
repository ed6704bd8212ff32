#include "http/rate_limit.h"

#include <gtest/gtest.h>

namespace vigil::http {
namespace {

using std::chrono::seconds;

TEST(RateLimitTest, EachAddressAndTheNodeAreBoundedPerWindowAndStartAgainAfterIt) {
  RateLimit rate({.window = seconds(60), .perAddress = 2, .perNode = 3, .maxAddresses = 10});
  const auto t0 = RateLimit::Clock::time_point{} + std::chrono::hours(1);
  EXPECT_EQ(rate.admit("198.51.100.1", t0), seconds(0));
  EXPECT_EQ(rate.admit("198.51.100.1", t0), seconds(0));
  EXPECT_EQ(rate.admit("198.51.100.1", t0 + seconds(10)), seconds(50));  // this address's third
  EXPECT_EQ(rate.admit("198.51.100.2", t0 + seconds(10)), seconds(0));
  EXPECT_EQ(rate.admit("198.51.100.3", t0 + seconds(59) + std::chrono::milliseconds(500)), seconds(1));  // the node's fourth
  EXPECT_EQ(rate.admit("198.51.100.1", t0 + seconds(60)), seconds(0));  // a new window
}

TEST(RateLimitTest, AddressesPastTheTableCountOnlyAgainstTheNode) {
  RateLimit rate({.window = seconds(60), .perAddress = 1, .perNode = 4, .maxAddresses = 1});
  const auto t0 = RateLimit::Clock::time_point{} + std::chrono::hours(1);
  EXPECT_EQ(rate.admit("a", t0), seconds(0));
  EXPECT_EQ(rate.admit("a", t0), seconds(60));
  EXPECT_EQ(rate.admit("b", t0), seconds(0));  // not counted on its own
  EXPECT_EQ(rate.admit("b", t0), seconds(0));
  EXPECT_EQ(rate.admit("c", t0), seconds(0));
  EXPECT_EQ(rate.admit("d", t0), seconds(60));  // the node's bound
}

}  // namespace
}  // namespace vigil::http

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

// A host with an IPv6 /64 picks any of its 2^64 addresses: counted as one.
TEST(RateLimitTest, AnIpv6ClientIsCountedByItsSlash64) {
  RateLimit rate({.window = seconds(60), .perAddress = 2, .perNode = 100, .maxAddresses = 10});
  const auto t0 = RateLimit::Clock::time_point{} + std::chrono::hours(1);
  EXPECT_EQ(rate.admit("2001:db8:1:2::1", t0), seconds(0));
  EXPECT_EQ(rate.admit("2001:db8:1:2:dead:beef:0:7", t0), seconds(0));
  EXPECT_EQ(rate.admit("2001:db8:1:2:ffff::9", t0), seconds(60));  // the same /64's third
  EXPECT_EQ(rate.admit("2001:db8:1:3::1", t0), seconds(0));         // the next /64
  EXPECT_EQ(rate.admit("::ffff:198.51.100.1", t0), seconds(0));
  EXPECT_EQ(rate.admit("198.51.100.1", t0), seconds(0));  // the same IPv4 client
  EXPECT_EQ(rate.admit("198.51.100.1", t0), seconds(60));
}

// One home's /56 has 256 /64s, an office a /24 of IPv4 addresses: a
// network as a whole takes at most perNetwork, and the others still get in.
TEST(RateLimitTest, ANetworkTakesAtMostItsShareOfTheNode) {
  RateLimit rate({.window = seconds(60), .perAddress = 2, .perNetwork = 3, .perNode = 100, .maxAddresses = 100});
  const auto t0 = RateLimit::Clock::time_point{} + std::chrono::hours(1);
  EXPECT_EQ(rate.admit("2001:db8:1:1::1", t0), seconds(0));
  EXPECT_EQ(rate.admit("2001:db8:1:2::1", t0), seconds(0));
  EXPECT_EQ(rate.admit("2001:db8:1:3::1", t0), seconds(0));
  EXPECT_EQ(rate.admit("2001:db8:1:4::1", t0), seconds(60));  // the /48's fourth
  EXPECT_EQ(rate.admit("198.51.100.1", t0), seconds(0));
  EXPECT_EQ(rate.admit("198.51.100.2", t0), seconds(0));
  EXPECT_EQ(rate.admit("198.51.100.3", t0), seconds(0));
  EXPECT_EQ(rate.admit("198.51.100.4", t0), seconds(60));  // the /24's fourth
  EXPECT_EQ(rate.admit("203.0.113.1", t0), seconds(0));    // another network
}

}  // namespace
}  // namespace vigil::http

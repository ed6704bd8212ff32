#include "base/time.h"

#include <gtest/gtest.h>

namespace vigil {
namespace {

TEST(WallTime, FormatsRfc3339) {
  EXPECT_EQ(WallTime::fromUnixMicros(0).toRfc3339(), "1970-01-01T00:00:00Z");
  EXPECT_EQ(WallTime::fromUnixMicros(1'795'389'601'123'000).toRfc3339(), "2026-11-22T23:20:01.123Z");
  EXPECT_EQ(WallTime::fromUnixMicros(1'795'389'601'000'001).toRfc3339(), "2026-11-22T23:20:01.000001Z");
  EXPECT_EQ(WallTime::fromUnixMicros(-1'000'000).toRfc3339(), "1969-12-31T23:59:59Z");
}

TEST(WallTime, ParsesRfc3339) {
  auto t = WallTime::parseRfc3339("2026-11-22T23:20:01.123Z");
  ASSERT_TRUE(t.isOk()) << t.status().toString();
  EXPECT_EQ(t->unixMicros(), 1'795'389'601'123'000);
  auto offset = WallTime::parseRfc3339("2026-11-23T07:20:01.123+08:00");
  ASSERT_TRUE(offset.isOk());
  EXPECT_EQ(*offset, *t);
  EXPECT_EQ(WallTime::parseRfc3339("2024-02-29T00:00:00Z")->toRfc3339(), "2024-02-29T00:00:00Z");
}

TEST(WallTime, RejectsBadTimes) {
  for (const char* bad : {"", "2026-11-22", "2026-11-22T23:20:01", "2026-13-01T00:00:00Z",
                          "2026-02-30T00:00:00Z", "2026-11-22T24:00:00Z", "2026-11-22T23:20:01.Z",
                          "2026-11-22T23:20:01Zjunk", "2026-11-22T23:20:01+0800"}) {
    EXPECT_FALSE(WallTime::parseRfc3339(bad).isOk()) << bad;
  }
}

TEST(WallTime, NtpRoundTrip) {
  const WallTime t = WallTime::fromUnixMicros(1'795'389'601'123'456);
  EXPECT_EQ(t.toNtp() >> 32, 1'795'389'601ULL + 2'208'988'800ULL);
  EXPECT_LE(std::abs((WallTime::fromNtp(t.toNtp()) - t).count()), 1);
}

TEST(MediaTime, ArithmeticStaysInTicks) {
  const MediaTime a(90000);
  const MediaTime b = a + MediaDuration(3600);
  EXPECT_EQ((b - a).ticks(), 3600);
  EXPECT_DOUBLE_EQ((b - a).seconds(), 0.04);
}

TEST(ManualClock, MovesOnlyWhenTold) {
  ManualClock clock(WallTime::fromUnixMicros(1000));
  EXPECT_EQ(clock.now().unixMicros(), 1000);
  const auto steady = clock.steadyNow();
  clock.advance(std::chrono::seconds(2));
  EXPECT_EQ(clock.now().unixMicros(), 2'001'000);
  EXPECT_EQ(clock.steadyNow() - steady, std::chrono::seconds(2));
  clock.setWall(WallTime::fromUnixMicros(0));  // wall jumps back, steady does not
  EXPECT_EQ(clock.steadyNow() - steady, std::chrono::seconds(2));
}

}  // namespace
}  // namespace vigil

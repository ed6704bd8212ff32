#include "camera/camera.h"

#include <gtest/gtest.h>

namespace vigil::camera {
namespace {

TEST(Backoff, GrowsToTheCapWithJitterInTheUpperHalf) {
  Backoff b;  // 1 s .. 30 s
  std::mt19937 rng(1);
  for (int attempt = 0; attempt < 10; ++attempt) {
    const int64_t full = std::min<int64_t>(1000LL << attempt, 30000);
    for (int i = 0; i < 50; ++i) {
      const auto d = b.delay(attempt, rng).count();
      EXPECT_GE(d, full / 2) << attempt;
      EXPECT_LE(d, full) << attempt;
    }
  }
  EXPECT_LE(b.delay(1000, rng).count(), 30000);  // no overflow for long outages
}

}  // namespace
}  // namespace vigil::camera

#include "app/test_pattern.h"

#include <gtest/gtest.h>

#include <vector>

namespace vigil::app {
namespace {

TEST(TestPattern, ClockText) {
  EXPECT_EQ(clockText(0, 25), "00:00.00");
  EXPECT_EQ(clockText(25 * 61 + 7, 25), "01:01.07");
}

TEST(TestPattern, FramesDifferAndStayInRange) {
  const int w = 160, h = 90;
  std::vector<uint8_t> a(w * h * 3 / 2), b(w * h * 3 / 2);
  auto image = [&](std::vector<uint8_t>& buf) {
    return YuvImage{w, h, std::span<uint8_t>(buf.data(), w * h),
                    std::span<uint8_t>(buf.data() + w * h, w * h / 4),
                    std::span<uint8_t>(buf.data() + w * h * 5 / 4, w * h / 4), w, w / 2};
  };
  drawTestPattern(image(a), 3, 0, 25);
  drawTestPattern(image(b), 3, 10, 25);
  EXPECT_NE(a, b);  // the clock and the sweeping bar moved
  std::vector<uint8_t> c(a.size());
  drawTestPattern(image(c), 4, 0, 25);
  EXPECT_NE(a, c);  // the stream number differs
}

}  // namespace
}  // namespace vigil::app

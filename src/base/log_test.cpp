#include "base/log.h"

#include <gtest/gtest.h>

namespace vigil::log {
namespace {

TEST(Log, FormatsKeyValueFields) {
  EXPECT_EQ(formatLine("camera.state", {{"camera", "gate"}, {"fps", 25}, {"online", true}}),
            "camera.state camera=gate fps=25 online=true");
}

TEST(Log, QuotesValuesThatNeedIt) {
  EXPECT_EQ(formatLine("e", {{"name", "Village gate"}, {"q", "a\"b"}, {"empty", ""}, {"eq", "a=b"}}),
            "e name=\"Village gate\" q=\"a\\\"b\" empty=\"\" eq=\"a=b\"");
  EXPECT_EQ(formatLine("e", {{"nl", "a\nb"}}), "e nl=\"a\\nb\"");
}

TEST(Log, FormatsStatus) {
  EXPECT_EQ(formatLine("e", {{"error", Status::unavailable("refused")}}),
            "e error=\"unavailable: refused\"");
}

TEST(Log, HidesTheSecretsOfUrls) {
  EXPECT_EQ(formatLine("e", {{"url", "rtsp://u2:P4ss/Sl@sh@192.0.2.1/x"},
                             {"reason", Status::unavailable("cannot open rtsp://a:b@h/")}}),
            "e url=rtsp://u2:***@192.0.2.1/x reason=\"unavailable: cannot open rtsp://a:***@h/\"");
}

TEST(Log, ParsesLevels) {
  EXPECT_EQ(*parseLevel("debug"), Level::kDebug);
  EXPECT_EQ(*parseLevel("error"), Level::kError);
  EXPECT_FALSE(parseLevel("loud").isOk());
}

TEST(Log, RateLimitLetsOneLinePerIntervalAndCountsTheRest) {
  using std::chrono::milliseconds;
  RateLimit limit(milliseconds(1000));
  const RateLimit::Clock::time_point t0{};
  EXPECT_TRUE(limit.allow(t0));
  EXPECT_EQ(limit.suppressed(), 0u);
  EXPECT_FALSE(limit.allow(t0 + milliseconds(1)));
  EXPECT_FALSE(limit.allow(t0 + milliseconds(999)));
  EXPECT_TRUE(limit.allow(t0 + milliseconds(1000)));
  EXPECT_EQ(limit.suppressed(), 2u);
  EXPECT_TRUE(limit.allow(t0 + milliseconds(5000)));
  EXPECT_EQ(limit.suppressed(), 0u);
}

}  // namespace
}  // namespace vigil::log

#include "storage/transformed.h"

#include <gtest/gtest.h>

namespace vigil::storage {
namespace {

// One segment of 30 samples of 100 bytes in memory, a keyframe every 10.
PlaybackPlan planInMemory() {
  PlaybackSegment seg;
  seg.params = std::make_shared<const media::VideoParameters>();
  for (int i = 0; i < 30; ++i) seg.samples.push_back({9000, 100, i % 10 == 0});
  seg.memory = std::make_shared<const media::Bytes>(3000, uint8_t{7});
  seg.bytes = 3000;
  PlaybackPlan plan;
  plan.segments.push_back(std::move(seg));
  plan.bytes = 3000;
  plan.frames = 30;
  return plan;
}

// A transform that makes ten times the bytes it reads (a noisy picture
// encoded again), counting its calls.
SampleTransform inflating(int& calls) {
  return [&calls](const SampleRun& run) -> Result<SampleRun> {
    ++calls;
    SampleRun out{run.params, run.samples, {}};
    for (SampleInfo& s : out.samples) s.bytes *= 10;
    out.data.assign(run.data.size() * 10, uint8_t{1});
    return out;
  };
}

// A budget of `maxBytes` and an hour.
TransformBudget budget(uint64_t maxBytes) { return {maxBytes, std::chrono::steady_clock::now() + std::chrono::hours(1)}; }

TEST(TransformedPlan, EveryKeyframeRunIsTransformedWithinItsBudget) {
  int calls = 0;
  auto plan = transformedPlan(planInMemory(), inflating(calls), budget(30000));
  ASSERT_TRUE(plan) << plan.status().toString();
  EXPECT_EQ(calls, 3);
  EXPECT_EQ(plan->bytes, 30000u);
  EXPECT_EQ(plan->frames, 30u);
}

TEST(TransformedPlan, StopsOnceTheNewBytesPassTheirBound) {
  int calls = 0;
  auto plan = transformedPlan(planInMemory(), inflating(calls), budget(15000));
  ASSERT_FALSE(plan);
  EXPECT_EQ(plan.status().code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(calls, 2);  // the third run is not transformed
}

TEST(TransformedPlan, StopsAtItsDeadline) {
  int calls = 0;
  auto plan = transformedPlan(planInMemory(), inflating(calls), {30000, std::chrono::steady_clock::now()});
  ASSERT_FALSE(plan);
  EXPECT_EQ(plan.status().code(), StatusCode::kDeadlineExceeded);
  EXPECT_EQ(calls, 0);
}

}  // namespace
}  // namespace vigil::storage

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

// A budget of `memory` and an hour.
TransformBudget budget(std::shared_ptr<TransformedMemory> memory) {
  return {std::move(memory), std::chrono::steady_clock::now() + std::chrono::hours(1)};
}

TEST(TransformedPlan, EveryKeyframeRunIsTransformedWithinItsBudget) {
  int calls = 0;
  auto memory = std::make_shared<TransformedMemory>(30000);
  auto plan = transformedPlan(planInMemory(), inflating(calls), budget(memory));
  ASSERT_TRUE(plan) << plan.status().toString();
  EXPECT_EQ(calls, 3);
  EXPECT_EQ(plan->bytes, 30000u);
  EXPECT_EQ(plan->frames, 30u);
  EXPECT_EQ(memory->held(), 30000u);
  plan = Status::notFound("gone");
  EXPECT_EQ(memory->held(), 0u);  // given back with the plan's samples
}

TEST(TransformedPlan, StopsOnceTheNewBytesPassTheirBound) {
  int calls = 0;
  auto memory = std::make_shared<TransformedMemory>(15000);
  auto plan = transformedPlan(planInMemory(), inflating(calls), budget(memory));
  ASSERT_FALSE(plan);
  EXPECT_EQ(plan.status().code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(calls, 2);  // the third run is not transformed
  EXPECT_EQ(memory->held(), 0u);
}

TEST(TransformedPlan, PlansHeldTogetherShareTheirMemory) {
  int calls = 0;
  auto memory = std::make_shared<TransformedMemory>(45000);
  auto first = transformedPlan(planInMemory(), inflating(calls), budget(memory));
  ASSERT_TRUE(first) << first.status().toString();
  // A second plan while the first is held: 15000 bytes of its 30000 fit.
  auto second = transformedPlan(planInMemory(), inflating(calls), budget(memory));
  ASSERT_FALSE(second);
  EXPECT_EQ(second.status().code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(memory->held(), 30000u);
  // Once the last holder of the first's samples (its file) is gone, it fits.
  std::shared_ptr<const media::Bytes> file = first->segments[0].memory;
  first = Status::notFound("gone");
  EXPECT_EQ(memory->held(), 30000u);
  file.reset();
  EXPECT_EQ(memory->held(), 0u);
  EXPECT_TRUE(transformedPlan(planInMemory(), inflating(calls), budget(memory)));
}

TEST(TransformedPlan, StopsAtItsDeadline) {
  int calls = 0;
  auto plan = transformedPlan(planInMemory(), inflating(calls),
                              {std::make_shared<TransformedMemory>(30000), std::chrono::steady_clock::now()});
  ASSERT_FALSE(plan);
  EXPECT_EQ(plan.status().code(), StatusCode::kDeadlineExceeded);
  EXPECT_EQ(calls, 0);
}

}  // namespace
}  // namespace vigil::storage

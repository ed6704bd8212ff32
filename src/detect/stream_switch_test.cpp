#include "detect/stream_switch.h"

#include <gtest/gtest.h>

namespace vigil::detect {
namespace {

using std::chrono::milliseconds;
using Steady = std::chrono::steady_clock;

media::Frame frame(bool keyframe) {
  media::Frame f;
  f.keyframe = keyframe;
  return f;
}

class StreamSwitchTest : public ::testing::Test {
 protected:
  // take() at `at` ms; newSegment reported through `segment`.
  bool take(StreamKind stream, bool keyframe, int at) {
    segment = false;
    return sw.take(stream, frame(keyframe), start + milliseconds(at), segment);
  }
  StreamSwitch sw{milliseconds(3000)};
  Steady::time_point start = Steady::now();
  bool segment = false;
};

// DETECT.md "Sub streams" 1: the main stream until the sub stream's first
// keyframe, then only the sub stream, from a new segment.
TEST_F(StreamSwitchTest, TakesTheSubStreamFromItsFirstKeyframe) {
  EXPECT_TRUE(take(StreamKind::kMain, true, 0));
  EXPECT_FALSE(segment);
  EXPECT_FALSE(take(StreamKind::kSub, false, 10));  // mid-GOP: not yet
  EXPECT_TRUE(take(StreamKind::kMain, false, 20));
  EXPECT_EQ(sw.current(), StreamKind::kMain);
  EXPECT_TRUE(take(StreamKind::kSub, true, 30));
  EXPECT_TRUE(segment);
  EXPECT_EQ(sw.current(), StreamKind::kSub);
  EXPECT_FALSE(take(StreamKind::kMain, true, 40));
  EXPECT_FALSE(take(StreamKind::kMain, false, 50));
  EXPECT_TRUE(take(StreamKind::kSub, false, 60));
  EXPECT_FALSE(segment);
}

// DETECT.md "Sub streams" 2: a sub stream quiet for longer than `quiet`
// hands back to the main stream at its next keyframe, and takes over
// again when it delivers.
TEST_F(StreamSwitchTest, FallsBackToTheMainStreamWhileTheSubStreamIsQuiet) {
  EXPECT_TRUE(take(StreamKind::kSub, true, 0));
  EXPECT_FALSE(take(StreamKind::kMain, true, 2000));  // the sub stream is only 2 s quiet
  EXPECT_FALSE(take(StreamKind::kMain, false, 3500));  // quiet, but mid-GOP
  EXPECT_TRUE(take(StreamKind::kMain, true, 4000));
  EXPECT_TRUE(segment);
  EXPECT_EQ(sw.current(), StreamKind::kMain);
  EXPECT_TRUE(take(StreamKind::kMain, false, 4040));
  EXPECT_FALSE(take(StreamKind::kSub, false, 9000));  // back, mid-GOP
  EXPECT_TRUE(take(StreamKind::kMain, false, 9010));
  EXPECT_TRUE(take(StreamKind::kSub, true, 9020));
  EXPECT_TRUE(segment);
  EXPECT_EQ(streamKindName(sw.current()), "sub");
}

// A camera without a sub stream: every main frame, none a new segment.
TEST_F(StreamSwitchTest, WithoutASubStreamEveryMainFrameIsTaken) {
  for (int i = 0; i < 100; ++i) {
    EXPECT_TRUE(take(StreamKind::kMain, i % 25 == 0, i * 40));
    EXPECT_FALSE(segment);
  }
}

}  // namespace
}  // namespace vigil::detect

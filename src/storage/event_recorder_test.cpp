#include "storage/event_recorder.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

#include "storage/store.h"
#include "storage/test_frames.h"

namespace vigil::storage {
namespace {

using testing::frame;
using testing::h264Params;

constexpr int64_t kStart = 1'800'000'000'000'000;
constexpr int kFps = 25;
constexpr int kGop = 50;  // 2 s

// What the recorder handed on: frame numbers (from the capture time),
// "+" before one that starts a new segment, "|" for the end of a run.
class Capture final : public EventOutput {
 public:
  void append(const media::Frame& f, bool newSegment) override {
    const int64_t index = (f.captureTime.unixMicros() - kStart) * kFps / 1'000'000;
    items.push_back(fmt::format("{}{}", newSegment ? "+" : "", index));
  }
  void endSegment() override { items.push_back("|"); }
  std::vector<std::string> items;
};

// "+150", "151", ..., "160": a run of frame numbers.
std::vector<std::string> run(int from, int to, bool newSegment = true) {
  std::vector<std::string> out;
  for (int i = from; i < to; ++i) out.push_back(fmt::format("{}{}", newSegment && i == from ? "+" : "", i));
  return out;
}
std::vector<std::string> operator+(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

class EventRecorderTest : public ::testing::Test {
 protected:
  // Frames [from, to), 25 fps, a keyframe every 2 s.
  void feed(int from, int to, bool newSegment = false) {
    for (int i = from; i < to; ++i) recorder.onFrame(frame(i, i % kGop == 0, kStart, params), newSegment && i == from, out);
  }
  std::shared_ptr<const media::VideoParameters> params = h264Params();
  EventRecorder recorder{"gate", EventRecorderOptions{}};
  Capture out;
};

TEST_F(EventRecorderTest, RecordsNothingWithoutAnEventAndKeepsOnlyThePreRoll) {
  feed(0, 300);  // 12 s
  EXPECT_TRUE(out.items.empty());
  // From the last keyframe at or before 11.96 s - 5 s: frame 150 (6 s).
  EXPECT_EQ(recorder.bufferedFrames(), 150u);
}

TEST_F(EventRecorderTest, AnEventRecordsFromTheKeyframeBeforeThePreRollUntilAKeyframeAfterThePostRoll) {
  feed(0, 300);
  ASSERT_TRUE(recorder.open());
  EXPECT_FALSE(recorder.open());
  EXPECT_TRUE(recorder.isOpen());
  feed(300, 400);  // opens at frame 300 (12 s): 12 - 5 = 7 s, keyframe at or before: 150 (6 s)
  ASSERT_TRUE(recorder.close());
  EXPECT_FALSE(recorder.close());
  EXPECT_FALSE(recorder.isOpen());
  // Closes at frame 400 (16 s); the post-roll runs to 21 s, the next keyframe is 550 (22 s).
  feed(400, 700);
  EXPECT_EQ(out.items, run(150, 550) + std::vector<std::string>{"|"});
  EXPECT_EQ(recorder.bufferedFrames(), 150u);  // idle again: 550..699
}

TEST_F(EventRecorderTest, AnEventOpenedAndClosedBetweenTwoFramesStillGetsBothRolls) {
  feed(0, 300);
  ASSERT_TRUE(recorder.open());
  ASSERT_TRUE(recorder.close());
  feed(300, 500);
  EXPECT_EQ(out.items, run(150, 450) + std::vector<std::string>{"|"});
}

TEST_F(EventRecorderTest, ReopeningDuringThePostRollContinuesTheSameRun) {
  feed(0, 300);
  recorder.open();
  feed(300, 310);
  recorder.close();
  feed(310, 350);
  recorder.open();
  feed(350, 400);
  recorder.close();
  feed(400, 600);
  EXPECT_EQ(out.items, run(150, 550) + std::vector<std::string>{"|"});
}

TEST_F(EventRecorderTest, ANextEventsPreRollContinuesWhereThePostRollEndedWithoutAGap) {
  feed(0, 300);
  recorder.open();
  recorder.close();
  feed(300, 460);  // run 150..449, the keyframe 450 starts the pre-roll again
  recorder.open();
  feed(460, 470);
  EXPECT_EQ(out.items, run(150, 450) + std::vector<std::string>{"|"} + run(450, 470));
}

TEST_F(EventRecorderTest, AnEventBeforeAnyKeyframeStartsAtTheNextKeyframe) {
  feed(1, 20);  // no keyframe yet: nothing to keep
  EXPECT_EQ(recorder.bufferedFrames(), 0u);
  recorder.open();
  feed(20, 60);
  EXPECT_EQ(out.items, run(50, 60));
}

TEST_F(EventRecorderTest, APreRollOfZeroStartsAtTheLatestKeyframe) {
  EventRecorder zero("gate", EventRecorderOptions{.preRoll = MediaDuration(0), .postRoll = MediaDuration(0)});
  for (int i = 0; i < 120; ++i) zero.onFrame(frame(i, i % kGop == 0, kStart, params), false, out);
  zero.open();
  zero.close();
  for (int i = 120; i < 160; ++i) zero.onFrame(frame(i, i % kGop == 0, kStart, params), false, out);
  // Opened and closed at 120; the post-roll of 0 ends at the next keyframe.
  EXPECT_EQ(out.items, run(100, 150) + std::vector<std::string>{"|"});
}

TEST_F(EventRecorderTest, ADiscontinuityRestartsThePreRollAndPassesThroughAnEvent) {
  feed(0, 300);
  feed(310, 330, true);  // reconnected: what came before is another segment
  EXPECT_EQ(recorder.bufferedFrames(), 0u);  // 310 is not a keyframe: waits for 350
  feed(330, 360);
  EXPECT_EQ(recorder.bufferedFrames(), 10u);
  recorder.open();
  feed(360, 380);
  feed(400, 420, true);  // a discontinuity during the event is handed on
  EXPECT_EQ(out.items, run(350, 380) + run(400, 420));
}

TEST_F(EventRecorderTest, ADiscontinuityDuringThePostRollKeepsWhatRemainsOfIt) {
  feed(0, 300);
  recorder.open();
  recorder.close();  // at 300: the post-roll runs to 425 (17 s)
  feed(300, 350);
  // Reconnected with pts 1000 s later: 75 frames of post-roll remain.
  for (int i = 350; i < 600; ++i) {
    media::Frame f = frame(i, i % kGop == 0, kStart, params);
    f.pts = f.pts + MediaDuration(1000 * 90000);
    recorder.onFrame(f, i == 350, out);
  }
  // The remaining post-roll ends at 425 + 1 frame; the next keyframe is 450.
  EXPECT_EQ(out.items, run(150, 350) + run(350, 450) + std::vector<std::string>{"|"});
}

TEST_F(EventRecorderTest, ThePreRollStaysWithinItsByteLimit) {
  // Each GOP is about 10 KB here; keep at most 15 KB: one GOP at a time.
  EventRecorder small("gate", EventRecorderOptions{.maxPreRollBytes = 15000});
  for (int i = 0; i < 300; ++i) {
    small.onFrame(frame(i, i % kGop == 0, kStart, params), false, out);
    ASSERT_LE(small.bufferedBytes(), 15000u);
  }
  EXPECT_EQ(small.bufferedFrames(), 50u);
  small.open();
  small.onFrame(frame(300, true, kStart, params), false, out);
  EXPECT_EQ(out.items, run(250, 301));
  // A limit below one GOP keeps nothing.
  EventRecorder tiny("gate", EventRecorderOptions{.maxPreRollBytes = 5000});
  for (int i = 0; i < 300; ++i) tiny.onFrame(frame(i, i % kGop == 0, kStart, params), false, out);
  EXPECT_EQ(tiny.bufferedFrames(), 0u);
}

// Through the real store: the run becomes one sealed recording from the
// pre-roll's keyframe to the end of the post-roll, its last frame included.
TEST(EventRecorderStoreTest, TheRunIsOneSealedRecordingOfThePreRollTheEventAndThePostRoll) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / fmt::format("vigil-event-test-{}", ::getpid());
  fs::remove_all(dir);
  StoreOptions o;
  o.dataDir = dir.string();
  o.writer.commitInterval = std::chrono::milliseconds(20);
  o.writer.syncBeforeCommit = false;
  o.writer.staggerRotation = false;
  auto store = Store::open(o);
  ASSERT_TRUE(store.isOk()) << store.status().toString();
  EventRecorder recorder("gate", EventRecorderOptions{});
  StoreOutput output(**store, "gate");
  auto params = h264Params();
  auto feed = [&](int from, int to) {
    for (int i = from; i < to; ++i) recorder.onFrame(frame(i, i % kGop == 0, kStart, params), false, output);
  };
  feed(0, 300);
  recorder.open();
  feed(300, 400);
  recorder.close();
  feed(400, 700);
  // Sealed by the end of the run, before the store stops.
  std::vector<RecordingInfo> recs;
  for (int tries = 0; tries < 500; ++tries) {
    auto listed = (*store)->recordings("gate", WallTime::fromUnixMicros(0), WallTime::fromUnixMicros(kStart * 2));
    ASSERT_TRUE(listed.isOk());
    recs = *listed;
    if (recs.size() == 1 && recs[0].sealed) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_TRUE(recs[0].sealed);
  EXPECT_EQ(recs[0].samples, 400u);  // 150..549
  EXPECT_EQ(recs[0].start, WallTime::fromUnixMicros(kStart + 6'000'000));
  EXPECT_EQ(recs[0].end, WallTime::fromUnixMicros(kStart + 22'000'000));
  (*store)->stop();
  fs::remove_all(dir);
}

}  // namespace
}  // namespace vigil::storage

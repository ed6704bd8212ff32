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

using testing::aacParams;
using testing::audioFrame;
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
  // Audio frames as "a" and their number (64 ms each, from kStart).
  void appendAudio(const media::Frame& f, bool newSegment) override {
    const int64_t index = (f.captureTime.unixMicros() - kStart) / 64000;
    audio.push_back(fmt::format("{}a{}", newSegment ? "+" : "", index));
  }
  void endSegment() override {
    items.push_back("|");
    audio.push_back("|");
  }
  std::vector<std::string> items;
  std::vector<std::string> audio;
};

// "+150", "151", ..., "160": a run of frame numbers ("+a94", "a95"... of
// audio frames with `prefix` "a").
std::vector<std::string> run(int from, int to, bool newSegment = true, std::string_view prefix = "") {
  std::vector<std::string> out;
  for (int i = from; i < to; ++i) out.push_back(fmt::format("{}{}{}", newSegment && i == from ? "+" : "", prefix, i));
  return out;
}
std::vector<std::string> audioRun(int from, int to) { return run(from, to, true, "a"); }
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
  // The same with the camera's audio (16 kHz AAC, 64 ms a frame): after
  // each video frame, the audio frames that start before the next one, as
  // a camera sends them (each after the video of its time).
  void feedWithAudio(int from, int to) {
    for (int i = from; i < to; ++i) {
      recorder.onFrame(frame(i, i % kGop == 0, kStart, params), false, out);
      const MediaTime next = frame(i + 1, false, kStart, params).pts;
      for (;; ++nextAudio_) {
        media::Frame a = audioFrame(nextAudio_, kStart, audioParams);
        if (a.pts >= next) break;
        recorder.onAudio(a, nextAudio_ == 0, out);
      }
    }
  }
  std::shared_ptr<const media::VideoParameters> params = h264Params();
  std::shared_ptr<const media::AudioParameters> audioParams = aacParams();
  int nextAudio_ = 0;
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

// Audio is kept in the pre-roll and recorded with the video's start and
// end: from the run's first keyframe (frame 150, 6 s: audio frame 94 at
// 6.016 s is the first to start at or after it) to before the keyframe
// that ends it (frame 550, 22 s: audio frame 343 at 21.952 s is the last
// to start before it). The next pre-roll's audio starts there.
TEST_F(EventRecorderTest, AudioIsKeptInThePreRollAndRecordedFromTheRunsKeyframeToItsEnd) {
  feedWithAudio(0, 300);
  EXPECT_TRUE(out.audio.empty());
  EXPECT_GT(recorder.bufferedAudioFrames(), 0u);
  recorder.open();
  feedWithAudio(300, 400);
  recorder.close();
  feedWithAudio(400, 700);
  EXPECT_EQ(out.items, run(150, 550) + std::vector<std::string>{"|"});
  EXPECT_EQ(out.audio, audioRun(94, 344) + std::vector<std::string>{"|"});
  // A second event: its audio follows on from the first run's.
  recorder.open();
  recorder.close();
  feedWithAudio(700, 900);
  EXPECT_EQ(out.audio, audioRun(94, 344) + std::vector<std::string>{"|"} + audioRun(344, 532) +
                           std::vector<std::string>{"|"});
}

// Audio that comes before the video of its time (the video masked, so
// late) waits for it and still goes where that video goes.
TEST_F(EventRecorderTest, AudioAheadOfItsVideoWaitsForIt) {
  for (int i = 0; i < 700; ++i) {
    if (i == 300) recorder.open();
    if (i == 400) recorder.close();
    // All audio up to 1 s after this frame is already there.
    const MediaTime ahead = frame(i + 25, false, kStart, params).pts;
    for (;; ++nextAudio_) {
      media::Frame a = audioFrame(nextAudio_, kStart, audioParams);
      if (a.pts >= ahead) break;
      recorder.onAudio(a, nextAudio_ == 0, out);
    }
    recorder.onFrame(frame(i, i % kGop == 0, kStart, params), false, out);
  }
  EXPECT_EQ(out.items, run(150, 550) + std::vector<std::string>{"|"});
  EXPECT_EQ(out.audio, audioRun(94, 344) + std::vector<std::string>{"|"});
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
// pre-roll's keyframe to the end of the post-roll, its last frame included,
// and its audio one sealed recording of the same span beside it.
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
  auto audioParams = aacParams();
  int nextAudio = 0;
  auto feed = [&](int from, int to) {
    for (int i = from; i < to; ++i) {
      recorder.onFrame(frame(i, i % kGop == 0, kStart, params), false, output);
      for (;; ++nextAudio) {
        media::Frame a = audioFrame(nextAudio, kStart, audioParams);
        if (a.pts >= frame(i + 1, false, kStart, params).pts) break;
        recorder.onAudio(a, nextAudio == 0, output);
      }
    }
  };
  feed(0, 300);
  recorder.open();
  feed(300, 400);
  recorder.close();
  feed(400, 700);
  // Sealed by the end of the run, before the store stops.
  auto sealed = [&](const std::string& stream) {
    std::vector<RecordingInfo> recs;
    for (int tries = 0; tries < 500; ++tries) {
      auto listed = (*store)->recordings(stream, WallTime::fromUnixMicros(0), WallTime::fromUnixMicros(kStart * 2));
      EXPECT_TRUE(listed.isOk());
      if (!listed.isOk()) break;
      recs = *listed;
      if (recs.size() == 1 && recs[0].sealed) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return recs;
  };
  const std::vector<RecordingInfo> recs = sealed("gate");
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_TRUE(recs[0].sealed);
  EXPECT_EQ(recs[0].samples, 400u);  // 150..549
  EXPECT_EQ(recs[0].start, WallTime::fromUnixMicros(kStart + 6'000'000));
  EXPECT_EQ(recs[0].end, WallTime::fromUnixMicros(kStart + 22'000'000));
  const std::vector<RecordingInfo> audio = sealed(audioStreamOf("gate"));
  ASSERT_EQ(audio.size(), 1u);
  EXPECT_TRUE(audio[0].sealed);
  EXPECT_EQ(audio[0].samples, 250u);  // 94..343
  EXPECT_EQ(audio[0].start, WallTime::fromUnixMicros(kStart + 94 * 64'000));
  EXPECT_EQ(audio[0].end, WallTime::fromUnixMicros(kStart + 344 * 64'000));
  (*store)->stop();
  fs::remove_all(dir);
}

}  // namespace
}  // namespace vigil::storage

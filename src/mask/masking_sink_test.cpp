#include "mask/masking_sink.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <mutex>
#include <thread>

#include "detect/testing/h264_file.h"

namespace vigil::mask {
namespace {

using namespace std::chrono_literals;

// What the node's CameraSink would get.
struct Collected final : camera::FrameSink {
  void onFrame(const std::string& camera, const media::SharedFrame& frame, bool newSegment) override {
    std::lock_guard lock(mutex);
    EXPECT_EQ(camera, "door");
    frames.push_back(frame);
    segments.push_back(newSegment);
  }
  void onSessionEnd(const std::string& camera) override {
    std::lock_guard lock(mutex);
    EXPECT_EQ(camera, "door");
    ends.push_back(frames.size());
  }
  size_t size() {
    std::lock_guard lock(mutex);
    return frames.size();
  }
  std::mutex mutex;
  std::vector<media::SharedFrame> frames;
  std::vector<bool> segments;
  std::vector<size_t> ends;  // frames handed on before each session's end
};

TEST(MaskingSink, HandsOnMaskedFramesInOrderAndDropsToAKeyframeWhenBehind) {
  const std::string path = (std::filesystem::temp_directory_path() / "masking_sink.h264").string();
  ASSERT_TRUE(detect::testing::encodeScene("-f lavfi -i testsrc2=size=320x180:rate=10 -t 20", 10, path).isOk());
  auto frames = detect::testing::readH264File(path, 10);
  std::filesystem::remove(path);
  ASSERT_TRUE(frames);
  ASSERT_EQ(frames->size(), 200u);

  boost::asio::thread_pool pool(1);
  Collected next;
  uint64_t dropped = 0;
  {
    MaskingSink sink(pool, {{{0.5, 0}, {1, 0}, {1, 0.5}, {0.5, 0.5}}}, next);
    // 200 frames at once, far faster than one thread masks them: the
    // camera's loop never waits, and what cannot wait is dropped.
    for (size_t i = 0; i < frames->size(); ++i) sink.onFrame("door", (*frames)[i], i == 0);
    dropped = sink.dropped();
    EXPECT_GT(dropped, 0u);
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    while (next.size() < frames->size() - dropped && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(10ms);
    }
    EXPECT_EQ(sink.dropped(), dropped);
  }
  std::lock_guard lock(next.mutex);
  ASSERT_EQ(next.frames.size(), frames->size() - dropped);  // every frame queued came out, masked
  EXPECT_TRUE(next.frames.front()->keyframe);
  EXPECT_TRUE(next.segments.front());
  for (size_t i = 1; i < next.frames.size(); ++i) {
    EXPECT_LT(next.frames[i - 1]->pts, next.frames[i]->pts);  // in order
    // A jump (frames dropped) starts a new segment at a keyframe.
    if (next.frames[i]->pts.ticks() - next.frames[i - 1]->pts.ticks() > 9000) {
      EXPECT_TRUE(next.frames[i]->keyframe);
      EXPECT_TRUE(next.segments[i]);
    }
  }
}

// A camera's session ended (design/REGISTER.md, invariant 12): its frames
// still waiting or being masked are not handed on after the next sink
// heard of the end, so nothing from before it lands in the live stream's
// new cache; the next session's come out, from its keyframe.
TEST(MaskingSink, HandsOnNothingOfASessionAfterItsEnd) {
  const std::string path = (std::filesystem::temp_directory_path() / "masking_sink_end.h264").string();
  ASSERT_TRUE(detect::testing::encodeScene("-f lavfi -i testsrc2=size=320x180:rate=10 -t 3", 10, path).isOk());
  auto frames = detect::testing::readH264File(path, 10);
  std::filesystem::remove(path);
  ASSERT_TRUE(frames);
  ASSERT_EQ(frames->size(), 30u);
  // The next session's frames: the same pictures an hour on.
  constexpr int64_t kLater = 3600 * MediaDuration::kTicksPerSecond;
  std::vector<media::SharedFrame> later;
  for (const media::SharedFrame& f : *frames) {
    auto copy = std::make_shared<media::Frame>(*f);
    copy->pts = MediaTime(f->pts.ticks() + kLater);
    later.push_back(std::move(copy));
  }

  boost::asio::thread_pool pool(1);
  Collected next;
  {
    MaskingSink sink(pool, {{{0.5, 0}, {1, 0}, {1, 0.5}, {0.5, 0.5}}}, next);
    // 30 frames at once: most still wait to be masked as the session ends.
    for (size_t i = 0; i < frames->size(); ++i) sink.onFrame("door", (*frames)[i], i == 0);
    sink.onSessionEnd("door");
    for (size_t i = 0; i < later.size(); ++i) sink.onFrame("door", later[i], i == 0);
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    auto laterOut = [&] {
      std::lock_guard lock(next.mutex);
      return std::count_if(next.frames.begin(), next.frames.end(),
                           [&](const auto& f) { return f->pts.ticks() >= kLater; });
    };
    while (laterOut() < static_cast<ptrdiff_t>(later.size()) && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(10ms);
    }
    EXPECT_EQ(sink.dropped(), 0u);
  }
  std::lock_guard lock(next.mutex);
  ASSERT_EQ(next.ends.size(), 1u);
  const size_t end = next.ends.front();
  for (size_t i = 0; i < next.frames.size(); ++i) {
    EXPECT_EQ(next.frames[i]->pts.ticks() >= kLater, i >= end) << "frame " << i << " of " << next.frames.size();
  }
  ASSERT_EQ(next.frames.size(), end + later.size());  // every frame of the next session
  EXPECT_TRUE(next.frames[end]->keyframe);
  EXPECT_TRUE(next.segments[end]);
}

}  // namespace
}  // namespace vigil::mask

#include "mask/masking_sink.h"

#include <gtest/gtest.h>

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
  size_t size() {
    std::lock_guard lock(mutex);
    return frames.size();
  }
  std::mutex mutex;
  std::vector<media::SharedFrame> frames;
  std::vector<bool> segments;
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

}  // namespace
}  // namespace vigil::mask

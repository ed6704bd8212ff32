#include "mask/masked_live.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <thread>

#include "detect/testing/h264_file.h"

namespace vigil::mask {
namespace {

using namespace std::chrono_literals;

const detect::Polygon kWindow = {{0.5, 0}, {1, 0}, {1, 0.5}, {0.5, 0.5}};

// `seconds` of a 320x180 test picture at 10 fps, a keyframe every 10 frames.
Result<std::vector<media::SharedFrame>> scene(const std::string& name, int seconds) {
  const std::string path = (std::filesystem::temp_directory_path() / name).string();
  VIGIL_RETURN_IF_ERROR(detect::testing::encodeScene(
      "-f lavfi -i testsrc2=size=320x180:rate=10 -t " + std::to_string(seconds), 10, path));
  auto frames = detect::testing::readH264File(path, 10);
  std::filesystem::remove(path);
  return frames;
}

TEST(MaskedLive, OneMaskedStreamPerCameraWhileHeldOfTheCamerasFrames) {
  auto frames = scene("masked_live.h264", 2);
  ASSERT_TRUE(frames) << frames.status().toString();

  media::LiveRegistry live;
  MaskedLive masked(live, {{"door", {kWindow}}}, 1);
  EXPECT_TRUE(masked.masked("door"));
  EXPECT_FALSE(masked.masked("gate"));
  EXPECT_EQ(masked.hold("gate").status().code(), StatusCode::kNotFound);

  // The camera's first GOP is cached before anyone holds the masked stream.
  auto camera = live.stream("door");
  for (size_t i = 0; i < 10; ++i) camera->publish((*frames)[i], i == 0);
  auto first = masked.hold("door");
  ASSERT_TRUE(first);
  auto second = masked.hold("door");
  ASSERT_TRUE(second);
  EXPECT_EQ(first->get(), second->get());  // shared by every holder
  auto viewer = (*first)->subscribe([] {});
  std::vector<media::LiveItem> got;
  auto collect = [&](size_t n) {
    std::vector<media::LiveItem> items;
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    while (got.size() < n && std::chrono::steady_clock::now() < deadline) {
      ASSERT_TRUE(viewer->pop(items).isOk());
      got.insert(got.end(), items.begin(), items.end());
      std::this_thread::sleep_for(10ms);
    }
  };
  collect(10);  // the cached GOP, masked
  ASSERT_EQ(got.size(), 10u);
  for (size_t i = 10; i < frames->size(); ++i) camera->publish((*frames)[i], false);
  collect(frames->size());
  ASSERT_EQ(got.size(), frames->size());
  EXPECT_TRUE(got.front().frame->keyframe);
  EXPECT_TRUE(got.front().newSegment);
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].frame->pts, (*frames)[i]->pts);
    EXPECT_EQ(got[i].frame->params->codec, media::VideoCodec::kH264);
    // Not the camera's bytes: encoded again (the pixels: masker_test.cpp).
    EXPECT_NE(got[i].frame->data, (*frames)[i]->data);
  }

  std::weak_ptr<media::LiveStream> weak = *first;
  viewer.reset();
  first->reset();
  EXPECT_FALSE(weak.expired());  // still held by the second holder
  second->reset();
  const auto released = std::chrono::steady_clock::now() + 10s;
  while (!weak.expired() && std::chrono::steady_clock::now() < released) std::this_thread::sleep_for(10ms);
  EXPECT_TRUE(weak.expired());  // the last holder gone, the masking stops
  auto again = masked.hold("door");
  ASSERT_TRUE(again);  // and starts again on the next hold
}

// The camera's session ended and its live stream dropped its cache
// (app's CameraSink): the masked stream, held meanwhile, drops its own, so
// a viewer or a register picture from then on waits for the next
// session's keyframe rather than get the last one's, masked
// (design/REGISTER.md, invariant 12).
TEST(MaskedLive, DropsItsCacheWhenTheCamerasStreamDropsIts) {
  auto frames = scene("masked_live_drop.h264", 2);
  ASSERT_TRUE(frames) << frames.status().toString();

  media::LiveRegistry live;
  MaskedLive masked(live, {{"door", {kWindow}}}, 1);
  auto camera = live.stream("door");
  auto held = masked.hold("door");
  ASSERT_TRUE(held);
  for (size_t i = 0; i < 5; ++i) camera->publish((*frames)[i], i == 0);
  auto cached = [&] { return (*held)->stats().gopFrames; };
  auto waitFor = [&](auto done) {
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    while (!done() && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(10ms);
    return done();
  };
  ASSERT_TRUE(waitFor([&] { return cached() == 5; }));  // masked and cached

  camera->dropCache();  // the session ended; no frame comes until the next one
  ASSERT_TRUE(waitFor([&] { return cached() == 0; }));
  std::vector<media::LiveItem> items;
  EXPECT_TRUE((*held)->subscribe([] {})->pop(items).isOk());
  EXPECT_TRUE(items.empty());

  // The next session: from its keyframe, masked again.
  for (size_t i = 10; i < 13; ++i) camera->publish((*frames)[i], i == 10);
  ASSERT_TRUE(waitFor([&] { return cached() == 3; }));
  auto viewer = (*held)->subscribe([] {});
  EXPECT_TRUE(viewer->pop(items).isOk());
  ASSERT_EQ(items.size(), 3u);
  EXPECT_EQ(items.front().frame->pts, (*frames)[10]->pts);
  EXPECT_TRUE(items.front().frame->keyframe);
}

}  // namespace
}  // namespace vigil::mask

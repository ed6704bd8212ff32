#include "app/testcam.h"

#include <gtest/gtest.h>

#include "app/test_scene.h"
#include "media/send_time_sei.h"

namespace vigil::app {
namespace {

TestcamOptions small(media::VideoCodec codec) {
  TestcamOptions o;
  o.codec = codec;
  o.width = 320;
  o.height = 240;
  o.fps = 10;
  o.gop = 10;
  o.loopSeconds = 2;
  o.bitrateKbps = 500;
  return o;
}

TEST(Testcam, EncodesALoopOfWholeGopsAtTheBitrate) {
  for (auto codec : {media::VideoCodec::kH264, media::VideoCodec::kH265}) {
    auto stream = encodeTestStream(small(codec), 0);
    ASSERT_TRUE(stream.isOk()) << stream.status().toString();
    const auto& units = (*stream)->units;
    ASSERT_EQ(units.size(), 20u);
    size_t bytes = 0, keyframes = 0;
    uint64_t ticks = 0;
    for (size_t i = 0; i < units.size(); ++i) {
      EXPECT_EQ(units[i]->keyframe, i % 10 == 0) << i;
      keyframes += units[i]->keyframe;
      bytes += units[i]->data.size();
      ticks += units[i]->duration;
    }
    EXPECT_EQ(keyframes, 2u);
    EXPECT_EQ(ticks, 2u * 90000);
    // 500 kbit/s for 2 s is 125000 bytes; filler brings it within a few %.
    EXPECT_GT(bytes, 115000u);
    EXPECT_LT(bytes, 140000u);
    EXPECT_NE((*stream)->fmtp.find(codec == media::VideoCodec::kH264 ? "sprop-parameter-sets=Z" : "sprop-vps=QAEM"),
              std::string::npos)
        << (*stream)->fmtp;
  }
}

// Two streams of a one-second loop: enough for the catalog's paths.
TestcamOptions twoStreams() {
  auto o = small(media::VideoCodec::kH264);
  o.streams = 2;
  o.loopSeconds = 1;
  return o;
}

TEST(Testcam, CatalogServesCamPaths) {
  auto o = twoStreams();
  auto catalog = buildTestcamCatalog(o);
  ASSERT_TRUE(catalog.isOk());
  EXPECT_NE((*catalog)->find("/cam/0"), nullptr);
  EXPECT_NE((*catalog)->find("/cam/1"), nullptr);
  EXPECT_NE((*catalog)->find("/cam/0"), (*catalog)->find("/cam/1"));
  for (const char* bad : {"/cam/2", "/cam/", "/cam/01", "/cam/-1", "/cam/1x", "/x/0", "", "/cam/2/sub", "/cam/sub",
                          "/cam/0/sub/", "/cam/0sub"}) {
    EXPECT_EQ((*catalog)->find(bad), nullptr) << bad;
  }
}

// ARCHITECTURE.md "Sub streams" 5: each stream's sub stream at half the
// width and height (a quarter of the pixels and of the bitrate), or the
// size asked; none when off.
TEST(Testcam, CatalogServesSubStreamsAtASmallerSize) {
  auto o = twoStreams();
  auto catalog = buildTestcamCatalog(o);
  ASSERT_TRUE(catalog.isOk());
  for (const char* path : {"/cam/0/sub", "/cam/1/sub"}) {
    auto sub = (*catalog)->find(path);
    ASSERT_NE(sub, nullptr) << path;
    EXPECT_EQ(sub->width, o.width / 2);
    EXPECT_EQ(sub->height, o.height / 2);
  }
  EXPECT_NE((*catalog)->find("/cam/0/sub"), (*catalog)->find("/cam/1/sub"));
  EXPECT_EQ(subStreamOptions(o).bitrateKbps, o.bitrateKbps / 4);
  o.subWidth = 96;
  o.subHeight = 64;
  EXPECT_EQ(subStreamOptions(o).width, 96);
  o.subWidth = 97;  // odd
  EXPECT_FALSE(validateTestcamOptions(o).isOk());
  o.subStreams = false;
  catalog = buildTestcamCatalog(o);
  ASSERT_TRUE(catalog.isOk());
  EXPECT_NE((*catalog)->find("/cam/0"), nullptr);
  EXPECT_EQ((*catalog)->find("/cam/0/sub"), nullptr);
}

TEST(Testcam, RejectsBadOptions) {
  auto o = small(media::VideoCodec::kH264);
  o.width = 321;
  EXPECT_FALSE(validateTestcamOptions(o).isOk());
  o = small(media::VideoCodec::kH264);
  o.streams = 0;
  EXPECT_EQ(validateTestcamOptions(o).message(), "--streams must be between 1 and 10000 (got 0)");
}

// The spread of luma in the frame's middle: flat background, or a photo.
double middleSpread(const std::vector<uint8_t>& y, int width, int height) {
  int lo = 255, hi = 0;
  for (int row = height * 2 / 5; row < height * 3 / 5; ++row) {
    for (int col = width * 2 / 5; col < width * 3 / 5; ++col) {
      lo = std::min<int>(lo, y[static_cast<size_t>(row) * width + col]);
      hi = std::max<int>(hi, y[static_cast<size_t>(row) * width + col]);
    }
  }
  return hi - lo;
}

TEST(Testcam, ASceneSlidesInStaysInTheMiddleAndLeaves) {
  auto scene = loadTestScene(std::string(VIGIL_SCENES_DIR) + "/person.jpg", 640, 360);
  ASSERT_TRUE(scene.isOk()) << scene.status().toString();
  EXPECT_TRUE(scene->height <= 270 && scene->width <= 320) << scene->width << "x" << scene->height;  // fits
  std::vector<uint8_t> y(640 * 360), u(320 * 180), v(320 * 180);
  const YuvImage image{640, 360, y, u, v, 640, 320};
  const auto spreadAt = [&](int64_t frame) {
    drawTestScene(image, *scene, frame, 100);
    return middleSpread(y, 640, 360);
  };
  EXPECT_LT(spreadAt(10), 20);   // the background alone
  EXPECT_GT(spreadAt(60), 100);  // the photo, still in the middle
  EXPECT_LT(spreadAt(99), 20);   // gone out to the right
  EXPECT_EQ(loadTestScene("/nonexistent.jpg", 640, 360).status().code(), StatusCode::kInvalidArgument);
  TestcamOptions o = small(media::VideoCodec::kH264);
  o.scenes = {"a.jpg", "b.jpg"};
  EXPECT_FALSE(validateTestcamOptions(o).isOk());  // more scenes than streams
}

}  // namespace
}  // namespace vigil::app

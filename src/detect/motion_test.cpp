#include "detect/motion.h"

#include <gtest/gtest.h>

#include <random>

namespace vigil::detect {
namespace {

constexpr int kW = 160;
constexpr int kH = 90;

Polygon rect(double x0, double y0, double x1, double y1) { return {{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}}; }

int countSet(const std::vector<uint8_t>& map) { return static_cast<int>(std::count(map.begin(), map.end(), 1)); }

TEST(RasteriseTest, PixelsWhoseCentreIsInside) {
  const Polygon left = rect(0, 0, 0.5, 1);
  auto map = rasterise({&left}, 10, 4);
  EXPECT_EQ(countSet(map), 20);
  EXPECT_EQ(map[4], 1);
  EXPECT_EQ(map[5], 0);
  const Polygon triangle{{0, 0}, {1, 0}, {0, 1}};  // half the picture, below the diagonal excluded
  auto half = rasterise({&triangle}, 100, 100);
  EXPECT_NEAR(countSet(half), 5000, 100);
  EXPECT_EQ(half[0], 1);
  EXPECT_EQ(half[99 * 100 + 99], 0);
  EXPECT_EQ(countSet(rasterise({}, 10, 10)), 0);
}

TEST(AreaMapsTest, MasksAndZonesDecideWhatCounts) {
  CameraDetectConfig config;
  config.labels = {Label::kPerson};
  EXPECT_EQ(countSet(AreaMaps(config, kW, kH).counted), kW * kH);

  config.masks.push_back({"window", rect(0, 0, 0.25, 1), Mask::Applies::kShared});
  AreaMaps masked(config, kW, kH);
  EXPECT_EQ(countSet(masked.masked), kW * kH / 4);
  EXPECT_EQ(countSet(masked.counted), kW * kH * 3 / 4);

  config.zones.push_back({"tree", rect(0.5, 0, 0.75, 1), Zone::Kind::kIgnore});
  EXPECT_EQ(countSet(AreaMaps(config, kW, kH).counted), kW * kH / 2);

  // An include zone: only inside it (and still not where masked).
  config.zones.push_back({"door", rect(0, 0, 0.5, 1), Zone::Kind::kInclude});
  AreaMaps zoned(config, kW, kH);
  EXPECT_EQ(countSet(zoned.counted), kW * kH / 4);
  EXPECT_EQ(zoned.counted[kW / 2 - 1], 1);
  EXPECT_EQ(zoned.counted[0], 0);
}

TEST(AreaMapsTest, MaskedPixelsGoBlack) {
  CameraDetectConfig config;
  config.masks.push_back({"street", rect(0.5, 0.5, 1, 1), Mask::Applies::kAll});
  AreaMaps maps(config, 4, 2);
  BgrImage image{4, 2, std::vector<uint8_t>(4 * 2 * 3, 200)};
  applyMasks(maps, image);
  for (int y = 0; y < 2; ++y) {
    for (int x = 0; x < 4; ++x) {
      const bool inside = x >= 2 && y >= 1;
      EXPECT_EQ(image.pixels[(y * 4 + x) * 3 + 1], inside ? 0 : 200) << x << "," << y;
    }
  }
}

// A textured still scene, with temporal noise, a global brightness
// offset, and optionally a bright square at (x, y).
class Scene {
 public:
  std::vector<uint8_t> frame(double brightness, int noise, int squareX = -1, int squareY = 0, int size = 14) {
    std::vector<uint8_t> out(kW * kH);
    std::uniform_int_distribution<int> jitter(-noise, noise);
    for (int y = 0; y < kH; ++y) {
      for (int x = 0; x < kW; ++x) {
        int v = 60 + (x * 7 + y * 13) % 90 + static_cast<int>(brightness) + (noise ? jitter(rng_) : 0);
        if (squareX >= 0 && x >= squareX && x < squareX + size && y >= squareY && y < squareY + size) v = 250;
        out[y * kW + x] = static_cast<uint8_t>(std::clamp(v, 0, 255));
      }
    }
    return out;
  }

 private:
  std::mt19937 rng_{42};
};

TEST(MotionDetectorTest, LightRampAndNoiseAreNotMotion) {
  CameraDetectConfig config;
  MotionDetector motion(AreaMaps(config, kW, kH), 5);
  Scene scene;
  int boxes = 0;
  for (int i = 0; i < 100; ++i) {
    auto f = scene.frame(i * 1.5 - 60, 20);  // 150 levels of brightness over 20 s, strong noise
    boxes += static_cast<int>(motion.update(f.data(), kW).size());
  }
  EXPECT_EQ(boxes, 0);
}

// Light changing fast (a cloud, a lamp dimming) moves the background with
// it, so what moves meanwhile is still seen, and only it.
TEST(MotionDetectorTest, MotionDuringAFastLightChangeIsFound) {
  CameraDetectConfig config;
  MotionDetector motion(AreaMaps(config, kW, kH), 5);
  Scene scene;
  for (int i = 0; i < 10; ++i) motion.update(scene.frame(-40, 4).data(), kW);
  for (int i = 0; i < 10; ++i) {
    auto boxes = motion.update(scene.frame(-40 + i * 8, 4, 20 + i * 10, 40).data(), kW);
    ASSERT_EQ(boxes.size(), 1u) << i;
    EXPECT_LE(boxes[0].width, 14 + 10 + 6) << i;
  }
}

TEST(MotionDetectorTest, RainIsNotMotion) {
  CameraDetectConfig config;
  MotionDetector motion(AreaMaps(config, kW, kH), 5);
  Scene scene;
  std::mt19937 rng(7);
  int boxes = 0;
  for (int i = 0; i < 50; ++i) {
    auto f = scene.frame(0, 4);
    // 40 drops, each a short bright streak one pixel wide.
    for (int d = 0; d < 40; ++d) {
      const int x = static_cast<int>(rng() % kW);
      const int y = static_cast<int>(rng() % (kH - 3));
      for (int k = 0; k < 3; ++k) f[(y + k) * kW + x] = 255;
    }
    boxes += static_cast<int>(motion.update(f.data(), kW).size());
  }
  EXPECT_EQ(boxes, 0);
}

TEST(MotionDetectorTest, BoxFollowsAMovingThing) {
  CameraDetectConfig config;
  MotionDetector motion(AreaMaps(config, kW, kH), 5);
  Scene scene;
  for (int i = 0; i < 10; ++i) motion.update(scene.frame(0, 4).data(), kW);
  for (int x = 20; x < 120; x += 10) {
    auto boxes = motion.update(scene.frame(0, 4, x, 40).data(), kW);
    ASSERT_EQ(boxes.size(), 1u) << x;
    // Around the square (dilation adds a little), wherever it is now.
    EXPECT_LE(boxes[0].x, x);
    EXPECT_GE(boxes[0].x + boxes[0].width, x + 14);
    EXPECT_LE(boxes[0].y, 40);
    EXPECT_GE(boxes[0].y + boxes[0].height, 54);
    EXPECT_LE(boxes[0].height, 14 + 6);
  }
}

TEST(MotionDetectorTest, SmallThingsNeedSensitivity) {
  CameraDetectConfig config;
  Scene scene;
  auto still = scene.frame(0, 0);
  auto small = scene.frame(0, 0, 80, 40, 6);  // 36 pixels: 0.25% of the picture
  MotionDetector low(AreaMaps(config, kW, kH), 1);
  MotionDetector high(AreaMaps(config, kW, kH), 10);
  for (auto* m : {&low, &high}) m->update(still.data(), kW);
  EXPECT_TRUE(low.update(small.data(), kW).empty());
  EXPECT_EQ(high.update(small.data(), kW).size(), 1u);
}

TEST(MotionDetectorTest, ZonesAndMasksDecideWhereMotionCounts) {
  Scene scene;
  auto run = [&](const CameraDetectConfig& config) {
    MotionDetector motion(AreaMaps(config, kW, kH), 5);
    motion.update(scene.frame(0, 0).data(), kW);
    return motion.update(scene.frame(0, 0, 20, 40).data(), kW).size();  // on the left
  };
  CameraDetectConfig config;
  EXPECT_EQ(run(config), 1u);
  config.zones = {{"left", rect(0, 0, 0.5, 1), Zone::Kind::kIgnore}};
  EXPECT_EQ(run(config), 0u);
  config.zones = {{"right", rect(0.5, 0, 1, 1), Zone::Kind::kIgnore}};
  EXPECT_EQ(run(config), 1u);
  config.zones = {{"right", rect(0.5, 0, 1, 1), Zone::Kind::kInclude}};
  EXPECT_EQ(run(config), 0u);
  config.zones = {{"left", rect(0, 0, 0.5, 1), Zone::Kind::kInclude}};
  EXPECT_EQ(run(config), 1u);
  config.masks = {{"left", rect(0, 0, 0.3, 1), Mask::Applies::kShared}};
  EXPECT_EQ(run(config), 0u);
}

TEST(MotionDetectorTest, ALightSwitchedOnStartsTheBackgroundAgain) {
  CameraDetectConfig config;
  MotionDetector motion(AreaMaps(config, kW, kH), 5);
  Scene scene;
  motion.update(scene.frame(0, 0).data(), kW);
  // Not a uniform shift: the picture's contrast changes (infrared mode).
  std::vector<uint8_t> night(kW * kH);
  for (int i = 0; i < kW * kH; ++i) night[i] = static_cast<uint8_t>(i % 2 ? 20 : 240);
  EXPECT_TRUE(motion.update(night.data(), kW).empty());
  EXPECT_TRUE(motion.update(night.data(), kW).empty());
}

}  // namespace
}  // namespace vigil::detect

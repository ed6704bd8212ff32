// The pipeline on camera streams ffmpeg makes from the scenes in
// tests/data/scenes (a still background, then a photo sliding in), encoded
// with libx264 and decoded by the pipeline as a camera's frames.
#include "detect/pipeline.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "base/mutex.h"
#include "detect/testing/h264_file.h"

namespace vigil::detect {
namespace {

constexpr int kFps = 10;
// The photo: 240x160, at y = 100, sliding in from the left at 120 px/s
// from t = 2 s: its left edge is at -240 + (t - 2) * 120.
constexpr int kPhotoWidth = 240;
constexpr int kPhotoTop = 100;
constexpr int kPhotoHeight = 160;
constexpr double kSlideStart = 2;
constexpr double kSlideSpeed = 120;

std::string scene(const char* name) { return std::string(VIGIL_SCENES_DIR) + "/" + name; }

Polygon rect(double x0, double y0, double x1, double y1) { return {{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}}; }

class PipelineTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::string(std::filesystem::temp_directory_path() / fmt::format("detect_pipeline_{}", getpid()));
    std::filesystem::create_directories(*dir_);
    const std::string stills = fmt::format("-loop 1 -framerate {0} -t 6 -i '{1}' -loop 1 -framerate {0} -t 6 -i '{2}'",
                                           kFps, scene("horses.jpg"), scene("person.jpg"));
    ASSERT_TRUE(testing::encodeScene(
                    stills + fmt::format(" -filter_complex \"[0]scale=640:360,setsar=1[bg];[1]scale={}:{},setsar=1[p];"
                                         "[bg][p]overlay=x='if(lt(t,{}),-w-10,-w+(t-{})*{})':y={}\"",
                                         kPhotoWidth, kPhotoHeight, kSlideStart, kSlideStart, kSlideSpeed, kPhotoTop),
                    20, slide())
                    .isOk());
    // person.jpg at its own size (the person at x 192..272, y 68..341 once
    // cropped to 360 rows) sliding in from the right over a grey wall,
    // from t = 1 s at 320 px/s, stopping at x = 0 at t = 3 s.
    ASSERT_TRUE(testing::encodeScene(
                    fmt::format("-f lavfi -i color=c=0x808070:s=640x360:r={0}:d=5 -loop 1 -framerate {0} -t 5 -i '{1}' "
                                "-filter_complex \"[1]crop=640:360:0:32,setsar=1[p];"
                                "[0][p]overlay=x='max(0,640-max(0,t-1)*320)':y=0\"",
                                kFps, scene("person.jpg")),
                    20, walkIn())
                    .isOk());
    // The background alone, its light ramping up by a third of the range
    // over 10 s, with temporal noise as a cheap sensor makes at night.
    ASSERT_TRUE(testing::encodeScene(
                    fmt::format("-loop 1 -framerate {} -t 10 -i '{}' -vf \"scale=640:360,setsar=1,"
                                "eq=brightness='-0.15+0.035*t':eval=frame,noise=alls=14:allf=t\"",
                                kFps, scene("horses.jpg")),
                    20, ramp())
                    .isOk());
  }
  static void TearDownTestSuite() {
    std::filesystem::remove_all(*dir_);
    delete dir_;
  }
  static std::string slide() { return *dir_ + "/slide.h264"; }
  static std::string walkIn() { return *dir_ + "/walk_in.h264"; }
  static std::string ramp() { return *dir_ + "/ramp.h264"; }

  // Runs one camera through a pipeline, frame by frame without dropping
  // any (each analysis waited for), and answers its analyses.
  static std::vector<FrameAnalysis> analyse(const std::string& file, CameraDetectConfig config) {
    auto frames = testing::readH264File(file, kFps, WallTime::fromUnixMicros(1'000'000'000'000));
    EXPECT_TRUE(frames.isOk()) << frames.status().toString();
    if (!frames.isOk()) return {};
    if (config.labels.empty()) config.labels = {Label::kPerson};
    Mutex mutex;
    std::vector<FrameAnalysis> out;
    Pipeline pipeline(DetectConfig{.workers = 1}, [&](const FrameAnalysis& a) {
      MutexLock lock(mutex);
      out.push_back(a);
    });
    Pipeline::Camera& camera = pipeline.addCamera("cam", std::move(config));
    pipeline.start();
    for (size_t i = 0; i < frames->size(); ++i) {
      pipeline.push(camera, (*frames)[i], i == 0);
      if (i % 2 != 0) continue;  // every other frame is analysed (5 of 10 fps)
      const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
      while (pipeline.counts("cam").analysed < i / 2 + 1 && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
    }
    pipeline.stop();
    EXPECT_EQ(pipeline.counts("cam").dropped, 0u);
    return out;
  }

  static double seconds(const FrameAnalysis& a) { return (a.time.unixMicros() - 1'000'000'000'000) / 1e6; }

  static std::string* dir_;
};
std::string* PipelineTest::dir_ = nullptr;

// The part of the photo inside the 640x360 picture at time t.
Box photoAt(double t) {
  const int left = static_cast<int>(-kPhotoWidth + (t - kSlideStart) * kSlideSpeed);
  const int x0 = std::max(0, left);
  const int x1 = std::min(640, left + kPhotoWidth);
  return {x0, kPhotoTop, std::max(0, x1 - x0), kPhotoHeight};
}

int overlap(const Box& a, const Box& b) {
  const int w = std::min(a.x + a.width, b.x + b.width) - std::max(a.x, b.x);
  const int h = std::min(a.y + a.height, b.y + b.height) - std::max(a.y, b.y);
  return w > 0 && h > 0 ? w * h : 0;
}

TEST_F(PipelineTest, MotionBoxesCoverTheSlidingPhoto) {
  const auto analyses = analyse(slide(), {});
  ASSERT_EQ(analyses.size(), 30u);  // 6 s at 5 fps
  for (const FrameAnalysis& a : analyses) {
    const double t = seconds(a);
    EXPECT_EQ(a.camera, "cam");
    EXPECT_EQ(a.droppedFrames, 0);
    if (t < kSlideStart) {
      EXPECT_TRUE(a.motion.empty()) << t;
      EXPECT_EQ(a.picture, nullptr) << t;
      continue;
    }
    const Box photo = photoAt(t);
    if (photo.width < 40) continue;  // only its edge is in: may be too small to count
    ASSERT_FALSE(a.motion.empty()) << t;
    ASSERT_NE(a.picture, nullptr);
    EXPECT_EQ(a.picture->width, 640);
    EXPECT_EQ(a.picture->height, 360);
    int covered = 0;
    for (const Box& m : a.motion) {
      covered += overlap(m, photo);
      // Nothing moved away from the photo: each box is on it (give or take
      // the dilation and the downscale).
      const Box around{photo.x - 16, photo.y - 16, photo.width + 32, photo.height + 32};
      EXPECT_EQ(overlap(m, around), m.width * m.height) << t << ": " << m.x << "," << m.y << " " << m.width << "x"
                                                         << m.height;
    }
    EXPECT_GE(covered, photo.width * photo.height * 6 / 10) << t;
  }
}

TEST_F(PipelineTest, LightRampAndNoiseAreNoMotion) {
  const auto analyses = analyse(ramp(), {});
  ASSERT_EQ(analyses.size(), 50u);
  for (const FrameAnalysis& a : analyses) {
    EXPECT_TRUE(a.motion.empty()) << seconds(a) << ": " << a.motion.size() << " boxes, the first "
                                  << a.motion[0].width << "x" << a.motion[0].height;
  }
}

int analysesWithMotion(const std::vector<FrameAnalysis>& analyses) {
  return static_cast<int>(std::count_if(analyses.begin(), analyses.end(), [](const auto& a) { return !a.motion.empty(); }));
}

TEST_F(PipelineTest, AnIgnoreZoneExcludesWhatHappensInIt) {
  CameraDetectConfig config;
  config.zones = {{"path", rect(0, 0.2, 1, 0.8), Zone::Kind::kIgnore}};
  EXPECT_EQ(analysesWithMotion(analyse(slide(), config)), 0);
  config.zones = {{"sky", rect(0, 0, 1, 0.2), Zone::Kind::kIgnore}};
  EXPECT_GE(analysesWithMotion(analyse(slide(), config)), 15);
}

TEST_F(PipelineTest, AnIncludeZoneExcludesWhatHappensOutsideIt) {
  CameraDetectConfig config;
  config.zones = {{"sky", rect(0, 0, 1, 0.2), Zone::Kind::kInclude}};
  EXPECT_EQ(analysesWithMotion(analyse(slide(), config)), 0);
  // Where the photo's leading edge has not come by the last frame (456 px at t = 5.8 s).
  config.zones = {{"gate", rect(0.75, 0.3, 1, 0.6), Zone::Kind::kInclude}};
  EXPECT_EQ(analysesWithMotion(analyse(slide(), config)), 0);
  config.zones = {{"path", rect(0, 0.3, 0.5, 0.6), Zone::Kind::kInclude}};
  const auto analyses = analyse(slide(), config);
  EXPECT_GE(analysesWithMotion(analyses), 15);
  for (const FrameAnalysis& a : analyses) {
    for (const Box& m : a.motion) EXPECT_LE(m.x + m.width, 320 + 8);
  }
}

TEST_F(PipelineTest, MaskedPixelsAreBlackAndNoMotion) {
  CameraDetectConfig config;
  config.masks = {{"left", rect(0, 0, 0.5, 1), Mask::Applies::kShared}};
  const auto analyses = analyse(slide(), config);
  int pictures = 0;
  for (const FrameAnalysis& a : analyses) {
    if (!a.picture) continue;
    ++pictures;
    const BgrImage& p = *a.picture;
    uint64_t left = 0;
    uint64_t right = 0;
    for (int y = 0; y < p.height; ++y) {
      for (int x = 0; x < p.width; ++x) {
        const uint8_t* px = &p.pixels[(static_cast<size_t>(y) * p.width + x) * 3];
        (x < 320 ? left : right) += px[0] + px[1] + px[2];
      }
    }
    EXPECT_EQ(left, 0u) << seconds(a);
    EXPECT_GT(right, 0u);
    for (const Box& m : a.motion) EXPECT_GE(m.x, 320 - 8);
  }
  // The photo reaches the right half at t = 4.7 s.
  EXPECT_GE(pictures, 4);
}

// More cameras than one worker can decode: frames are dropped (up to the next
// keyframe), counted, and told in the analyses that follow.
TEST_F(PipelineTest, OverloadDropsAndCountsFrames) {
  auto frames = testing::readH264File(slide(), kFps);
  ASSERT_TRUE(frames.isOk());
  constexpr int kCameras = 16;
  Mutex mutex;
  std::map<std::string, int> reported;
  Pipeline pipeline(DetectConfig{.workers = 1}, [&](const FrameAnalysis& a) {
    MutexLock lock(mutex);
    reported[a.camera] += a.droppedFrames;
  });
  std::vector<Pipeline::Camera*> cameras;
  for (int c = 0; c < kCameras; ++c) cameras.push_back(&pipeline.addCamera(fmt::format("cam{}", c), {.labels = {Label::kPerson}}));
  pipeline.start();
  // All cameras' frames at once, as if 16 cameras sent 6 s of video in an instant.
  for (size_t i = 0; i < frames->size(); ++i) {
    for (Pipeline::Camera* camera : cameras) pipeline.push(*camera, (*frames)[i], i == 0);
  }
  // Some analyses (the worker first opens the object model), then stop.
  auto analysedSoFar = [&] {
    uint64_t n = 0;
    for (int c = 0; c < kCameras; ++c) n += pipeline.counts(fmt::format("cam{}", c)).analysed;
    return n;
  };
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (analysedSoFar() < 20 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  pipeline.stop();
  uint64_t dropped = 0;
  uint64_t analysed = 0;
  for (int c = 0; c < kCameras; ++c) {
    const auto counts = pipeline.counts(fmt::format("cam{}", c));
    dropped += counts.dropped;
    analysed += counts.analysed;
    MutexLock lock(mutex);
    EXPECT_LE(static_cast<uint64_t>(reported[fmt::format("cam{}", c)]), counts.dropped);
  }
  EXPECT_GT(dropped, 0u);
  // Every frame was either dropped, or queued and (while the workers ran) decoded.
  EXPECT_LE(dropped, frames->size() * kCameras);
  EXPECT_GT(analysed, 0u);
  MutexLock lock(mutex);
  int told = 0;
  for (const auto& [id, n] : reported) told += n;
  EXPECT_GT(told, 0);
}

// The object stage on the regions that moved: the person walking in is a
// person, where they are; a camera that detects only vehicles is told of none.
TEST_F(PipelineTest, ThePersonWalkingInIsAPerson) {
  const Box person{192, 68, 80, 273};  // once the photo stopped at x = 0
  auto found = [&](const std::vector<FrameAnalysis>& analyses) {
    int persons = 0;
    for (const FrameAnalysis& a : analyses) {
      for (const Detection& d : a.objects) {
        EXPECT_EQ(d.label, Label::kPerson);
        if (d.label != Label::kPerson || seconds(a) < 3) continue;
        EXPECT_GE(overlap(d.box, person), person.width * person.height / 2) << seconds(a);
        ++persons;
      }
      if (a.motion.empty()) EXPECT_TRUE(a.objects.empty());  // no motion, no object stage
    }
    return persons;
  };
  EXPECT_GE(found(analyse(walkIn(), {.labels = {Label::kPerson}})), 1);
  const auto vehicles = analyse(walkIn(), {.labels = {Label::kVehicle}});
  for (const FrameAnalysis& a : vehicles) EXPECT_TRUE(a.objects.empty()) << seconds(a);
  EXPECT_GT(analysesWithMotion(vehicles), 0);
}

// Settings from the UI (design/DETECT.md, "Settings from the UI") take
// effect on the running pipeline: a camera detecting nothing queues no
// frame, then detects from its next keyframe, and new masks apply to the
// next picture analysed.
TEST_F(PipelineTest, ConfigureTakesEffectOnTheRunningPipeline) {
  auto frames = testing::readH264File(slide(), kFps, WallTime::fromUnixMicros(1'000'000'000'000));
  ASSERT_TRUE(frames.isOk()) << frames.status().toString();
  Mutex mutex;
  std::vector<FrameAnalysis> out;
  Pipeline pipeline(DetectConfig{.workers = 1}, [&](const FrameAnalysis& a) {
    MutexLock lock(mutex);
    out.push_back(a);
  });
  Pipeline::Camera& camera = pipeline.addCamera("cam", {});
  pipeline.start();
  // Pushes frames [from, to) and waits until the worker analysed `expect` more.
  auto feed = [&](size_t from, size_t to, uint64_t expect) {
    const uint64_t before = pipeline.counts("cam").analysed;
    for (size_t i = from; i < to; ++i) pipeline.push(camera, (*frames)[i], i == 0);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (pipeline.counts("cam").analysed < before + expect && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  };
  auto taken = [&] {
    MutexLock lock(mutex);
    return std::exchange(out, {});
  };
  ASSERT_EQ(frames->size(), 60u);  // 6 s at 10 fps, a keyframe every 2 s (20 frames)
  feed(0, 20, 0);
  EXPECT_EQ(pipeline.counts("cam").analysed, 0u);
  EXPECT_TRUE(taken().empty());

  // The photo slides in from t = 2 s; a mask over the whole picture hides it.
  pipeline.configure(camera, {.labels = {Label::kPerson}, .masks = {{.name = "all", .polygon = rect(0, 0, 1, 1)}}});
  feed(20, 40, 10);  // every other frame, 5 of 10 fps
  const auto masked = taken();
  EXPECT_EQ(masked.size(), 10u);
  for (const FrameAnalysis& a : masked) EXPECT_TRUE(a.motion.empty()) << seconds(a);

  pipeline.configure(camera, {.labels = {Label::kPerson}});
  feed(40, 60, 10);
  const auto open = taken();
  EXPECT_EQ(open.size(), 10u);
  EXPECT_TRUE(std::any_of(open.begin(), open.end(), [](const FrameAnalysis& a) { return !a.motion.empty(); }));
  pipeline.stop();
}

}  // namespace
}  // namespace vigil::detect

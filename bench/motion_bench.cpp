// vigil-motion-bench: detection's pipeline (decode and motion) on N
// cameras that each send an H.264 file, looped, in real time; prints what
// it cost as JSON. bench/motion.py runs it (not installed).
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "cpu_time.h"
#include "detect/pipeline.h"
#include "detect/testing/h264_file.h"

int main(int argc, char** argv) {
  using namespace vigil;
  std::string file;
  int inputFps = 25;
  int cameras = 10;
  int seconds = 20;
  // No object stage: a model that does not open leaves motion alone.
  detect::DetectConfig config{.workers = 1, .model = "/dev/null"};
  CLI::App app("detection's decode and motion on looped H.264 files, in real time");
  app.add_option("--file", file, "H.264 Annex B file (one slice per picture)")->required();
  app.add_option("--input-fps", inputFps, "the file's frame rate")->capture_default_str();
  app.add_option("--cameras", cameras, "cameras, each sending the file")->capture_default_str();
  app.add_option("--seconds", seconds, "how long")->capture_default_str();
  app.add_option("--workers", config.workers, "detection workers")->capture_default_str();
  app.add_option("--fps", config.fps, "frames analysed per second and camera")->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  auto frames = detect::testing::readH264File(file, inputFps);
  if (!frames) {
    fmt::print(stderr, "{}\n", frames.status().toString());
    return 1;
  }
  std::atomic<uint64_t> withMotion{0};
  detect::Pipeline pipeline(config, [&](const detect::FrameAnalysis& a) {
    if (!a.motion.empty()) withMotion.fetch_add(1, std::memory_order_relaxed);
  });
  std::vector<detect::Pipeline::Camera*> feeds;
  for (int c = 0; c < cameras; ++c) feeds.push_back(&pipeline.addCamera(fmt::format("cam{}", c), {.labels = {detect::Label::kPerson}}));
  pipeline.start();

  // Every camera's frame i of the loop at the same moment: cameras that
  // started together (the worst case for a pool).
  const double cpuBefore = bench::cpuSeconds();
  const auto start = std::chrono::steady_clock::now();
  const int64_t total = int64_t{seconds} * inputFps;
  const int64_t step = MediaDuration::kTicksPerSecond / inputFps;
  for (int64_t i = 0; i < total; ++i) {
    std::this_thread::sleep_until(start + std::chrono::microseconds(i * 1'000'000 / inputFps));
    const media::Frame& source = *(*frames)[static_cast<size_t>(i) % frames->size()];
    auto frame = std::make_shared<media::Frame>(source);  // its pts goes on across loops
    frame->pts = MediaTime(i * step);
    const media::SharedFrame shared = std::move(frame);
    for (auto* feed : feeds) pipeline.push(*feed, shared, i == 0);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // the last frames' analyses
  pipeline.stop();
  const double cpu = bench::cpuSeconds() - cpuBefore;
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  uint64_t analysed = 0;
  uint64_t dropped = 0;
  for (int c = 0; c < cameras; ++c) {
    const auto counts = pipeline.counts(fmt::format("cam{}", c));
    analysed += counts.analysed;
    dropped += counts.dropped;
  }
  fmt::print(R"({{"cameras": {}, "seconds": {}, "input_fps": {}, "fps": {}, "workers": {}, "frames": {}, )"
             R"("analysed": {}, "with_motion": {}, "dropped": {}, "cpu_seconds": {:.3f}, "wall_seconds": {:.3f}}})"
             "\n",
             cameras, seconds, inputFps, config.fps, config.workers, total * cameras, analysed, withMotion.load(),
             dropped, cpu, wall);
  return 0;
}

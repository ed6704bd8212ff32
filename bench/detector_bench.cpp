// vigil-detector-bench: the object detector alone, for bench/detector.py.
// Not a test. Opens the model the build converted, then runs detect() on a
// region of the model's input size (416x416) cut from a photo, over and over
// for --seconds after --warmup runs, with OpenCV's thread pool at --threads.
//
//   vigil-detector-bench --image PHOTO [--threads 2] [--seconds 20] [--warmup 3] [--model PATH]
//
// Prints one JSON line: inferences, wall seconds, the process's CPU seconds
// over the timed runs, the median, p90 and max milliseconds per inference,
// and how many objects the last run found (a model that finds nothing is
// measuring the wrong thing).
#include <fmt/format.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <string>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include "detect/objects.h"

namespace vd = vigil::detect;

namespace {

double cpuSeconds() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

}  // namespace

int main(int argc, char** argv) {
  std::string image;
  std::string model = vd::ObjectDetector::defaultModelPath();
  int threads = 2;
  double seconds = 20;
  int warmup = 3;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const char* value = argv[i + 1];
    if (flag == "--image") image = value;
    else if (flag == "--model") model = value;
    else if (flag == "--threads") threads = std::atoi(value);
    else if (flag == "--seconds") seconds = std::atof(value);
    else if (flag == "--warmup") warmup = std::atoi(value);
    else {
      fmt::print(stderr, "unknown flag {}\n", flag);
      return 2;
    }
  }
  const cv::Mat photo = cv::imread(image, cv::IMREAD_COLOR);
  if (photo.empty()) {
    fmt::print(stderr, "cannot read --image {}\n", image);
    return 2;
  }
  auto opened = vd::ObjectDetector::open(model);
  if (!opened.isOk()) {
    fmt::print(stderr, "{}\n", opened.status().toString());
    return 1;
  }
  vd::ObjectDetector& detector = **opened;
  cv::setNumThreads(threads);

  const vd::BgrImage picture{photo.cols, photo.rows, {photo.data, photo.data + photo.total() * 3}};
  const vd::Box region{0, 0, std::min(416, photo.cols), std::min(416, photo.rows)};
  size_t found = 0;
  for (int i = 0; i < warmup; ++i) found = detector.detect(picture, region, 0.35f).size();

  std::vector<double> ms;
  const double cpu0 = cpuSeconds();
  const auto start = std::chrono::steady_clock::now();
  const auto end = start + std::chrono::duration<double>(seconds);
  do {
    const auto t0 = std::chrono::steady_clock::now();
    found = detector.detect(picture, region, 0.35f).size();
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  } while (std::chrono::steady_clock::now() < end);
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double cpu = cpuSeconds() - cpu0;
  std::sort(ms.begin(), ms.end());
  fmt::print("{{\"threads\": {}, \"inferences\": {}, \"seconds\": {:.3f}, \"cpu_s\": {:.3f}, \"median_ms\": {:.2f}, "
             "\"p90_ms\": {:.2f}, \"max_ms\": {:.2f}, \"found\": {}}}\n",
             threads, ms.size(), wall, cpu, ms[ms.size() / 2], ms[ms.size() * 9 / 10], ms.back(), found);
  return 0;
}

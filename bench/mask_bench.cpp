// vigil-mask-bench: privacy masking (mask/masker.h) of one camera's H.264
// file, looped: decode, black out the masks, encode H.264 again, as fast
// as one thread goes; prints the CPU it cost as JSON. bench/mask.py runs
// it; bench/transcode.py runs it on an H.265 file with --no-mask and
// --max-width, what a browser transcode does (not installed).
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "cpu_time.h"
#include "detect/testing/h264_file.h"
#include "mask/masker.h"

int main(int argc, char** argv) {
  using namespace vigil;
  std::string file;
  int inputFps = 15;
  int loops = 2;
  bool h265 = false;
  bool noMask = false;
  int maxWidth = 0;
  CLI::App app("privacy masking of a looped H.264 file on one thread");
  app.add_option("--file", file, "H.264 Annex B file (one slice per picture)")->required();
  app.add_option("--input-fps", inputFps, "the file's frame rate")->capture_default_str();
  app.add_option("--loops", loops, "times through the file")->capture_default_str();
  app.add_flag("--h265", h265, "the file is H.265");
  app.add_flag("--no-mask", noMask, "no mask: a plain transcode");
  app.add_option("--max-width", maxWidth, "scale pictures wider down to this width (0: no cap)")->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  auto frames =
      detect::testing::readH264File(file, inputFps, {}, h265 ? media::VideoCodec::kH265 : media::VideoCodec::kH264);
  if (!frames) {
    fmt::print(stderr, "{}\n", frames.status().toString());
    return 1;
  }
  // The top right quarter: what bench/mask.py has ffmpeg's drawbox paint.
  std::vector<detect::Polygon> masks;
  if (!noMask) masks.push_back({{0.5, 0}, {1, 0}, {1, 0.5}, {0.5, 0.5}});
  mask::VideoMasker masker(std::move(masks), maxWidth);
  std::vector<media::Frame> out;
  uint64_t masked = 0;
  const int64_t step = MediaDuration::kTicksPerSecond / inputFps;
  const double before = bench::cpuSeconds();
  for (int64_t i = 0; i < int64_t{loops} * static_cast<int64_t>(frames->size()); ++i) {
    media::Frame frame = *(*frames)[static_cast<size_t>(i) % frames->size()];
    frame.pts = MediaTime(i * step);  // its pts goes on across loops
    out.clear();
    if (Status s = masker.push(frame, out); !s.isOk()) {
      fmt::print(stderr, "{}\n", s.toString());
      return 1;
    }
    masked += out.size();
  }
  const double cpu = bench::cpuSeconds() - before;
  fmt::print("{{\"frames\": {}, \"masked\": {}, \"cpu_seconds\": {:.3f}}}\n",
             int64_t{loops} * static_cast<int64_t>(frames->size()), masked, cpu);
  return 0;
}

// vigil-write-bench: the storage write path alone, for bench/write.py. Not
// a test. One thread feeds N streams of 2 Mbit/s at 25 fps (a 2 s GOP of
// synthetic length-prefixed NAL units: a 40 kB keyframe, then frames of
// about 9.4 kB) into a Store in real time, as N cameras would, for
// --seconds; then the store stops (every recording sealed and committed).
//
//   vigil-write-bench --data DIR --streams N --seconds S
//
// Prints one JSON line: the process's CPU seconds (feeder included: its
// only work is Store::append), sample bytes, bytes the process had written
// to storage (/proc/self/io write_bytes: sample files, index, WAL), index
// commits, frames dropped.
#include <fmt/format.h>
#include <sys/resource.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "base/log.h"
#include "storage/store.h"

namespace vs = vigil::storage;
namespace media = vigil::media;

namespace {

constexpr int kFps = 25;
constexpr int kGop = 50;
constexpr size_t kKeyframeBytes = 40'000;
// (2 Mbit/s / 8 * 2 s - keyframe) / 49 frames.
constexpr size_t kFrameBytes = (2'000'000 / 8 * 2 - kKeyframeBytes) / (kGop - 1);

double cpuSeconds() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

uint64_t writeBytes() {
  std::ifstream io("/proc/self/io");
  std::string key;
  uint64_t value = 0;
  while (io >> key >> value) {
    if (key == "write_bytes:") return value;
  }
  return 0;
}

// One access unit: a 4-byte length, a NAL header (IDR 0x65 or non-IDR 0x41), filler.
media::Bytes accessUnit(size_t bytes, bool keyframe, uint8_t fill) {
  media::Bytes b(bytes, fill);
  const uint32_t n = static_cast<uint32_t>(bytes - 4);
  b[0] = static_cast<uint8_t>(n >> 24);
  b[1] = static_cast<uint8_t>(n >> 16);
  b[2] = static_cast<uint8_t>(n >> 8);
  b[3] = static_cast<uint8_t>(n);
  b[4] = keyframe ? 0x65 : 0x41;
  return b;
}

}  // namespace

int main(int argc, char** argv) {
  std::string data;
  int streams = 0, seconds = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--data") data = argv[i + 1];
    else if (a == "--streams") streams = std::atoi(argv[i + 1]);
    else if (a == "--seconds") seconds = std::atoi(argv[i + 1]);
  }
  if (data.empty() || streams < 1 || seconds < 1) {
    fmt::print(stderr, "usage: vigil-write-bench --data DIR --streams N --seconds S\n");
    return 2;
  }
  auto params = std::make_shared<media::VideoParameters>();
  params->sps = {{0x67, 0x64, 0x00, 0x1f, 0xac, 0xd9, 0x40, 0x50, 0x05, 0xbb, 0x01, 0x10}};
  params->pps = {{0x68, 0xeb, 0xe3, 0xcb, 0x22, 0xc0}};
  params->width = 1280;
  params->height = 720;
  const media::Bytes keyframe = accessUnit(kKeyframeBytes, true, 0xa5);
  const media::Bytes frame = accessUnit(kFrameBytes, false, 0x5a);

  vigil::log::init(vigil::log::Level::kError);  // drops are counted below, not logged per stream
  vs::StoreOptions options;
  options.dataDir = data;
  auto store = vs::Store::open(options);
  if (!store) {
    fmt::print(stderr, "vigil-write-bench: {}\n", store.status().toString());
    return 1;
  }
  std::vector<std::string> ids;
  for (int s = 0; s < streams; ++s) ids.push_back(fmt::format("s{}", s));
  const auto wall0 = std::chrono::system_clock::now();
  const auto t0 = std::chrono::steady_clock::now();
  const double cpu0 = cpuSeconds();
  const uint64_t io0 = writeBytes();
  uint64_t bytes = 0;
  media::Frame f;
  f.params = params;
  for (int i = 0; i < seconds * kFps; ++i) {
    std::this_thread::sleep_until(t0 + std::chrono::microseconds(int64_t{i} * 1'000'000 / kFps));
    f.keyframe = i % kGop == 0;
    f.pts = vigil::MediaTime(int64_t{i} * 90'000 / kFps);
    f.captureTime = vigil::WallTime::fromUnixMicros(
        std::chrono::duration_cast<std::chrono::microseconds>(wall0.time_since_epoch()).count() +
        int64_t{i} * 1'000'000 / kFps);
    f.data = f.keyframe ? keyframe : frame;
    for (const std::string& id : ids) {
      (*store)->append(id, f, false);
      bytes += f.data.size();
    }
  }
  (*store)->stop();
  const double cpu = cpuSeconds() - cpu0;
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const vs::WriterStats st = (*store)->stats();
  fmt::print("{{\"streams\":{},\"seconds\":{:.2f},\"cpu_s\":{:.3f},\"sample_bytes\":{},\"write_bytes\":{},"
             "\"commits\":{},\"dropped\":{},\"samples\":{},\"sealed\":{}}}\n",
             streams, wall, cpu, bytes, writeBytes() - io0, st.commits, st.framesDropped, st.samplesWritten,
             st.recordingsSealed);
  return 0;
}

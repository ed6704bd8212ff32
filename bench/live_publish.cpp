// Micro benchmark of media::LiveStream::publish: what one frame costs the
// camera's loop with 1, 50 or 200 viewers. Each viewer is woken as the
// WebSocket sender will be, by a post to an io_context, whose handler pops
// the viewer's queue. Only publish() is timed; the consumers run between
// timed calls, after every frame (viewers that keep up, so every frame
// wakes every viewer) or after every 25 (viewers that read in batches).
// Run from the release build (bench/RESULTS.md has the command).

#include <benchmark/benchmark.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <chrono>

#include "media/live.h"

namespace vigil::media {
namespace {

// One GOP of 2 s at 25 fps and 2 Mbit/s: a 40 KB keyframe, then 10 KB frames.
std::vector<std::shared_ptr<const Frame>> makeGop() {
  auto params = std::make_shared<VideoParameters>();
  params->sps = {Bytes{0x67, 0x64, 0x00, 0x1f}};
  params->pps = {Bytes{0x68, 0xee, 0x3c, 0x80}};
  params->width = 1280;
  params->height = 720;
  std::vector<std::shared_ptr<const Frame>> gop;
  for (int i = 0; i < 50; ++i) {
    auto frame = std::make_shared<Frame>();
    frame->pts = MediaTime(i * 3600);
    frame->keyframe = i == 0;
    frame->data.assign(i == 0 ? 40'000 : 10'000, 0x42);
    frame->params = params;
    gop.push_back(std::move(frame));
  }
  return gop;
}

struct Consumers {
  boost::asio::io_context io;
  std::vector<std::unique_ptr<LiveViewer>> viewers;
  std::vector<std::vector<LiveItem>> received;

  Consumers(LiveStream& stream, int count) : received(count) {
    for (int i = 0; i < count; ++i) {
      viewers.push_back(stream.subscribe(
          [this, i] { boost::asio::post(io, [this, i] { (void)viewers[i]->pop(received[i]); }); }));
    }
  }
  void run() {
    io.poll();
    io.restart();
  }
};

template <bool kCopy>
void publishBenchmark(benchmark::State& state) {
  const int viewerCount = static_cast<int>(state.range(0));
  const int drainEvery = static_cast<int>(state.range(1));
  const std::vector<std::shared_ptr<const Frame>> gop = makeGop();
  auto stream = std::make_shared<LiveStream>("cam-1", LiveOptions{}, SystemClock::instance());
  Consumers consumers(*stream, viewerCount);
  size_t n = 0;
  for (auto _ : state) {
    const std::shared_ptr<const Frame>& frame = gop[n % gop.size()];
    const auto start = std::chrono::steady_clock::now();
    if constexpr (kCopy) {
      stream->publish(*frame, false);
    } else {
      stream->publish(frame, false);
    }
    const auto end = std::chrono::steady_clock::now();
    state.SetIterationTime(std::chrono::duration<double>(end - start).count());
    if (++n % drainEvery == 0) consumers.run();
  }
  const LiveStreamStats stats = stream->stats();
  state.counters["viewers"] = static_cast<double>(stats.viewers);
  state.counters["skips"] = static_cast<double>(stats.skips);
}

void BM_LivePublish(benchmark::State& state) { publishBenchmark<false>(state); }
void BM_LivePublishCopyingTheFrame(benchmark::State& state) { publishBenchmark<true>(state); }

// Args: viewers, frames between consumer runs.
BENCHMARK(BM_LivePublish)
    ->ArgNames({"viewers", "drain_every"})
    ->ArgsProduct({{1, 50, 200}, {1, 25}})
    ->UseManualTime();
BENCHMARK(BM_LivePublishCopyingTheFrame)
    ->ArgNames({"viewers", "drain_every"})
    ->Args({1, 1})
    ->UseManualTime();

}  // namespace
}  // namespace vigil::media

BENCHMARK_MAIN();

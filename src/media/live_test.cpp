#include "media/live.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

namespace vigil::media {
namespace {

constexpr int64_t kFrameTicks = 3600;  // 25 fps

std::shared_ptr<const VideoParameters> makeParams(int width) {
  auto params = std::make_shared<VideoParameters>();
  params->sps = {Bytes{0x67, 1, 2, 3}};
  params->pps = {Bytes{0x68, 4}};
  params->width = width;
  params->height = 720;
  return params;
}

// Publishes frames numbered from 0, with pts = n * kFrameTicks, a keyframe
// every `gop` frames, each `size` bytes.
class Publisher {
 public:
  Publisher(LiveStream& stream, int gop, size_t size = 1000)
      : stream_(stream), gop_(gop), size_(size), params_(makeParams(1280)) {}

  std::shared_ptr<const Frame> next(bool newSegment = false) {
    auto frame = std::make_shared<Frame>();
    frame->pts = MediaTime(n_ * kFrameTicks);
    frame->keyframe = n_ % gop_ == 0;
    frame->data.assign(size_, static_cast<uint8_t>(n_));
    frame->params = params_;
    ++n_;
    stream_.publish(frame, newSegment);
    return frame;
  }
  void publish(int count) {
    for (int i = 0; i < count; ++i) next();
  }
  void setParams(std::shared_ptr<const VideoParameters> params) { params_ = std::move(params); }
  int64_t count() const { return n_; }

 private:
  LiveStream& stream_;
  int gop_;
  size_t size_;
  std::shared_ptr<const VideoParameters> params_;
  int64_t n_ = 0;
};

int64_t frameNumber(const LiveItem& item) { return item.frame->pts.ticks() / kFrameTicks; }

std::vector<int64_t> frameNumbers(const std::vector<LiveItem>& items) {
  std::vector<int64_t> numbers;
  for (const LiveItem& item : items) numbers.push_back(frameNumber(item));
  return numbers;
}

std::vector<LiveItem> popAll(LiveViewer& viewer) {
  std::vector<LiveItem> items;
  const Status status = viewer.pop(items);
  EXPECT_TRUE(status.isOk()) << status.toString();
  return items;
}

class LiveTest : public ::testing::Test {
 protected:
  std::shared_ptr<LiveStream> makeStream(LiveOptions options) {
    return std::make_shared<LiveStream>("cam-1", options, clock_);
  }
  ManualClock clock_{WallTime::fromUnixMicros(1'800'000'000'000'000)};
};

TEST_F(LiveTest, NewViewerStartsWithTheWholeCurrentGopFromItsKeyframe) {
  auto stream = makeStream({});
  Publisher publisher(*stream, /*gop=*/5);
  publisher.publish(8);  // GOPs 0-4 and 5-7

  auto viewer = stream->subscribe([] {});
  std::vector<LiveItem> items = popAll(*viewer);
  ASSERT_EQ(frameNumbers(items), (std::vector<int64_t>{5, 6, 7}));
  EXPECT_TRUE(items[0].frame->keyframe);
  EXPECT_TRUE(items[0].newSegment);
  EXPECT_TRUE(items[0].paramsChanged);
  EXPECT_FALSE(items[0].discontinuity);
  for (size_t i = 1; i < items.size(); ++i) {
    EXPECT_FALSE(items[i].newSegment || items[i].paramsChanged || items[i].discontinuity) << i;
  }

  publisher.publish(3);  // 8, 9, then the keyframe 10
  EXPECT_EQ(frameNumbers(popAll(*viewer)), (std::vector<int64_t>{8, 9, 10}));
  EXPECT_EQ(stream->stats().gopFrames, 1u);
  EXPECT_EQ(stream->stats().gopBytes, 1000u);
}

TEST_F(LiveTest, AViewerAfterTheCacheIsDroppedWaitsForTheNextKeyframe) {
  auto stream = makeStream({});
  Publisher publisher(*stream, /*gop=*/5);
  publisher.publish(3);  // 0-2
  int woken = 0;
  auto before = stream->subscribe([&] { ++woken; });
  stream->dropCache();
  EXPECT_EQ(stream->stats().gopFrames, 0u);
  // Woken with nothing new, so that a stream made from this one drops its cache too.
  EXPECT_EQ(woken, 1);
  auto after = stream->subscribe([] {});
  EXPECT_TRUE(popAll(*after).empty());  // nothing of the earlier feed
  publisher.publish(4);                 // 3, 4, then the keyframe 5 and 6
  EXPECT_EQ(frameNumbers(popAll(*after)), (std::vector<int64_t>{5, 6}));
  EXPECT_EQ(frameNumbers(popAll(*before)), (std::vector<int64_t>{0, 1, 2, 3, 4, 5, 6}));
}

TEST_F(LiveTest, ViewerBeforeTheFirstKeyframeWaitsForIt) {
  auto stream = makeStream({});
  int woken = 0;
  auto viewer = stream->subscribe([&] { ++woken; });
  EXPECT_TRUE(popAll(*viewer).empty());

  // A stream that starts mid-GOP.
  auto frameAt = [](int64_t n, bool keyframe) {
    auto frame = std::make_shared<Frame>();
    frame->pts = MediaTime(n * kFrameTicks);
    frame->keyframe = keyframe;
    frame->data = Bytes(10);
    frame->params = makeParams(1280);
    return frame;
  };
  stream->publish(frameAt(0, false), false);
  stream->publish(frameAt(1, false), false);
  EXPECT_EQ(woken, 0);
  EXPECT_TRUE(popAll(*viewer).empty());
  EXPECT_EQ(stream->stats().gopFrames, 0u);

  stream->publish(frameAt(2, true), false);
  EXPECT_EQ(woken, 1);
  std::vector<LiveItem> items = popAll(*viewer);
  ASSERT_EQ(frameNumbers(items), (std::vector<int64_t>{2}));
  EXPECT_TRUE(items[0].newSegment && items[0].paramsChanged);
  EXPECT_FALSE(items[0].discontinuity);
}

TEST_F(LiveTest, FansOutToManyViewersInOrderSharingEachFrame) {
  auto stream = makeStream({});
  Publisher publisher(*stream, /*gop=*/10);
  std::vector<std::unique_ptr<LiveViewer>> viewers;
  std::vector<std::vector<LiveItem>> received(100);
  for (int i = 0; i < 100; ++i) viewers.push_back(stream->subscribe([] {}));

  std::vector<const Frame*> published;
  for (int n = 0; n < 30; ++n) {
    published.push_back(publisher.next().get());
    // Viewers read at different paces: viewer i after every (i % 7 + 1) frames.
    for (int i = 0; i < 100; ++i) {
      if ((n + 1) % (i % 7 + 1) != 0) continue;
      for (LiveItem& item : popAll(*viewers[i])) received[i].push_back(std::move(item));
    }
  }
  for (int i = 0; i < 100; ++i) {
    for (LiveItem& item : popAll(*viewers[i])) received[i].push_back(std::move(item));
    ASSERT_EQ(received[i].size(), published.size()) << "viewer " << i;
    for (size_t n = 0; n < published.size(); ++n) {
      // The very object published: shared, never copied per viewer.
      EXPECT_EQ(received[i][n].frame.get(), published[n]) << "viewer " << i << " frame " << n;
      EXPECT_FALSE(received[i][n].discontinuity);
    }
  }
  EXPECT_EQ(stream->stats().viewers, 100u);
  EXPECT_EQ(stream->stats().framesPublished, 30u);
  EXPECT_EQ(stream->stats().skips, 0u);
}

TEST_F(LiveTest, OnReadyIsCalledWhenTheQueueGoesFromEmptyToNonEmpty) {
  auto stream = makeStream({});
  Publisher publisher(*stream, /*gop=*/5);
  publisher.publish(2);
  int woken = 0;
  auto viewer = stream->subscribe([&] { ++woken; });
  EXPECT_EQ(woken, 0);  // the cached GOP is popped after subscribing, unprompted
  publisher.publish(3);
  EXPECT_EQ(woken, 0);  // the queue was never empty
  EXPECT_EQ(popAll(*viewer).size(), 5u);
  publisher.publish(3);
  EXPECT_EQ(woken, 1);
  EXPECT_EQ(popAll(*viewer).size(), 3u);
  EXPECT_TRUE(popAll(*viewer).empty());
  publisher.publish(1);
  EXPECT_EQ(woken, 2);
}

TEST_F(LiveTest, ViewerThatNeverReadsStaysWithinItsBoundAndDoesNotDelayOthers) {
  LiveOptions options;
  options.viewerMaxBytes = 10'000;  // 10 frames of 1000 bytes
  options.viewerMaxFrames = 100;
  options.maxSkips = 1000;  // here only the bound is under test
  auto stream = makeStream(options);
  Publisher publisher(*stream, /*gop=*/8);
  auto stalled = stream->subscribe([] {});
  int fastWoken = 0;
  auto fast = stream->subscribe([&] { ++fastWoken; });

  for (int n = 0; n < 200; ++n) {
    publisher.next();
    std::vector<LiveItem> items = popAll(*fast);
    ASSERT_EQ(items.size(), 1u) << n;  // every frame, at once, in order
    EXPECT_EQ(frameNumber(items[0]), n);
    EXPECT_FALSE(items[0].discontinuity);
  }
  EXPECT_EQ(fastWoken, 200);

  std::vector<LiveItem> held = popAll(*stalled);
  size_t bytes = 0;
  for (const LiveItem& item : held) bytes += item.frame->data.size();
  EXPECT_EQ(frameNumbers(held), (std::vector<int64_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
  EXPECT_LE(bytes, options.viewerMaxBytes);

  LiveStreamStats stats = stream->stats();
  EXPECT_EQ(stats.viewers, 2u);
  // Full after frame 9: frames 10-199 skipped, one skip per keyframe from 16 on.
  EXPECT_EQ(stats.framesSkipped, 190u);
  EXPECT_EQ(stats.skips, 1u + (199 - 16) / 8 + 1);
}

TEST_F(LiveTest, QueueIsBoundedInFramesToo) {
  LiveOptions options;
  options.viewerMaxFrames = 6;
  options.maxSkips = 1000;
  auto stream = makeStream(options);
  Publisher publisher(*stream, /*gop=*/4, /*size=*/10);
  auto stalled = stream->subscribe([] {});
  publisher.publish(50);
  EXPECT_EQ(frameNumbers(popAll(*stalled)), (std::vector<int64_t>{0, 1, 2, 3, 4, 5}));
}

TEST_F(LiveTest, SlowViewerSkipsAheadToTheNextKeyframe) {
  LiveOptions options;
  options.viewerMaxFrames = 5;
  auto stream = makeStream(options);
  Publisher publisher(*stream, /*gop=*/4);
  auto viewer = stream->subscribe([] {});

  publisher.publish(8);  // 0-4 fit; 5 does not: skip; 6 and 7 follow it
  EXPECT_EQ(frameNumbers(popAll(*viewer)), (std::vector<int64_t>{0, 1, 2, 3, 4}));
  publisher.publish(2);  // 8 is a keyframe
  std::vector<LiveItem> items = popAll(*viewer);
  ASSERT_EQ(frameNumbers(items), (std::vector<int64_t>{8, 9}));
  EXPECT_TRUE(items[0].frame->keyframe);
  EXPECT_TRUE(items[0].discontinuity);
  EXPECT_FALSE(items[0].newSegment);
  EXPECT_FALSE(items[0].paramsChanged);
  EXPECT_FALSE(items[1].discontinuity);

  LiveStreamStats stats = stream->stats();
  EXPECT_EQ(stats.skips, 1u);
  EXPECT_EQ(stats.framesSkipped, 3u);
  EXPECT_EQ(stats.viewersDisconnected, 0u);
}

TEST_F(LiveTest, ViewerThatStaysSlowIsDisconnectedWithAReason) {
  LiveOptions options;
  options.viewerMaxFrames = 5;
  options.maxSkips = 2;
  options.skipWindow = std::chrono::seconds(10);
  auto stream = makeStream(options);
  Publisher publisher(*stream, /*gop=*/4);
  int woken = 0;
  auto viewer = stream->subscribe([&] { ++woken; });

  // Full at frame 4. Skips at 5 (full), 8 and 12 (keyframes that do not fit):
  // the third skip within 10 s disconnects.
  publisher.publish(12);
  EXPECT_EQ(stream->stats().viewers, 1u);
  EXPECT_TRUE(viewer->status().isOk());
  EXPECT_EQ(woken, 1);
  publisher.next();     // 12
  EXPECT_EQ(woken, 2);  // told of the disconnect

  EXPECT_EQ(viewer->status().code(), StatusCode::kResourceExhausted);  // seen without popping
  std::vector<LiveItem> items;
  Status status = viewer->pop(items);
  EXPECT_EQ(status.code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(status.message(), "viewer too slow: skipped ahead 3 times within 10 s");
  EXPECT_TRUE(items.empty());  // its queue was released

  publisher.publish(20);
  EXPECT_EQ(woken, 2);
  LiveStreamStats stats = stream->stats();
  EXPECT_EQ(stats.viewers, 0u);
  EXPECT_EQ(stats.viewersDisconnected, 1u);
  EXPECT_EQ(stats.skips, 3u);
  EXPECT_EQ(viewer->pop(items).code(), StatusCode::kResourceExhausted);
}

TEST_F(LiveTest, SkipsFurtherApartThanTheWindowAreForgiven) {
  LiveOptions options;
  options.viewerMaxFrames = 5;
  options.maxSkips = 1;
  options.skipWindow = std::chrono::seconds(10);
  auto stream = makeStream(options);
  Publisher publisher(*stream, /*gop=*/4);
  auto viewer = stream->subscribe([] {});

  // Each round: fill the queue (one skip), then read it all.
  for (int round = 0; round < 5; ++round) {
    publisher.publish(8);
    EXPECT_EQ(popAll(*viewer).size(), 5u) << round;
    clock_.advance(std::chrono::seconds(11));
  }
  EXPECT_EQ(stream->stats().skips, 5u);
  EXPECT_EQ(stream->stats().viewersDisconnected, 0u);

  publisher.publish(8);  // a skip now and another 1 s later: 2 within 10 s
  popAll(*viewer);
  clock_.advance(std::chrono::seconds(1));
  publisher.publish(8);
  std::vector<LiveItem> items;
  EXPECT_EQ(viewer->pop(items).code(), StatusCode::kResourceExhausted);
}

TEST_F(LiveTest, NewSegmentAndParameterChangesReachTheViewer) {
  auto stream = makeStream({});
  Publisher publisher(*stream, /*gop=*/8);
  auto viewer = stream->subscribe([] {});
  publisher.publish(4);
  popAll(*viewer);

  publisher.next(/*newSegment=*/true);    // a clock jump inside a GOP
  publisher.setParams(makeParams(1280));  // same contents, new object
  publisher.publish(3);                   // 5, 6, 7
  publisher.setParams(makeParams(1920));  // new parameter sets at the keyframe
  publisher.next(/*newSegment=*/true);    // 8
  publisher.next();
  std::vector<LiveItem> items = popAll(*viewer);
  ASSERT_EQ(frameNumbers(items), (std::vector<int64_t>{4, 5, 6, 7, 8, 9}));
  EXPECT_TRUE(items[0].newSegment);
  EXPECT_FALSE(items[0].paramsChanged);
  for (int i : {1, 2, 3, 5}) EXPECT_FALSE(items[i].newSegment || items[i].paramsChanged) << i;
  EXPECT_TRUE(items[4].newSegment);
  EXPECT_TRUE(items[4].paramsChanged);
  EXPECT_EQ(items[4].frame->params->width, 1920);
  for (const LiveItem& item : items) EXPECT_FALSE(item.discontinuity);

  // A viewer joining now starts with the new parameter sets.
  auto late = stream->subscribe([] {});
  std::vector<LiveItem> lateItems = popAll(*late);
  ASSERT_EQ(frameNumbers(lateItems), (std::vector<int64_t>{8, 9}));
  EXPECT_TRUE(lateItems[0].paramsChanged && lateItems[0].newSegment);
}

TEST_F(LiveTest, ChangesInSkippedFramesAreCarriedToTheResumingKeyframe) {
  LiveOptions options;
  options.viewerMaxFrames = 5;
  auto stream = makeStream(options);
  Publisher publisher(*stream, /*gop=*/4);
  auto viewer = stream->subscribe([] {});
  publisher.publish(6);  // 0-4 queued, 5 skipped
  publisher.setParams(makeParams(640));
  publisher.next(/*newSegment=*/true);  // 6: skipped, with new parameter sets
  publisher.publish(1);                 // 7
  EXPECT_EQ(popAll(*viewer).size(), 5u);
  publisher.publish(1);  // 8: the keyframe it resumes at
  std::vector<LiveItem> items = popAll(*viewer);
  ASSERT_EQ(frameNumbers(items), (std::vector<int64_t>{8}));
  EXPECT_TRUE(items[0].discontinuity);
  EXPECT_TRUE(items[0].newSegment);
  EXPECT_TRUE(items[0].paramsChanged);
  EXPECT_EQ(items[0].frame->params->width, 640);
}

TEST_F(LiveTest, GopOverTheCapIsNotCachedUntilTheNextKeyframe) {
  LiveOptions options;
  options.gopMaxFrames = 3;
  auto stream = makeStream(options);
  Publisher publisher(*stream, /*gop=*/6);
  publisher.publish(3);
  EXPECT_EQ(stream->stats().gopFrames, 3u);
  publisher.publish(1);  // the 4th frame of the GOP: dropped
  LiveStreamStats stats = stream->stats();
  EXPECT_EQ(stats.gopFrames, 0u);
  EXPECT_EQ(stats.gopBytes, 0u);
  EXPECT_EQ(stats.gopsDropped, 1u);

  auto viewer = stream->subscribe([] {});
  EXPECT_TRUE(popAll(*viewer).empty());
  publisher.publish(2);  // 4, 5: still not cached, not sent to the new viewer
  EXPECT_TRUE(popAll(*viewer).empty());
  EXPECT_EQ(stream->stats().gopFrames, 0u);
  publisher.publish(1);  // 6: a keyframe
  std::vector<LiveItem> items = popAll(*viewer);
  ASSERT_EQ(frameNumbers(items), (std::vector<int64_t>{6}));
  EXPECT_TRUE(items[0].newSegment && items[0].paramsChanged);
  EXPECT_FALSE(items[0].discontinuity);
  EXPECT_EQ(stream->stats().gopFrames, 1u);
  EXPECT_EQ(stream->stats().framesSkipped, 0u);  // waiting for a first keyframe is not a skip
}

TEST_F(LiveTest, GopCapInBytesAndNeverAboveTheViewerBound) {
  LiveOptions options;
  options.gopMaxBytes = 1 << 20;
  options.viewerMaxBytes = 2500;  // the effective GOP cap
  auto stream = makeStream(options);
  Publisher publisher(*stream, /*gop=*/10);
  publisher.publish(2);
  EXPECT_EQ(stream->stats().gopBytes, 2000u);
  publisher.publish(1);
  EXPECT_EQ(stream->stats().gopBytes, 0u);
  EXPECT_EQ(stream->stats().gopsDropped, 1u);
}

TEST_F(LiveTest, DestroyingTheViewerUnsubscribes) {
  auto stream = makeStream({});
  Publisher publisher(*stream, /*gop=*/4);
  int woken = 0;
  auto viewer = stream->subscribe([&] { ++woken; });
  auto other = stream->subscribe([] {});
  EXPECT_EQ(stream->stats().viewers, 2u);
  viewer.reset();
  EXPECT_EQ(stream->stats().viewers, 1u);
  publisher.publish(3);
  EXPECT_EQ(woken, 0);
  EXPECT_EQ(popAll(*other).size(), 3u);
}

TEST_F(LiveTest, RegistryHasOneStreamPerIdAndASnapshotOfAll) {
  LiveRegistry registry({}, clock_);
  auto b = registry.stream("cam-b");
  auto a = registry.stream("cam-a");
  EXPECT_EQ(registry.stream("cam-b"), b);
  Publisher publisher(*b, /*gop=*/5);
  publisher.publish(3);
  auto viewer = a->subscribe([] {});

  std::vector<LiveStreamStats> stats = registry.stats();
  ASSERT_EQ(stats.size(), 2u);
  EXPECT_EQ(stats[0].id, "cam-a");
  EXPECT_EQ(stats[0].viewers, 1u);
  EXPECT_EQ(stats[0].framesPublished, 0u);
  EXPECT_EQ(stats[1].id, "cam-b");
  EXPECT_EQ(stats[1].viewers, 0u);
  EXPECT_EQ(stats[1].framesPublished, 3u);
  EXPECT_EQ(stats[1].gopFrames, 3u);
}

// One publisher thread and several viewer threads that subscribe, pop and
// unsubscribe concurrently. Small queues make viewers skip and be
// disconnected, so every path runs under the sanitizers. Each viewer's
// frames must be in order, start at a keyframe, and jump only at a keyframe
// marked as a discontinuity.
TEST_F(LiveTest, ConcurrentPublishSubscribeAndPopKeepEachViewerConsistent) {
  LiveOptions options;
  options.viewerMaxFrames = 12;
  options.maxSkips = 2;
  auto stream = makeStream(options);
  constexpr int kFrames = 20000;
  std::atomic<bool> done{false};
  std::atomic<int> subscriptions{0};
  std::atomic<int> failures{0};
  std::atomic<int64_t> received{0};

  auto watch = [&] {
    while (!done.load()) {
      // onReady touches this after the handle is gone only if unsubscribe
      // failed to wait for it: AddressSanitizer would report it.
      auto readyCount = std::make_unique<std::atomic<int>>(0);
      auto viewer = stream->subscribe([counter = readyCount.get()] { counter->fetch_add(1); });
      ++subscriptions;
      int64_t last = -1;
      std::vector<LiveItem> items;
      for (int round = 0; round < 50 && !done.load(); ++round) {
        if (!viewer->pop(items).isOk()) break;  // disconnected: subscribe again
        received += static_cast<int64_t>(items.size());
        for (const LiveItem& item : items) {
          const int64_t n = frameNumber(item);
          const bool ok = last < 0        ? item.frame->keyframe && item.newSegment
                          : n == last + 1 ? !item.discontinuity
                                          : n > last && item.frame->keyframe && item.discontinuity;
          if (!ok) ++failures;
          last = n;
        }
        std::this_thread::yield();
      }
      viewer.reset();
      readyCount.reset();
    }
  };
  std::vector<std::thread> watchers;
  for (int i = 0; i < 4; ++i) watchers.emplace_back(watch);
  while (subscriptions.load() < 4) std::this_thread::yield();  // every watcher has started
  Publisher publisher(*stream, /*gop=*/8, /*size=*/100);
  for (int n = 0; n < kFrames; ++n) publisher.next();
  done = true;
  for (std::thread& thread : watchers) thread.join();

  EXPECT_EQ(failures.load(), 0);
  EXPECT_GT(received.load(), 0);
  LiveStreamStats stats = stream->stats();
  EXPECT_EQ(stats.viewers, 0u);
  EXPECT_EQ(stats.framesPublished, static_cast<uint64_t>(kFrames));
}

}  // namespace
}  // namespace vigil::media

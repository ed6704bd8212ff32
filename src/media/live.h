#pragma once
// The live registry: per camera stream, the current GOP in memory and
// fan-out of each new frame to any number of viewers, each behind a
// bounded queue (design/ARCHITECTURE.md, "Live registry").
//
//   camera loop:   stream->publish(frame, newSegment)      never blocks
//   viewer thread: auto viewer = stream->subscribe(onReady);
//                  viewer->pop(items)  after subscribing, and after each onReady
//
// Frames are shared, immutable, between the cache and every viewer; no
// viewer copies bytes. A viewer whose queue is full skips ahead to the next
// keyframe; one that skips more than `maxSkips` times within `skipWindow`
// is disconnected. So one slow viewer never delays the publisher or the
// other viewers, and pins at most its queue's bound of frames.

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/mutex.h"
#include "base/status.h"
#include "base/time.h"
#include "media/frame.h"

namespace vigil::media {

struct LiveOptions {
  // The GOP cache of a stream. A GOP that grows past either limit is
  // dropped; the cache stays empty until the next keyframe, and viewers who
  // subscribe meanwhile wait for it. Applied as at most the viewer limits,
  // so a new viewer's queue always holds the whole cached GOP.
  size_t gopMaxBytes = 4 << 20;
  size_t gopMaxFrames = 250;  // 10 s at 25 fps
  // Each viewer's queue. Frames are shared, not copied: viewers that keep
  // up pin the same few recent frames. The worst case, viewers stuck at
  // different points, is this bound per viewer until each is disconnected
  // (which empties its queue).
  size_t viewerMaxBytes = 8 << 20;
  size_t viewerMaxFrames = 500;  // 20 s at 25 fps
  // A viewer that skips ahead more than `maxSkips` times within
  // `skipWindow` is disconnected (ResourceExhausted). A viewer that never
  // reads skips once per GOP once its queue is full.
  int maxSkips = 3;
  std::chrono::milliseconds skipWindow{30000};
};

// One frame as a viewer receives it.
struct LiveItem {
  std::shared_ptr<const Frame> frame;
  // The viewer's first frame, or the publisher started a new segment here
  // or in frames this viewer skipped (parameter sets changed or the camera
  // clock jumped): pts need not follow on from the previous frame.
  bool newSegment = false;
  // frame->params differ from those of this viewer's previous frame (true
  // on its first frame): send a new init segment.
  bool paramsChanged = false;
  // Frames were dropped for this viewer just before this one (its queue was
  // full and it skipped ahead). The frame is a keyframe; its pts jumps by
  // the media time skipped. Keep decode times continuous.
  bool discontinuity = false;
};

struct LiveStreamStats {
  std::string id;
  size_t viewers = 0;  // subscribed now (disconnected ones excluded)
  uint64_t framesPublished = 0;
  uint64_t skips = 0;                // times a viewer's queue was full and it skipped ahead
  uint64_t framesSkipped = 0;        // frames not delivered because of skips, summed over viewers
  uint64_t viewersDisconnected = 0;  // for being too slow
  size_t gopFrames = 0;              // in the cache now
  size_t gopBytes = 0;
  uint64_t gopsDropped = 0;  // GOPs too large to cache
};

class LiveStream;

// A subscription. Destroying it unsubscribes; once the destructor has
// returned, onReady is never called again. Any thread.
class LiveViewer {
 public:
  ~LiveViewer();
  LiveViewer(const LiveViewer&) = delete;
  LiveViewer& operator=(const LiveViewer&) = delete;

  // Replaces `items` with everything queued, oldest first (possibly none),
  // and empties the queue; the vector's capacity is reused by the queue. Once
  // the viewer has been disconnected: the reason (ResourceExhausted), with
  // `items` empty. Call it when ready to send, not sooner: what was popped
  // is no longer counted against the viewer's bound.
  Status pop(std::vector<LiveItem>& items);
  // OK while subscribed; the reason once disconnected. Pops nothing: for a
  // sender that holds back while its own output is full.
  Status status();

 private:
  friend class LiveStream;
  LiveViewer(std::shared_ptr<LiveStream> stream, std::function<void()> onReady);

  const std::shared_ptr<LiveStream> stream_;
  const std::function<void()> onReady_;

  // Guarded by the stream's mutex (only the stream touches these). Not
  // annotated: the analysis cannot tell that stream_->mutex_ is the mutex
  // the stream holds.
  bool subscribed_ = true;
  bool started_ = false;   // has been offered its first frame
  bool skipping_ = false;  // dropping frames until a keyframe that fits
  bool pendingNewSegment_ = false;
  uint64_t paramsGeneration_ = 0;  // of the last frame queued
  std::deque<std::chrono::steady_clock::time_point> recentSkips_;

  // Shared with pop().
  Mutex mutex_;
  std::vector<LiveItem> queue_ GUARDED_BY(mutex_);
  size_t queuedBytes_ GUARDED_BY(mutex_) = 0;
  Status closed_ GUARDED_BY(mutex_);  // non-OK once disconnected
};

// One camera stream. publish() from one thread at a time (the camera's
// loop); subscribe(), stats() and the viewers from any thread.
class LiveStream : public std::enable_shared_from_this<LiveStream> {
 public:
  // Use LiveRegistry::stream(); `clock` must outlive the stream.
  LiveStream(std::string id, LiveOptions options, const Clock& clock);
  LiveStream(const LiveStream&) = delete;
  LiveStream& operator=(const LiveStream&) = delete;

  // Caches the frame (a keyframe starts a new GOP) and queues it for every
  // viewer. Never blocks on a viewer: it takes the stream's mutex and each
  // viewer's for a push, and calls onReady of viewers whose queue was empty.
  void publish(std::shared_ptr<const Frame> frame, bool newSegment);
  // The same, with one copy of the frame shared by everyone.
  void publish(const Frame& frame, bool newSegment);

  // The viewer's queue starts with the cached GOP (a keyframe first), or
  // empty until the next keyframe; pop() once after subscribing. Then
  // `onReady` is called, on the publisher's thread, each time the queue goes
  // from empty to non-empty, once when the viewer is disconnected and at
  // each dropCache() (with nothing new to pop). It
  // must not block or call into the live registry: post to your executor.
  std::unique_ptr<LiveViewer> subscribe(std::function<void()> onReady);
  // Forgets the cached GOP: a viewer subscribing from now on starts at the
  // next keyframe published; viewers already subscribed keep their queues
  // and are woken (onReady), so that a stream made from this one (a
  // masked one: mask::LiveReencoder) drops its own cache too. For a
  // stream whose publisher starts again from another source (a camera of
  // a node below, fed by a new look; a camera's new RTSP session after
  // its last one ended), so that no picture of an earlier feed is served
  // as if it were this one's.
  void dropCache();
  // How many times dropCache() ran: what was made from the stream's frames
  // before (a live HLS window) belongs to an earlier feed when it changed.
  uint64_t cacheGeneration() const { return cacheGeneration_.load(); }

  LiveStreamStats stats() const;
  const std::string& id() const { return id_; }

 private:
  friend class LiveViewer;
  struct Entry {
    std::shared_ptr<const Frame> frame;
    bool newSegment = false;
    uint64_t paramsGeneration = 0;
  };

  void unsubscribe(LiveViewer* viewer);
  // Queues `entry` for `viewer` (calling onReady when `notify` and the
  // queue was empty) or skips it; false when the viewer has just been
  // disconnected.
  bool offer(LiveViewer& viewer, const Entry& entry, bool notify) REQUIRES(mutex_);
  // A skip at a frame that did not fit; may disconnect.
  bool recordSkip(LiveViewer& viewer) REQUIRES(mutex_);
  void cache(const Entry& entry) REQUIRES(mutex_);

  const std::string id_;
  std::atomic<uint64_t> cacheGeneration_{0};
  const LiveOptions options_;
  const Clock& clock_;

  mutable Mutex mutex_;
  std::vector<LiveViewer*> viewers_ GUARDED_BY(mutex_);  // subscribed and not disconnected
  std::vector<Entry> gop_ GUARDED_BY(mutex_);            // from the last keyframe; empty while dropped
  size_t gopBytes_ GUARDED_BY(mutex_) = 0;
  std::shared_ptr<const VideoParameters> lastParams_ GUARDED_BY(mutex_);
  uint64_t paramsGeneration_ GUARDED_BY(mutex_) = 0;  // +1 each time the published parameters change
  LiveStreamStats stats_ GUARDED_BY(mutex_);          // but id and the gauges, filled by stats()
};

// The live stream of a camera's audio (frames with Frame::audio, on the
// video's clock): "<camera>.audio", made when its first audio frame comes.
std::string liveAudioStreamOf(std::string_view camera);

// Every live stream of a node, by stream id (a camera id, or its audio's).
class LiveRegistry {
 public:
  explicit LiveRegistry(LiveOptions options = {}, const Clock& clock = SystemClock::instance());

  // The stream of `id`, made on first use; callers check that the camera
  // exists. Thread-safe; the publisher may keep the pointer.
  std::shared_ptr<LiveStream> stream(const std::string& id);
  // The stream of `id` if it was made, else null. Thread-safe.
  std::shared_ptr<LiveStream> find(const std::string& id) const;
  // Every stream's counters, by id, for /metrics. Thread-safe.
  std::vector<LiveStreamStats> stats() const;

 private:
  const LiveOptions options_;
  const Clock& clock_;
  mutable Mutex mutex_;
  std::map<std::string, std::shared_ptr<LiveStream>> streams_ GUARDED_BY(mutex_);
};

}  // namespace vigil::media

#include "mask/masking_sink.h"

#include <boost/asio/post.hpp>
#include <deque>

#include "base/log.h"
#include "base/mutex.h"
#include "mask/masker.h"

namespace vigil::mask {

struct MaskingSink::State {
  State(boost::asio::thread_pool& p, std::vector<detect::Polygon> m, camera::FrameSink& n)
      : pool(p), masks(std::move(m)), masker(masks), next(&n) {}

  struct Queued {
    std::string camera;
    media::SharedFrame frame;
    bool newSegment = false;
    uint64_t session = 0;  // of the camera's sessions, counted by their ends
  };

  boost::asio::thread_pool& pool;
  const std::vector<detect::Polygon> masks;
  VideoMasker masker;  // the one drainer's (`draining`)
  uint64_t maskerSession = 0;  // the drainer's: the session the masker's decoder is in
  bool failed = false;  // the drainer's: the encoder failed, nothing more goes on
  bool newSegment = false;  // the drainer's: the next frame out starts a segment
  Mutex mutex;
  std::deque<Queued> queue GUARDED_BY(mutex);
  bool draining GUARDED_BY(mutex) = false;
  bool skipping GUARDED_BY(mutex) = false;       // dropping up to the next keyframe
  uint64_t dropped GUARDED_BY(mutex) = 0;
  uint64_t session GUARDED_BY(mutex) = 0;  // the camera's session now
  // Held while a frame is handed on, taken before `mutex`; the sink's end
  // and a session's end take it.
  Mutex nextMutex;
  camera::FrameSink* next GUARDED_BY(nextMutex);

  // On the pool, one drainer at a time: masks and hands on what waits.
  void drain() {
    std::vector<media::Frame> out;
    for (;;) {
      Queued q;
      {
        MutexLock lock(mutex);
        if (queue.empty()) {
          draining = false;
          return;
        }
        q = std::move(queue.front());
        queue.pop_front();
      }
      if (failed) continue;
      if (q.session != maskerSession) {
        // A new session: decoded afresh, so nothing the decoder still
        // held of the old one comes out.
        masker = VideoMasker(masks);
        maskerSession = q.session;
        newSegment = true;
      }
      newSegment = newSegment || q.newSegment;
      out.clear();
      if (Status s = masker.push(*q.frame, out); !s.isOk()) {
        log::error("mask.all_failed", {{"camera", q.camera}, {"status", s}});
        failed = true;  // fails closed: no unmasked frame instead
        continue;
      }
      MutexLock lock(nextMutex);
      if (!next || !current(q.session)) continue;  // the session ended while it was masked
      for (media::Frame& f : out) {
        next->onFrame(q.camera, std::make_shared<const media::Frame>(std::move(f)), std::exchange(newSegment, false));
      }
    }
  }

  bool current(uint64_t s) EXCLUDES(mutex) {
    MutexLock lock(mutex);
    return s == session;
  }
};

MaskingSink::MaskingSink(boost::asio::thread_pool& pool, std::vector<detect::Polygon> masks, camera::FrameSink& next)
    : state_(std::make_shared<State>(pool, std::move(masks), next)) {}

MaskingSink::~MaskingSink() {
  MutexLock lock(state_->nextMutex);
  state_->next = nullptr;
}

// Audio has nothing to mask: it goes on at once (a few masked frames
// behind its video, which the pts put right again).
void MaskingSink::onAudio(const std::string& cameraId, const media::SharedFrame& frame, bool newSegment) {
  MutexLock lock(state_->nextMutex);
  if (state_->next) state_->next->onAudio(cameraId, frame, newSegment);
}

void MaskingSink::onFrame(const std::string& cameraId, const media::SharedFrame& frame, bool newSegment) {
  State& s = *state_;
  MutexLock lock(s.mutex);
  if (s.skipping && !frame->keyframe) {
    ++s.dropped;
    return;
  }
  if (s.queue.size() >= kMaxQueued) {
    // A keyframe at a full queue replaces what waits, stale by now.
    if (!frame->keyframe) {
      s.skipping = true;
      ++s.dropped;
      return;
    }
    s.dropped += s.queue.size();
    s.queue.clear();
    newSegment = true;
  }
  if (std::exchange(s.skipping, false)) newSegment = true;
  s.queue.push_back({cameraId, frame, newSegment, s.session});
  if (std::exchange(s.draining, true)) return;
  boost::asio::post(s.pool, [weak = std::weak_ptr<State>(state_)] {
    if (auto held = weak.lock()) held->drain();
  });
}

// What waits of the ended session is dropped, and a frame of it being
// masked now is not handed on (the drainer checks its session under
// nextMutex, held here): `next` hears of the end after the session's last
// frame it will ever get.
void MaskingSink::onSessionEnd(const std::string& cameraId) {
  State& s = *state_;
  MutexLock handingOn(s.nextMutex);
  {
    MutexLock lock(s.mutex);
    ++s.session;
    s.queue.clear();
    s.skipping = false;
  }
  if (s.next) s.next->onSessionEnd(cameraId);
}

uint64_t MaskingSink::dropped() const {
  MutexLock lock(state_->mutex);
  return state_->dropped;
}

}  // namespace vigil::mask

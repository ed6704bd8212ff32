#include "storage/event_recorder.h"

#include "base/log.h"
#include "storage/store.h"

namespace vigil::storage {

void StoreOutput::append(const media::Frame& frame, bool newSegment) { store_.append(stream_, frame, newSegment); }

void StoreOutput::endSegment() { store_.endSegment(stream_); }

EventRecorder::EventRecorder(std::string stream, EventRecorderOptions options)
    : stream_(std::move(stream)), options_(options) {}

bool EventRecorder::open() {
  MutexLock lock(mutex_);
  if (wantOpen_) return false;
  wantOpen_ = true;
  ++opens_;
  return true;
}

bool EventRecorder::close() {
  MutexLock lock(mutex_);
  if (!wantOpen_) return false;
  wantOpen_ = false;
  return true;
}

bool EventRecorder::isOpen() const {
  MutexLock lock(mutex_);
  return wantOpen_;
}

size_t EventRecorder::bufferedFrames() const {
  size_t n = 0;
  for (const Gop& gop : buffer_) n += gop.size();
  return n;
}

void EventRecorder::onFrame(const media::Frame& frame, bool newSegment, EventOutput& out) {
  bool wantOpen = false;
  bool opened = false;
  {
    MutexLock lock(mutex_);
    wantOpen = wantOpen_;
    opened = opens_ != opensSeen_;
    opensSeen_ = opens_;
  }
  bool handled = false;
  if (opened && phase_ == Phase::kIdle) {
    // The event opens at this frame: the pre-roll, this frame last.
    keep(frame, newSegment);
    phase_ = Phase::kEvent;
    runStarting_ = true;
    for (const Gop& gop : buffer_) {
      for (const media::Frame& f : gop) emit(f, false, out);
    }
    clearBuffer();
    handled = true;
    log::info("storage.event.open", {{"stream", stream_},
                                     {"at", frame.captureTime.toRfc3339()},
                                     {"pre_roll_from", runStarting_ ? "-" : recordedFrom_.toRfc3339()}});
  } else if (opened) {
    log::info("storage.event.open", {{"stream", stream_}, {"at", frame.captureTime.toRfc3339()}, {"in_post_roll", true}});
    phase_ = Phase::kEvent;
  }
  // A discontinuity during the post-roll: what remained of it continues
  // in the new segment's pts.
  if (phase_ == Phase::kPostRoll && newSegment) postRollEnd_ = frame.pts + (postRollEnd_ - lastPts_);
  lastPts_ = frame.pts;
  if (phase_ == Phase::kEvent && !wantOpen) {
    phase_ = Phase::kPostRoll;
    postRollEnd_ = frame.pts + options_.postRoll;
    log::info("storage.event.close", {{"stream", stream_}, {"at", frame.captureTime.toRfc3339()}});
  }
  if (handled) return;
  if (phase_ == Phase::kPostRoll && frame.keyframe && frame.pts >= postRollEnd_) {
    // The post-roll is over; this keyframe starts the next pre-roll.
    phase_ = Phase::kIdle;
    if (!runStarting_) {
      out.endSegment();
      log::info("storage.event.recorded",
                {{"stream", stream_}, {"from", recordedFrom_.toRfc3339()}, {"to", frame.captureTime.toRfc3339()}});
    }
  }
  if (phase_ == Phase::kIdle) {
    keep(frame, newSegment);
  } else {
    emit(frame, newSegment, out);
  }
}

// A run handed to the store starts at a keyframe, as a new segment.
void EventRecorder::emit(const media::Frame& frame, bool newSegment, EventOutput& out) {
  if (runStarting_) {
    if (!frame.keyframe) return;
    runStarting_ = false;
    recordedFrom_ = frame.captureTime;
    newSegment = true;
  }
  out.append(frame, newSegment);
}

void EventRecorder::keep(const media::Frame& frame, bool newSegment) {
  if (newSegment) clearBuffer();  // pts of different segments do not compare
  if (frame.keyframe) {
    buffer_.emplace_back();
  } else if (buffer_.empty()) {
    return;  // a pre-roll starts at a keyframe
  }
  buffer_.back().push_back(frame);
  bufferBytes_ += frame.data.size();
  // Keep from the last keyframe at or before now - preRoll.
  const MediaTime from = frame.pts + MediaDuration(-options_.preRoll.ticks());
  while (buffer_.size() >= 2 && (buffer_[1].front().pts <= from || bufferBytes_ > options_.maxPreRollBytes)) {
    for (const media::Frame& f : buffer_.front()) bufferBytes_ -= f.data.size();
    buffer_.pop_front();
  }
  if (bufferBytes_ > options_.maxPreRollBytes) clearBuffer();
}

void EventRecorder::clearBuffer() {
  buffer_.clear();
  bufferBytes_ = 0;
}

}  // namespace vigil::storage

#include "storage/event_recorder.h"

#include "base/log.h"
#include "storage/store.h"

namespace vigil::storage {

StoreOutput::StoreOutput(Store& store, std::string stream)
    : store_(store), stream_(std::move(stream)), audioStream_(audioStreamOf(stream_)) {}

void StoreOutput::append(const media::Frame& frame, bool newSegment) { store_.append(stream_, frame, newSegment); }

void StoreOutput::appendAudio(const media::Frame& frame, bool newSegment) {
  store_.append(audioStream_, frame, newSegment);
  audioInRun_ = true;
}

// A camera without audio gets no audio stream.
void StoreOutput::endSegment() {
  store_.endSegment(stream_);
  if (std::exchange(audioInRun_, false)) store_.endSegment(audioStream_);
}

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
  // The audio before this frame goes where the frame before went; at a
  // discontinuity, all that waits is of the segment before.
  settleAudio(newSegment ? nullptr : &frame.pts, out);
  bool handled = false;
  if (opened && phase_ == Phase::kIdle) {
    // The event opens at this frame: the pre-roll, this frame last.
    keep(frame, newSegment);
    phase_ = Phase::kEvent;
    runStarting_ = true;
    for (const Gop& gop : buffer_) {
      for (const media::Frame& f : gop) emit(f, false, out);
    }
    for (const Audio& a : audio_) emitAudio(a, out);
    clearBuffer();
    lastWent_ = runStarting_ ? Went::kDropped : Went::kHandedOn;  // this frame
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
  lastWent_ = phase_ == Phase::kIdle ? keep(frame, newSegment) : emit(frame, newSegment, out);
}

void EventRecorder::onAudio(const media::Frame& frame, bool newSegment, EventOutput& out) {
  if (newSegment) settleAudio(nullptr, out);
  audioWaiting_.push_back({frame, newSegment});
  audioWaitingBytes_ += frame.data.size();
  // No video for long (a stream that stalls): the oldest goes.
  while (audioWaitingBytes_ > options_.maxPreRollBytes) {
    audioWaitingBytes_ -= audioWaiting_.front().frame.data.size();
    audioWaiting_.pop_front();
  }
}

void EventRecorder::settleAudio(const MediaTime* before, EventOutput& out) {
  while (!audioWaiting_.empty() && (!before || audioWaiting_.front().frame.pts < *before)) {
    Audio& a = audioWaiting_.front();
    audioWaitingBytes_ -= a.frame.data.size();
    if (lastWent_ == Went::kHandedOn) {
      emitAudio(a, out);
    } else if (lastWent_ == Went::kKept) {
      audio_.push_back(std::move(a));
    }
    audioWaiting_.pop_front();
  }
}

void EventRecorder::emitAudio(const Audio& audio, EventOutput& out) {
  out.appendAudio(audio.frame, std::exchange(audioRunStarting_, false) || audio.newSegment);
}

// A run handed to the store starts at a keyframe, as a new segment.
EventRecorder::Went EventRecorder::emit(const media::Frame& frame, bool newSegment, EventOutput& out) {
  if (runStarting_) {
    if (!frame.keyframe) return Went::kDropped;
    runStarting_ = false;
    audioRunStarting_ = true;
    recordedFrom_ = frame.captureTime;
    newSegment = true;
  }
  out.append(frame, newSegment);
  return Went::kHandedOn;
}

EventRecorder::Went EventRecorder::keep(const media::Frame& frame, bool newSegment) {
  if (newSegment) clearBuffer();  // pts of different segments do not compare
  if (frame.keyframe) {
    buffer_.emplace_back();
  } else if (buffer_.empty()) {
    return Went::kDropped;  // a pre-roll starts at a keyframe
  }
  buffer_.back().push_back(frame);
  bufferBytes_ += frame.data.size();
  // Keep from the last keyframe at or before now - preRoll.
  const MediaTime from = frame.pts + MediaDuration(-options_.preRoll.ticks());
  while (buffer_.size() >= 2 && (buffer_[1].front().pts <= from || bufferBytes_ > options_.maxPreRollBytes)) {
    for (const media::Frame& f : buffer_.front()) bufferBytes_ -= f.data.size();
    buffer_.pop_front();
  }
  if (bufferBytes_ > options_.maxPreRollBytes) {
    clearBuffer();
    return Went::kDropped;
  }
  while (!audio_.empty() && audio_.front().frame.pts < buffer_.front().front().pts) audio_.pop_front();
  return Went::kKept;
}

void EventRecorder::clearBuffer() {
  buffer_.clear();
  bufferBytes_ = 0;
  audio_.clear();
}

}  // namespace vigil::storage

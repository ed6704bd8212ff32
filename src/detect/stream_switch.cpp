#include "detect/stream_switch.h"

namespace vigil::detect {

std::string_view streamKindName(StreamKind kind) { return kind == StreamKind::kSub ? "sub" : "main"; }

bool StreamSwitch::take(StreamKind stream, const media::Frame& frame, std::chrono::steady_clock::time_point now,
                        bool& newSegment) {
  MutexLock lock(mutex_);
  if (stream == StreamKind::kSub) {
    subSeen_ = true;
    lastSub_ = now;
  }
  const bool subDelivers = subSeen_ && now - lastSub_ <= quiet_;
  // The stream detection should read; it takes over at its next keyframe,
  // and the other goes on being read until then.
  const StreamKind wanted = subDelivers ? StreamKind::kSub : StreamKind::kMain;
  if (stream == current_) return true;
  if (stream != wanted || !frame.keyframe) return false;
  current_ = stream;
  newSegment = true;
  return true;
}

StreamKind StreamSwitch::current() const {
  MutexLock lock(mutex_);
  return current_;
}

}  // namespace vigil::detect

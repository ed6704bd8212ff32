#pragma once
// Which of a camera's two streams detection reads (design/DETECT.md, "Sub
// streams"): the sub stream while it delivers (smaller pictures: cheaper
// to decode and analyse), the main stream before its first frame and once
// it has been quiet for `quiet`. A switch happens at a keyframe of the
// stream switched to, marked as a new segment, so the camera's decoder
// starts over cleanly on the other stream's parameters.
//
// take() is called from both streams' loops (two threads): guarded.

#include <chrono>
#include <string_view>

#include "base/mutex.h"
#include "media/frame.h"

namespace vigil::detect {

enum class StreamKind { kMain, kSub };
std::string_view streamKindName(StreamKind kind);  // "main", "sub"

class StreamSwitch {
 public:
  explicit StreamSwitch(std::chrono::milliseconds quiet = std::chrono::seconds(3)) : quiet_(quiet) {}

  // Whether detection takes this frame of `stream`, received at `now`;
  // `newSegment` is set when it starts the other stream's frames.
  bool take(StreamKind stream, const media::Frame& frame, std::chrono::steady_clock::time_point now,
            bool& newSegment);
  // The stream detection reads now. Thread-safe.
  StreamKind current() const;

 private:
  const std::chrono::milliseconds quiet_;
  mutable Mutex mutex_;
  StreamKind current_ GUARDED_BY(mutex_) = StreamKind::kMain;
  bool subSeen_ GUARDED_BY(mutex_) = false;
  std::chrono::steady_clock::time_point lastSub_ GUARDED_BY(mutex_);
};

}  // namespace vigil::detect

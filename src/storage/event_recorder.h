#pragma once
// Event recording (record = "events", design/STORAGE.md "Record modes"):
// which frames of one stream are recorded. The recorder keeps the last
// few seconds in memory (the pre-roll); when an event opens it hands them
// on, from the keyframe at or before "open - pre-roll" so the recording
// decodes, then every frame while the event is open, then the post-roll:
// frames until the first keyframe at least `postRoll` after the close
// (ending before a keyframe, so a later pre-roll continues without a gap).
//
// Times are the frames' pts, so tests drive it with synthetic frames and
// no clock. An open or close takes effect at the stream's next frame.

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "base/mutex.h"
#include "base/time.h"
#include "media/frame.h"

namespace vigil::storage {

class Store;

struct EventRecorderOptions {
  MediaDuration preRoll{5 * MediaDuration::kTicksPerSecond};
  MediaDuration postRoll{5 * MediaDuration::kTicksPerSecond};
  // The pre-roll held in memory is at most this many bytes: beyond, its
  // oldest GOPs go (a long GOP at a high bitrate). A single GOP larger than
  // this is dropped whole and buffering restarts at the next keyframe.
  size_t maxPreRollBytes = 32u << 20;
};

// Where recorded frames go: the store (StoreOutput) or a test's capture.
class EventOutput {
 public:
  virtual ~EventOutput() = default;
  // As Store::append: `newSegment` when the frame does not follow the
  // previous one handed on.
  virtual void append(const media::Frame& frame, bool newSegment) = 0;
  // The recorded run ends here (the post-roll is over).
  virtual void endSegment() = 0;
};

// Hands a stream's recorded frames to the store.
class StoreOutput final : public EventOutput {
 public:
  StoreOutput(Store& store, std::string stream) : store_(store), stream_(std::move(stream)) {}
  void append(const media::Frame& frame, bool newSegment) override;
  void endSegment() override;

 private:
  Store& store_;
  std::string stream_;
};

class EventRecorder {
 public:
  // `stream` names the stream in log lines.
  EventRecorder(std::string stream, EventRecorderOptions options);

  // On the stream's thread, for every frame it receives (`newSegment` as
  // from the camera: a discontinuity). Calls `out` for what is recorded.
  void onFrame(const media::Frame& frame, bool newSegment, EventOutput& out);

  // Any thread. False when the event is already open (open) or not open
  // (close). Both take effect at the next frame; an open and a close
  // between two frames still record the pre-roll and the post-roll.
  bool open();
  bool close();
  bool isOpen() const;

  // Frames and bytes held for the pre-roll; on the stream's thread.
  size_t bufferedFrames() const;
  size_t bufferedBytes() const { return bufferBytes_; }

 private:
  enum class Phase { kIdle, kEvent, kPostRoll };
  using Gop = std::vector<media::Frame>;  // from a keyframe

  // Adds an idle frame to the pre-roll and drops what is older than it.
  void keep(const media::Frame& frame, bool newSegment);
  void clearBuffer();
  // Hands a frame on; the first of a run must be a keyframe.
  void emit(const media::Frame& frame, bool newSegment, EventOutput& out);

  const std::string stream_;
  const EventRecorderOptions options_;

  mutable Mutex mutex_;
  bool wantOpen_ GUARDED_BY(mutex_) = false;
  uint64_t opens_ GUARDED_BY(mutex_) = 0;  // open() calls so far

  // The stream's thread only.
  uint64_t opensSeen_ = 0;
  Phase phase_ = Phase::kIdle;
  std::deque<Gop> buffer_;
  size_t bufferBytes_ = 0;
  MediaTime postRollEnd_;
  MediaTime lastPts_;        // of the previous frame
  bool runStarting_ = false;  // nothing handed on since the event opened
  WallTime recordedFrom_;    // capture time of the first frame of the run
};

}  // namespace vigil::storage

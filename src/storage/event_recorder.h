#pragma once
// Event recording (record = "events", design/STORAGE.md "Record modes"):
// which frames of one stream are recorded. The recorder keeps the last
// few seconds in memory (the pre-roll); when an event opens it hands them
// on, from the keyframe at or before "open - pre-roll" so the recording
// decodes, then every frame while the event is open, then the post-roll:
// frames until the first keyframe at least `postRoll` after the close
// (ending before a keyframe, so a later pre-roll continues without a gap).
//
// A camera's audio (pts on the video's clock) goes where the video of its
// time goes: an audio frame waits for the first video frame after its pts,
// then joins the video frame before it (kept in the pre-roll, handed on, or
// dropped), so a run's audio starts at its first keyframe and ends before
// the keyframe that ends it (design/STORAGE.md "Audio").
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
  // The same for the stream's audio; `newSegment` at a run's first.
  virtual void appendAudio(const media::Frame& frame, bool newSegment) = 0;
  // The recorded run ends here (the post-roll is over), audio included.
  virtual void endSegment() = 0;
};

// Hands a stream's recorded frames to the store, its audio to the stream
// beside it (audioStreamOf).
class StoreOutput final : public EventOutput {
 public:
  StoreOutput(Store& store, std::string stream);
  void append(const media::Frame& frame, bool newSegment) override;
  void appendAudio(const media::Frame& frame, bool newSegment) override;
  void endSegment() override;

 private:
  Store& store_;
  const std::string stream_;
  const std::string audioStream_;
  bool audioInRun_ = false;  // audio appended since the last endSegment
};

class EventRecorder {
 public:
  // `stream` names the stream in log lines.
  EventRecorder(std::string stream, EventRecorderOptions options);

  // On the stream's thread, for every frame it receives (`newSegment` as
  // from the camera: a discontinuity). Calls `out` for what is recorded.
  void onFrame(const media::Frame& frame, bool newSegment, EventOutput& out);
  // The same for every audio frame of the camera. Never at the same time
  // as onFrame (the same thread, or a lock between them: with masks, the
  // video comes from the masking pool).
  void onAudio(const media::Frame& frame, bool newSegment, EventOutput& out);

  // Any thread. False when the event is already open (open) or not open
  // (close). Both take effect at the next frame; an open and a close
  // between two frames still record the pre-roll and the post-roll.
  bool open();
  bool close();
  bool isOpen() const;

  // Frames and bytes held for the pre-roll; on the stream's thread.
  // Audio frames are counted apart, those waiting for their video too.
  size_t bufferedFrames() const;
  size_t bufferedBytes() const { return bufferBytes_; }
  size_t bufferedAudioFrames() const { return audio_.size() + audioWaiting_.size(); }

 private:
  enum class Phase { kIdle, kEvent, kPostRoll };
  // Where a video frame went, and so the audio of its time.
  enum class Went { kDropped, kKept, kHandedOn };
  using Gop = std::vector<media::Frame>;  // from a keyframe
  struct Audio {
    media::Frame frame;
    bool newSegment = false;
  };

  // Adds an idle frame to the pre-roll and drops what is older than it.
  Went keep(const media::Frame& frame, bool newSegment);
  void clearBuffer();
  // Hands a frame on; the first of a run must be a keyframe.
  Went emit(const media::Frame& frame, bool newSegment, EventOutput& out);
  // Sends the audio waiting with pts before `before` where the previous
  // video frame went (all of it without `before`).
  void settleAudio(const MediaTime* before, EventOutput& out);
  void emitAudio(const Audio& audio, EventOutput& out);

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
  std::deque<Audio> audio_;  // the pre-roll's audio, from its first keyframe's pts
  std::deque<Audio> audioWaiting_;  // for a video frame after it
  size_t audioWaitingBytes_ = 0;
  Went lastWent_ = Went::kDropped;  // the previous video frame
  bool audioRunStarting_ = false;   // no audio handed on in this run yet
};

}  // namespace vigil::storage

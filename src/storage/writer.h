#pragma once
// The writer of one storage directory (design/STORAGE.md, "Write path"):
// one thread, fed by a bounded queue that never blocks the cameras. It
// splits each stream into recordings, appends their samples to sample
// files and commits the index of every stream in one transaction about
// once per commit interval (group commit).

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "media/frame.h"
#include "storage/index_db.h"
#include "storage/sample_index.h"

namespace vigil::storage {

struct WriterOptions {
  // Index commits are this far apart (and so is the loss window of a crash).
  std::chrono::milliseconds commitInterval{1000};
  // A recording is sealed at the keyframe after which the next GOP would
  // take it past this.
  MediaDuration maxRecording{60 * MediaDuration::kTicksPerSecond};
  // Shortens each stream's first recording of a run by a per-stream amount
  // (a hash of its id) so that streams started together rotate apart.
  bool staggerRotation = true;
  // Frames queued but not yet taken by the writer thread; beyond, frames
  // are dropped (and the stream resumes at its next keyframe).
  size_t queueBytes = 64u << 20;
  // syncfs() on the directory's file system before each commit
  // (invariant 2). Off only for tests on throwaway directories.
  bool syncBeforeCommit = true;
};

struct WriterStats {
  uint64_t framesQueued = 0;
  uint64_t framesDropped = 0;   // queue full, or waiting for a keyframe after a drop
  uint64_t framesSkipped = 0;   // no recording open and not a keyframe (or no parameters)
  uint64_t samplesWritten = 0;  // appended to a recording
  uint64_t recordingsSealed = 0;
  uint64_t commits = 0;
  uint64_t writeErrors = 0;
};

class DirWriter {
 public:
  // `path`: the storage directory, already recovered (recovery.h), whose
  // recording ids are all below `nextRecordingId`. `dirFd` is an open
  // descriptor of it, owned by the caller.
  DirWriter(std::string path, int dirFd, std::unique_ptr<IndexDb> db, int64_t nextRecordingId,
            WriterOptions options);
  ~DirWriter();  // stop()
  DirWriter(const DirWriter&) = delete;
  DirWriter& operator=(const DirWriter&) = delete;

  void start();
  // Copies the frame into the queue, or drops it when the queue is full.
  // Never blocks on disk. Thread-safe. False when dropped.
  bool enqueue(const std::string& stream, const media::Frame& frame, bool newSegment);
  // Writes everything queued, seals every open recording, commits and
  // joins the thread. Idempotent.
  void stop();

  WriterStats stats() const;

 private:
  struct Queued {
    std::string stream;
    media::Frame frame;
    bool newSegment = false;
  };
  struct Recording;
  struct Stream;

  void run();
  void process(Queued& item);
  void startRecording(Stream& s, media::Frame frame, WallTime start, bool firstOfRun);
  void appendHeld(Stream& s, int32_t duration);
  void seal(Stream& s);
  void flush();
  bool writeOut(Recording& r);
  void revertToCommitted(Recording& r);
  Stream& streamFor(const std::string& id);

  const std::string path_;
  const int dirFd_;
  std::unique_ptr<IndexDb> db_;  // writer thread only
  int64_t nextRecordingId_;      // writer thread only
  const WriterOptions options_;

  // Writer thread only.
  std::map<std::string, std::unique_ptr<Stream>> streams_;
  std::vector<std::unique_ptr<Recording>> sealed_;  // sealed, row not yet committed as sealed

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Queued> queue_;                            // guarded by mutex_
  size_t queuedBytes_ = 0;                              // guarded by mutex_
  std::unordered_map<std::string, bool> needKeyframe_;  // guarded by mutex_: dropped, resume at a keyframe
  bool stopping_ = false;                               // guarded by mutex_
  std::thread thread_;

  std::atomic<uint64_t> framesQueued_{0}, framesDropped_{0}, framesSkipped_{0}, samplesWritten_{0},
      recordingsSealed_{0}, commits_{0}, writeErrors_{0};
};

}  // namespace vigil::storage

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
#include <set>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "base/mutex.h"
#include "base/time.h"
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
  // are dropped (and the stream resumes at its next keyframe). The queue
  // absorbs a slow sync or commit: 256 MiB is 2 s of 500 streams at
  // 2 Mbit/s, and is only used while the disk lags.
  size_t queueBytes = 256u << 20;
  // syncfs() on the directory's file system before each commit
  // (invariant 2). Off only for tests on throwaway directories.
  bool syncBeforeCommit = true;

  // Retention (design/STORAGE.md, "Retention"); oldest recordings go first.
  // Per stream: recordings that ended more than this many days ago are
  // deleted. A stream not listed uses defaultRetainDays; 0 keeps forever.
  std::map<std::string, int> retainDays;
  int defaultRetainDays = 0;
  // The sample bytes this directory may hold; 0: no limit.
  uint64_t maxBytes = 0;
  // Free space to keep on the directory's file system; 0: none. At most an
  // eighth of the file system is kept free, whatever is asked, so that a
  // disk smaller than the minimum is not emptied (Disk full).
  uint64_t minFreeBytes = 0;
  // After a write fails for want of space, retention frees at least this
  // much (beyond minFreeBytes) before recording resumes: room for what a
  // full queue holds, so that recording does not stop again at once. At
  // most a sixteenth of the file system.
  uint64_t reclaimWhenFull = 64u << 20;
  // Age limits are applied this often; byte and space limits at every
  // commit (a statvfs), and at once when a write finds the disk full.
  std::chrono::milliseconds retentionInterval{60000};
  // The source of "now" for age limits.
  const Clock* clock = &SystemClock::instance();
};

struct WriterStats {
  uint64_t framesQueued = 0;
  uint64_t framesDropped = 0;   // queue full, or waiting for a keyframe after a drop
  uint64_t framesSkipped = 0;   // no recording open and not a keyframe (or no parameters)
  uint64_t samplesWritten = 0;  // appended to a recording
  uint64_t recordingsSealed = 0;
  uint64_t commits = 0;
  uint64_t writeErrors = 0;
  uint64_t framesNotStored = 0;     // arrived while the storage was full
  uint64_t recordingsDeleted = 0;   // by retention
  uint64_t bytesDeleted = 0;
  uint64_t bytesUsed = 0;           // sample bytes the committed index covers
  uint64_t fullEvents = 0;          // writes that failed for want of space
  bool storageFull = false;         // recording is stopped until retention frees space
};

class DirWriter {
  struct Stream;

 public:
  // One stream's way into the writer (input()): enqueue() through it looks
  // nothing up by the stream's name.
  class Input {
   public:
    Input(DirWriter& writer, std::string stream) : writer_(writer), stream_(std::move(stream)) {}
    DirWriter& writer() const { return writer_; }
    const std::string& stream() const { return stream_; }

   private:
    friend class DirWriter;
    DirWriter& writer_;
    const std::string stream_;
    // Guarded by the writer's mutex_ (not annotated: the analysis cannot
    // name another object's mutex): dropped, resume at a keyframe.
    bool needKeyframe_ = false;
    Stream* state_ = nullptr;    // writer thread only: streamFor(stream_), once looked up
  };

  // `path`: the storage directory, already recovered (recovery.h), whose
  // recording ids are all below `nextRecordingId`. `dirFd` is an open
  // descriptor of it, owned by the caller.
  DirWriter(std::string path, int dirFd, std::unique_ptr<IndexDb> db, int64_t nextRecordingId,
            WriterOptions options);
  ~DirWriter();  // stop()
  DirWriter(const DirWriter&) = delete;
  DirWriter& operator=(const DirWriter&) = delete;

  void start();
  // The stream's input, made on first use; lives as long as the writer.
  // Thread-safe.
  Input& input(const std::string& stream);
  // Queues the frame (shared, not copied: its buffer is handed to writev),
  // or drops it when the queue is full. Never blocks on disk. Thread-safe.
  // False when dropped.
  bool enqueue(Input& input, media::SharedFrame frame, bool newSegment);
  // Queues the end of the stream's current run: its last frame is written
  // and its recording sealed (an event's post-roll is over). Thread-safe.
  void endSegment(Input& input);
  // Queues the deletion of every recording of the input's stream in this
  // directory: its run ends (as endSegment()), then its recordings are
  // deleted as retention deletes them, the open one included. For a
  // camera deleted with its recordings (design/CAMERAS.md). Thread-safe.
  void deleteStream(Input& input);
  // Writes everything queued, seals every open recording, commits and
  // joins the thread. Idempotent.
  void stop();

  WriterStats stats() const;
  bool storageFull() const { return full_; }

 private:
  struct Queued {
    Input* input = nullptr;
    media::SharedFrame frame;
    bool newSegment = false;
    bool endSegment = false;  // no frame: the run ends (endSegment())
    bool deleteStream = false;  // no frame: the run ends, the stream's recordings go (deleteStream())
  };
  struct Recording;

  void run();
  size_t wakeBytes() const;
  void process(Queued& item);
  void startRecording(Stream& s, media::SharedFrame frame, WallTime start, bool firstOfRun);
  void appendHeld(Stream& s, int32_t duration);
  void seal(Stream& s);
  // Writes the held frame and seals the open recording, if any.
  void endRun(Stream& s);
  void flush();
  // 0, or the errno of the failed write.
  int writeOut(Recording& r);
  // Applies the age limits when `byAge`, then the byte and free-space
  // limits (stricter while the storage is full), and clears the full flag
  // once there is room.
  void retain(bool byAge);
  void retainByAge();
  // Deletes every recording of the streams in deleting_ (deleteStream()).
  void deleteStreams();
  // Creates the reserve file (writer.cpp) if there is room.
  void makeReserve();
  // The file system's size and free space, from fstatvfs().
  struct FsSpace {
    uint64_t capacity = 0;
    uint64_t available = 0;
  };
  std::optional<FsSpace> fsSpace() const;
  // minFreeBytes, at most an eighth of the file system, plus what the last
  // commit wrote; 0 without minFreeBytes.
  uint64_t minFree(const FsSpace& fs) const;
  // Bytes the byte and free-space limits want freed now.
  uint64_t bytesToFree();
  // Sets maxRecordingBytes_ from the room recordings have (Disk full).
  void sizeRecordings();
  // Deletes the recordings (retention.h); false when that failed.
  bool remove(const std::vector<IndexDb::Candidate>& victims, const char* reason);
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
  std::chrono::steady_clock::time_point nextAgeCheck_;
  std::set<std::string> deleting_;  // deleteStream() taken, not yet done
  // A recording is sealed at the keyframe after which the next GOP would
  // take it past this many bytes: on a disk (or under a maxBytes) that
  // holds few minutes of video, recordings are shorter than maxRecording
  // so that retention can delete the oldest seconds instead of everything.
  uint64_t maxRecordingBytes_ = UINT64_MAX;
  uint64_t lastWriteBytes_ = 0;  // written by the last flush()

  mutable Mutex mutex_;
  std::condition_variable wake_;
  std::deque<Queued> queue_ GUARDED_BY(mutex_);
  size_t queuedBytes_ GUARDED_BY(mutex_) = 0;
  std::map<std::string, std::unique_ptr<Input>> inputs_ GUARDED_BY(mutex_);
  bool stopping_ GUARDED_BY(mutex_) = false;
  bool takeNow_ GUARDED_BY(mutex_) = false;  // wake the writer before its next take
  std::thread thread_;

  std::atomic<uint64_t> framesQueued_{0}, framesDropped_{0}, framesSkipped_{0}, samplesWritten_{0},
      recordingsSealed_{0}, commits_{0}, writeErrors_{0}, framesNotStored_{0}, recordingsDeleted_{0},
      bytesDeleted_{0}, bytesUsed_{0}, fullEvents_{0};
  // Set by the writer thread when a write fails for want of space; cleared
  // when retention has made room. Read by stats().
  std::atomic<bool> full_{false};
};

}  // namespace vigil::storage

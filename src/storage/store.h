#pragma once
// The recording store of a node: one or more storage directories, each
// with its own sample files, SQLite index and writer thread
// (design/STORAGE.md). This is the storage module's entry point.

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/mutex.h"
#include "base/status.h"
#include "base/time.h"
#include "media/frame.h"
#include "storage/fragmented.h"
#include "storage/mp4.h"
#include "storage/playback.h"
#include "storage/recovery.h"
#include "storage/writer.h"

namespace vigil::storage {

struct StoreOptions {
  std::string dataDir;
  // Storage directories, relative to dataDir unless absolute; created when
  // missing. A stream records to the directory that already holds its
  // recordings, else to the one with the fewest streams.
  std::vector<std::string> dirs{"recordings"};
  // Every directory's writer; retention's per-stream days are in it.
  WriterOptions writer;
  // Per directory (by its entry in `dirs`), the byte and free-space limits
  // that replace writer.maxBytes and writer.minFreeBytes.
  struct DirLimits {
    uint64_t maxBytes = 0;
    uint64_t minFreeBytes = 0;
  };
  std::map<std::string, DirLimits> dirLimits;
  // Opens the indexes for reading only: no recovery, no writer (append()
  // drops every frame). For reading a data directory that another process
  // may be recording into (recovery would race its writer), and for timing
  // the read path over a synthetic index (bench/playback.py).
  bool readOnly = false;
};

// One storage directory's state, for status pages and the camera state
// ("storage full").
struct DirStatus {
  std::string path;
  WriterStats stats;
};

// A recording as the API lists it.
struct RecordingInfo {
  int64_t id = 0;
  WallTime start;
  WallTime end;
  int64_t mediaDuration = 0;  // 90 kHz
  uint64_t bytes = 0;
  uint32_t samples = 0;
  bool sealed = false;
};

class Store {
 public:
  // Creates the directories as needed, recovers each (recovery.h) and
  // starts its writer; with readOnly, only opens the existing ones.
  static Result<std::unique_ptr<Store>> open(StoreOptions options);
  ~Store();  // stop()
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // Hands a frame to the stream's writer. Never blocks on disk; a full
  // queue drops the frame (counted in stats()). Thread-safe. `stream`
  // is a camera stream id ([a-z0-9_-]{1,64}, see base/config.h).
  // The writer keeps the shared frame until its bytes are written.
  bool append(const std::string& stream, media::SharedFrame frame, bool newSegment);
  // The stream's input, for append() with no lookup by name per frame:
  // null for a read-only store. Valid as long as the store. Thread-safe.
  DirWriter::Input* input(const std::string& stream);
  bool append(DirWriter::Input& input, media::SharedFrame frame, bool newSegment);
  // The same with a copy of `frame`.
  bool append(const std::string& stream, const media::Frame& frame, bool newSegment);
  // The stream's run of frames ends here: its last frame is written and its
  // recording sealed, rather than held until the next frame shows its
  // duration. For streams recorded in pieces (record = "events").
  void endSegment(const std::string& stream);
  // Deletes every recording of the stream, in every directory, once what
  // is queued for it is written (DirWriter::deleteStream): a camera
  // deleted with its recordings. Returns at once. Thread-safe.
  void deleteRecordings(const std::string& stream);
  // Writes what is queued, seals every recording and stops the writers.
  // append() afterwards drops. Idempotent.
  void stop();

  // Committed recordings of `stream` overlapping [start, end), oldest first.
  Result<std::vector<RecordingInfo>> recordings(const std::string& stream, WallTime start, WallTime end);
  // playback.h; NotFound when nothing is recorded in the range.
  Result<PlaybackPlan> plan(const std::string& stream, WallTime start, WallTime end);
  // A progressive MP4 of the range (mp4.h), with the stream's audio
  // (audioStreamOf(stream)) as a second track when it has any there.
  Result<std::shared_ptr<const VirtualFile>> exportMp4(const std::string& stream, WallTime start, WallTime end);
  // Fragmented MP4 of the range for HLS playback (fragmented.h); with
  // `toAac`, G.711 audio is carried as AAC made by it.
  Result<FragmentedPlayback> fragmentedPlayback(const std::string& stream, WallTime start, WallTime end,
                                                G711ToAacFrames toAac = nullptr);

  // Totals over every directory; storageFull when any is full. Zero when
  // read-only.
  WriterStats stats() const;
  // Per directory, in the order of StoreOptions::dirs. Thread-safe.
  std::vector<DirStatus> dirStatus() const;
  // Whether the directory that `stream` records to is full (Disk full in
  // design/STORAGE.md): its frames are not stored. False for a stream that
  // has recorded nothing yet. Thread-safe.
  bool storageFull(const std::string& stream) const;
  // Per directory, the absolute paths.
  std::vector<std::string> dirPaths() const;
  const std::vector<RecoveryReport>& recoveryReports() const { return recoveries_; }

 private:
  struct Dir;
  Store() = default;
  Dir& dirFor(const std::string& stream);

  std::vector<std::unique_ptr<Dir>> dirs_;
  std::vector<RecoveryReport> recoveries_;
  mutable Mutex assignMutex_;
  std::map<std::string, Dir*> assignment_ GUARDED_BY(assignMutex_);
};

// Runs checkDir (recovery.h) on every storage directory of a data
// directory: each directory under `dataDir` that has an index.
// With `repair`, runs recoverDir first.
struct DataCheckReport {
  std::vector<std::string> dirs;
  int recordings = 0;
  uint64_t samples = 0;
  uint64_t bytes = 0;
  int repairs = 0;
  std::vector<std::string> problems;
};
Result<DataCheckReport> checkDataDir(const std::string& dataDir, bool repair);

// The index database's file name within a storage directory.
inline constexpr const char* kIndexFileName = "index.sqlite3";

}  // namespace vigil::storage

#pragma once
// The recording index of one storage directory: a SQLite database in WAL
// mode (design/STORAGE.md, "Schema"). One IndexDb is one connection and is
// used by one thread at a time; the writer thread and readers each open
// their own.

#include <sqlite3.h>

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "base/status.h"
#include "base/time.h"
#include "media/frame.h"

namespace vigil::storage {

struct RecordingRow {
  int64_t id = 0;  // also names the sample file (sampleFileName)
  std::string stream;
  WallTime start;
  WallTime end;                 // start + media duration, in microseconds
  int64_t mediaDuration = 0;    // 90 kHz ticks, the sum of the sample durations
  uint64_t bytes = 0;           // sample file bytes the index covers
  uint32_t samples = 0;
  int64_t sampleEntryId = 0;
  std::vector<uint8_t> sampleIndex;  // sample_index.h
  bool sealed = false;               // no more samples will be added
};

class IndexDb {
 public:
  ~IndexDb();
  IndexDb(const IndexDb&) = delete;
  IndexDb& operator=(const IndexDb&) = delete;

  // Opens (creating if needed) the database at `path`, sets WAL mode and
  // creates the schema. A database of a newer schema version is refused.
  static Result<std::unique_ptr<IndexDb>> open(const std::string& path);

  Status begin();
  Status commit();
  void rollback();

  // The id of the sample entry equal to `params`, inserted when new.
  Result<int64_t> sampleEntryId(const media::VideoParameters& params);
  Result<media::VideoParameters> sampleEntry(int64_t id);
  // The same for an audio stream's entries (design/STORAGE.md, "Audio");
  // the first one stored moves the index to schema version 2.
  Result<int64_t> sampleEntryId(const media::AudioParameters& params);
  Result<media::AudioParameters> audioSampleEntry(int64_t id);

  // Inserts the row, or replaces the one with its id.
  Status putRecording(const RecordingRow& row);
  Status deleteRecording(int64_t id);

  // Deletion, steps 1 and 4 (design/STORAGE.md, "Retention"). Each is one
  // transaction. markGarbage deletes the rows and lists their ids in the
  // `garbage` table; its commit is synced (synchronous=FULL) before it
  // returns, so no file is unlinked while a lost commit could bring its row
  // back. forgetGarbage drops the ids once their files are gone for good.
  Status markGarbage(std::span<const int64_t> ids);
  Status forgetGarbage(std::span<const int64_t> ids);
  // Ids whose rows are deleted and whose files may still exist.
  Result<std::vector<int64_t>> garbage();

  // What retention chooses from: sealed recordings only (an open one
  // belongs to the writer), without their sample index.
  struct Candidate {
    int64_t id = 0;
    std::string stream;
    WallTime end;
    uint64_t bytes = 0;
  };
  // Of `stream`, those ending at or before `before`, oldest first.
  Result<std::vector<Candidate>> expired(const std::string& stream, WallTime before, int limit);
  // Of every stream, oldest start first.
  Result<std::vector<Candidate>> oldest(int limit);
  // The sum of `bytes` over every row.
  Result<uint64_t> totalBytes();

  Result<std::vector<RecordingRow>> allRecordings();
  // The recordings of `stream` that overlap [start, end), oldest first.
  Result<std::vector<RecordingRow>> recordings(const std::string& stream, WallTime start, WallTime end);
  // Streams with at least one recording here.
  Result<std::vector<std::string>> streams();

 private:
  explicit IndexDb(sqlite3* db) : db_(db) {}
  Status exec(const char* sql);
  Result<int64_t> entryId(const std::string& codec, const media::VideoParameters& row);
  Status allowAudioEntries();
  Result<std::vector<Candidate>> queryCandidates(const char* sql, const std::string* stream, int64_t before,
                                                 int limit);
  Result<std::vector<RecordingRow>> queryRecordings(const char* sql, const std::string* stream,
                                                    WallTime start, WallTime end);
  sqlite3* db_;
  bool audioAllowed_ = false;
};

// A camera's audio is recorded as a stream of its own beside its video
// stream: "cam1" -> "cam1.audio" (stream ids are [a-z0-9_-], so the dot
// cannot clash). Its sample files hold raw audio frames, its entries are
// audio ones (design/STORAGE.md, "Audio").
std::string audioStreamOf(std::string_view videoStream);
bool isAudioStream(std::string_view stream);
// "cam1.audio" -> "cam1"; any other id as is.
std::string_view videoStreamOf(std::string_view stream);

// "000000000000002a": a recording's sample file name within its directory.
std::string sampleFileName(int64_t recordingId);
// The inverse; false for any other name.
bool parseSampleFileName(std::string_view name, int64_t& recordingId);

}  // namespace vigil::storage

#pragma once
// The recording index of one storage directory: a SQLite database in WAL
// mode (design/STORAGE.md, "Schema"). One IndexDb is one connection and is
// used by one thread at a time; the writer thread and readers each open
// their own.

#include <sqlite3.h>

#include <memory>
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

  // Inserts the row, or replaces the one with its id.
  Status putRecording(const RecordingRow& row);
  Status deleteRecording(int64_t id);

  Result<std::vector<RecordingRow>> allRecordings();
  // The recordings of `stream` that overlap [start, end), oldest first.
  Result<std::vector<RecordingRow>> recordings(const std::string& stream, WallTime start, WallTime end);
  // Streams with at least one recording here.
  Result<std::vector<std::string>> streams();
  // 0 when there is none.
  Result<int64_t> maxRecordingId();

 private:
  explicit IndexDb(sqlite3* db) : db_(db) {}
  Status exec(const char* sql);
  Result<std::vector<RecordingRow>> queryRecordings(const char* sql, const std::string* stream,
                                                    WallTime start, WallTime end);
  sqlite3* db_;
};

// "000000000000002a": a recording's sample file name within its directory.
std::string sampleFileName(int64_t recordingId);
// The inverse; false for any other name.
bool parseSampleFileName(std::string_view name, int64_t& recordingId);

}  // namespace vigil::storage

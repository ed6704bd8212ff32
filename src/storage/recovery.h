#pragma once
// Start-up recovery and verification of one storage directory
// (design/STORAGE.md, "Recovery" and "Check").

#include <string>
#include <vector>

#include "base/status.h"
#include "storage/index_db.h"

namespace vigil::storage {

struct RecoveryReport {
  int deletionsFinished = 0;   // recordings whose deletion a crash interrupted
  int rowsSealed = 0;          // open recordings closed at what is on disk
  int samplesRecovered = 0;    // re-indexed from bytes past the committed index
  uint64_t bytesTruncated = 0; // torn or unindexable bytes cut off
  int rowsShortened = 0;       // rows that pointed past the end of their file
  int rowsDeleted = 0;         // rows without a usable sample file
  int orphansRemoved = 0;      // sample files without a row
  int64_t maxRecordingId = 0;  // the highest id left in the directory
  bool clean() const {
    return deletionsFinished == 0 && samplesRecovered == 0 && bytesTruncated == 0 && rowsShortened == 0 &&
           rowsDeleted == 0 && orphansRemoved == 0;
  }
};

// Brings the directory and its index into agreement; runs before the
// directory's writer starts. First it finishes interrupted deletions
// (retention.h), then it repairs rows and files. Every repair is logged. After it, every row
// is sealed and covers bytes that are on disk and synced, and every
// sample file has a row.
Result<RecoveryReport> recoverDir(const std::string& path, int dirFd, IndexDb& db);

struct CheckReport {
  int recordings = 0;
  uint64_t samples = 0;
  uint64_t bytes = 0;
  std::vector<std::string> problems;  // one line each; empty when clean
};

// Verifies, without changing anything, every row against its sample file:
// the index decodes and adds up to the row's totals, the file is as long
// as the index (longer only for a recording still open), every sample
// parses as length-prefixed NAL units, starts at a keyframe and has the
// keyframe flag its NAL units imply; and no sample file lacks a row,
// except the files of recordings being deleted (listed in `garbage`).
Result<CheckReport> checkDir(const std::string& path, IndexDb& db);

}  // namespace vigil::storage

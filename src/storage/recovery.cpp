#include "storage/recovery.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <set>

#include "base/log.h"
#include "storage/access_units.h"
#include "storage/retention.h"
#include "storage/sample_index.h"

namespace vigil::storage {
namespace {

// Sample-file ids present in the directory.
Result<std::set<int64_t>> listSampleFiles(const std::string& path) {
  DIR* dir = ::opendir(path.c_str());
  if (dir == nullptr) return Status::unavailable(fmt::format("cannot list {}: {}", path, std::strerror(errno)));
  std::set<int64_t> ids;
  while (dirent* e = ::readdir(dir)) {
    int64_t id = 0;
    if (parseSampleFileName(e->d_name, id)) ids.insert(id);
  }
  ::closedir(dir);
  return ids;
}

// -1 when the file is missing.
int64_t fileSize(int dirFd, int64_t id) {
  struct stat st {};
  if (::fstatat(dirFd, sampleFileName(id).c_str(), &st, 0) != 0) return -1;
  return st.st_size;
}

Result<media::Bytes> readRange(int dirFd, int64_t id, uint64_t offset, uint64_t length) {
  const int fd = ::openat(dirFd, sampleFileName(id).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::notFound(fmt::format("sample file {}: {}", sampleFileName(id), std::strerror(errno)));
  media::Bytes out(length);
  size_t done = 0;
  while (done < length) {
    const ssize_t n = ::pread(fd, out.data() + done, length - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
  ::close(fd);
  if (done != length) return Status::dataLoss(fmt::format("sample file {}: short read", sampleFileName(id)));
  return out;
}

Status truncateAndSync(int dirFd, int64_t id, uint64_t size) {
  const int fd = ::openat(dirFd, sampleFileName(id).c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return Status::unavailable(fmt::format("open {}: {}", sampleFileName(id), std::strerror(errno)));
  const bool ok = ::ftruncate(fd, static_cast<off_t>(size)) == 0 && ::fsync(fd) == 0;
  const int err = errno;
  ::close(fd);
  return ok ? Status::ok() : Status::unavailable(fmt::format("truncate {}: {}", sampleFileName(id), std::strerror(err)));
}

Status syncFile(int dirFd, int64_t id) {
  const int fd = ::openat(dirFd, sampleFileName(id).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::unavailable(fmt::format("open {}: {}", sampleFileName(id), std::strerror(errno)));
  const bool ok = ::fsync(fd) == 0;
  const int err = errno;
  ::close(fd);
  return ok ? Status::ok() : Status::unavailable(fmt::format("fsync {}: {}", sampleFileName(id), std::strerror(err)));
}

// Rebuilds a row's totals and index from a list of samples.
void setSamples(RecordingRow& row, const std::vector<SampleInfo>& samples) {
  SampleIndexEncoder encoder;
  row.mediaDuration = 0;
  row.bytes = 0;
  for (const SampleInfo& s : samples) {
    encoder.add(s);
    row.mediaDuration += s.duration;
    row.bytes += s.bytes;
  }
  row.samples = static_cast<uint32_t>(samples.size());
  row.sampleIndex = encoder.bytes();
  row.end = WallTime::fromUnixMicros(row.start.unixMicros() + ticksToMicros(row.mediaDuration));
}

// recoverDir in the steps of STORAGE.md, "Recovery". One pass over one
// directory; the steps share the directory, its index and the report.
class Recovery {
 public:
  Recovery(const std::string& path, int dirFd, IndexDb& db) : path_(path), dirFd_(dirFd), db_(db) {}

  Result<RecoveryReport> run() {
    VIGIL_RETURN_IF_ERROR(finishDeletions());
    auto rows = db_.allRecordings();
    if (!rows) return rows.status();
    VIGIL_RETURN_IF_ERROR(repairRows(*rows));
    VIGIL_RETURN_IF_ERROR(applyFileRepairs());
    VIGIL_RETURN_IF_ERROR(removeOrphans(*rows));
    if (::fsync(dirFd_) != 0) return Status::unavailable(fmt::format("fsync {}: {}", path_, std::strerror(errno)));
    if (!report_.clean()) {
      log::info("storage.recovery.done",
                {{"dir", path_}, {"deletions_finished", report_.deletionsFinished},
                 {"rows_sealed", report_.rowsSealed}, {"samples_recovered", report_.samplesRecovered},
                 {"bytes_truncated", report_.bytesTruncated}, {"rows_shortened", report_.rowsShortened},
                 {"rows_deleted", report_.rowsDeleted}, {"orphans_removed", report_.orphansRemoved}});
    }
    return report_;
  }

 private:
  // Step 0. A deletion interrupted by a crash is finished first: its rows
  // are already gone, so its files must not be taken for orphans below.
  Status finishDeletions() {
    auto collected = collectGarbage(db_, dirFd_);
    if (!collected) return collected.status();
    if (!collected->empty()) {
      log::warn("storage.recovery.deletions_finished", {{"dir", path_}, {"recordings", collected->size()}});
      report_.deletionsFinished = static_cast<int>(collected->size());
      // New recordings are numbered above the deleted ones.
      report_.maxRecordingId = collected->back();
    }
    return Status::ok();
  }

  // Steps 1 and 2: every row compared with its sample file, the row changes
  // in one transaction. Changes that shrink a row are committed before the
  // file is cut (applyFileRepairs); changes that grow it are committed after
  // the bytes are synced (invariant 3: no row ever points past durable bytes).
  Status repairRows(std::vector<RecordingRow>& rows) {
    VIGIL_RETURN_IF_ERROR(db_.begin());
    for (RecordingRow& row : rows) {
      if (Status s = repairRow(row); !s.isOk()) {
        db_.rollback();
        return s;
      }
    }
    return db_.commit();
  }

  Status repairRow(RecordingRow& row) {
    const int64_t size = fileSize(dirFd_, row.id);
    auto samples = decodeSampleIndex(row.sampleIndex);
    if (size < 0 || !samples || samples->empty() || samples->size() != row.samples) {
      log::warn("storage.recovery.row_deleted",
                {{"dir", path_}, {"recording", row.id}, {"stream", row.stream},
                 {"reason", size < 0 ? std::string("sample file missing")
                            : !samples ? samples.status().message()
                                       : std::string("index does not match the row")}});
      return deleteRow(row, /*fileExists=*/size >= 0);
    }
    const auto fileBytes = static_cast<uint64_t>(size);
    bool changed = false;
    if (fileBytes < row.bytes) {
      // The index points past the file: keep the samples that are whole.
      uint64_t covered = 0;
      size_t keep = 0;
      while (keep < samples->size() && covered + (*samples)[keep].bytes <= fileBytes) covered += (*samples)[keep++].bytes;
      log::warn("storage.recovery.row_shortened",
                {{"dir", path_}, {"recording", row.id}, {"stream", row.stream}, {"index_bytes", row.bytes},
                 {"file_bytes", fileBytes}, {"samples_kept", keep}});
      ++report_.rowsShortened;
      if (keep == 0) return deleteRow(row, /*fileExists=*/true);
      samples->resize(keep);
      setSamples(row, *samples);
      truncations_.push_back({row.id, row.bytes});
      report_.bytesTruncated += fileBytes - row.bytes;
      changed = true;
    } else if (fileBytes > row.bytes) {
      // An audio recording's tail is cut (raw AAC frames carry no
      // boundaries to find them by): at most a commit interval of sound.
      if (!row.sealed && !isAudioStream(row.stream)) {
        auto reindexed = reindexTail(row, *samples, fileBytes);
        if (!reindexed) return reindexed.status();
        changed = *reindexed;
      }
      if (row.bytes < fileBytes) {
        log::warn("storage.recovery.tail_truncated",
                  {{"dir", path_}, {"recording", row.id}, {"stream", row.stream}, {"bytes", fileBytes - row.bytes}});
        truncations_.push_back({row.id, row.bytes});
        report_.bytesTruncated += fileBytes - row.bytes;
      }
    }
    if (!row.sealed) {
      row.sealed = true;
      changed = true;
      ++report_.rowsSealed;
    }
    if (changed) VIGIL_RETURN_IF_ERROR(db_.putRecording(row));
    report_.maxRecordingId = std::max(report_.maxRecordingId, row.id);
    return Status::ok();
  }

  Status deleteRow(const RecordingRow& row, bool fileExists) {
    VIGIL_RETURN_IF_ERROR(db_.deleteRecording(row.id));
    if (fileExists) deletions_.push_back(row.id);
    ++report_.rowsDeleted;
    return Status::ok();
  }

  // An open row's file holds bytes past its index: the access units found
  // in them are added to the row once they are synced. True if any were.
  Result<bool> reindexTail(RecordingRow& row, std::vector<SampleInfo>& samples, uint64_t fileBytes) {
    if (!codecs_.contains(row.sampleEntryId)) {
      auto entry = db_.sampleEntry(row.sampleEntryId);
      if (!entry) return entry.status();
      codecs_[row.sampleEntryId] = entry->codec;
    }
    auto tail = readRange(dirFd_, row.id, row.bytes, fileBytes - row.bytes);
    if (!tail) return tail.status();
    const AccessUnitScan scan = scanAccessUnits(codecs_[row.sampleEntryId], *tail);
    if (scan.units.empty()) return false;
    // Recovered samples take the duration of the last indexed one: the pts
    // were never written, and a camera's frame rate is steady.
    const int32_t duration = samples.back().duration;
    for (const AccessUnitSpan& au : scan.units) {
      samples.push_back(SampleInfo{duration, static_cast<uint32_t>(au.bytes), au.keyframe});
    }
    report_.samplesRecovered += static_cast<int>(scan.units.size());
    log::warn("storage.recovery.samples_reindexed", {{"dir", path_}, {"recording", row.id}, {"stream", row.stream},
                                                     {"samples", scan.units.size()}, {"bytes", scan.wholeBytes}});
    VIGIL_RETURN_IF_ERROR(syncFile(dirFd_, row.id));
    setSamples(row, samples);
    return true;
  }

  // Step 2, after the commit: files cut to their rows, deleted rows' files removed.
  Status applyFileRepairs() {
    for (const Truncation& t : truncations_) VIGIL_RETURN_IF_ERROR(truncateAndSync(dirFd_, t.id, t.size));
    for (int64_t id : deletions_) ::unlinkat(dirFd_, sampleFileName(id).c_str(), 0);
    return Status::ok();
  }

  // Step 3: a sample file with no row holds at most one commit interval of
  // a recording whose first row never committed. Its timing was never
  // written, so it is removed rather than adopted.
  Status removeOrphans(const std::vector<RecordingRow>& rows) {
    auto files = listSampleFiles(path_);
    if (!files) return files.status();
    std::set<int64_t> indexed;
    for (const RecordingRow& row : rows) indexed.insert(row.id);
    for (int64_t id : deletions_) indexed.erase(id);
    for (int64_t id : *files) {
      if (indexed.contains(id)) continue;
      log::warn("storage.recovery.orphan_removed",
                {{"dir", path_}, {"file", sampleFileName(id)}, {"bytes", fileSize(dirFd_, id)}});
      ::unlinkat(dirFd_, sampleFileName(id).c_str(), 0);
      ++report_.orphansRemoved;
    }
    return Status::ok();
  }

  struct Truncation {
    int64_t id;
    uint64_t size;
  };

  const std::string& path_;
  const int dirFd_;
  IndexDb& db_;
  RecoveryReport report_;
  std::map<int64_t, media::VideoCodec> codecs_;  // by sample entry
  std::vector<Truncation> truncations_;
  std::vector<int64_t> deletions_;  // sample files to unlink after the commit
};

}  // namespace

Result<RecoveryReport> recoverDir(const std::string& path, int dirFd, IndexDb& db) {
  return Recovery(path, dirFd, db).run();
}

Result<CheckReport> checkDir(const std::string& path, IndexDb& db) {
  CheckReport report;
  auto rows = db.allRecordings();
  if (!rows) return rows.status();
  auto garbage = db.garbage();
  if (!garbage) return garbage.status();
  const int dirFd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dirFd < 0) return Status::unavailable(fmt::format("cannot open {}: {}", path, std::strerror(errno)));
  std::map<int64_t, media::VideoCodec> codecs;
  std::set<int64_t> indexed(garbage->begin(), garbage->end());  // a file being deleted is not an orphan
  for (const RecordingRow& row : *rows) {
    indexed.insert(row.id);
    ++report.recordings;
    auto problem = [&](std::string what) {
      report.problems.push_back(fmt::format("recording {} ({}): {}", row.id, row.stream, what));
    };
    auto samples = decodeSampleIndex(row.sampleIndex);
    if (!samples) {
      problem(samples.status().message());
      continue;
    }
    uint64_t bytes = 0;
    int64_t duration = 0;
    for (const SampleInfo& s : *samples) {
      bytes += s.bytes;
      duration += s.duration;
    }
    if (samples->size() != row.samples || bytes != row.bytes || duration != row.mediaDuration) {
      problem(fmt::format("index totals {} samples, {} bytes, {} ticks; row says {}, {}, {}", samples->size(), bytes,
                          duration, row.samples, row.bytes, row.mediaDuration));
      continue;
    }
    if (row.end.unixMicros() != row.start.unixMicros() + ticksToMicros(row.mediaDuration)) {
      problem("end time does not match start + media duration");
    }
    if (!samples->empty() && !samples->front().keyframe) problem("does not start at a keyframe");
    const int64_t size = fileSize(dirFd, row.id);
    if (size < 0) {
      problem("sample file missing");
      continue;
    }
    if (static_cast<uint64_t>(size) < row.bytes) {
      problem(fmt::format("sample file has {} bytes, the index covers {}", size, row.bytes));
      continue;
    }
    if (static_cast<uint64_t>(size) > row.bytes && row.sealed) {
      problem(fmt::format("{} bytes past the index in a sealed recording", static_cast<uint64_t>(size) - row.bytes));
    }
    if (isAudioStream(row.stream)) {
      // Raw audio frames: nothing in them to check against the index.
      if (auto entry = db.audioSampleEntry(row.sampleEntryId); !entry) problem(entry.status().message());
      report.samples += row.samples;
      report.bytes += row.bytes;
      continue;
    }
    if (!codecs.contains(row.sampleEntryId)) {
      auto entry = db.sampleEntry(row.sampleEntryId);
      if (!entry) {
        problem(entry.status().message());
        continue;
      }
      codecs[row.sampleEntryId] = entry->codec;
    }
    auto data = readRange(dirFd, row.id, 0, row.bytes);
    if (!data) {
      problem(data.status().message());
      continue;
    }
    size_t offset = 0;
    for (size_t i = 0; i < samples->size(); ++i) {
      const media::ByteView au(data->data() + offset, (*samples)[i].bytes);
      offset += (*samples)[i].bytes;
      if (media::splitLengthPrefixed(au).empty()) {
        problem(fmt::format("sample {} is not whole length-prefixed NAL units", i));
        break;
      }
      if (containsKeyframe(codecs[row.sampleEntryId], au) != (*samples)[i].keyframe) {
        problem(fmt::format("sample {} keyframe flag disagrees with its NAL units", i));
        break;
      }
    }
    report.samples += row.samples;
    report.bytes += row.bytes;
  }
  auto files = listSampleFiles(path);
  ::close(dirFd);
  if (!files) return files.status();
  for (int64_t id : *files) {
    if (!indexed.contains(id)) report.problems.push_back(fmt::format("sample file {} has no row", sampleFileName(id)));
  }
  return report;
}

}  // namespace vigil::storage

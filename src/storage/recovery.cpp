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

}  // namespace

Result<RecoveryReport> recoverDir(const std::string& path, int dirFd, IndexDb& db) {
  RecoveryReport report;
  // A deletion interrupted by a crash is finished first: its rows are
  // already gone, so its files must not be taken for orphans below.
  auto collected = collectGarbage(db, dirFd);
  if (!collected) return collected.status();
  if (!collected->empty()) {
    log::warn("storage.recovery.deletions_finished", {{"dir", path}, {"recordings", collected->size()}});
    report.deletionsFinished = static_cast<int>(collected->size());
    // New recordings are numbered above the deleted ones.
    report.maxRecordingId = collected->back();
  }
  auto rows = db.allRecordings();
  if (!rows) return rows.status();
  std::map<int64_t, media::VideoCodec> codecs;  // by sample entry

  // Rows first. Changes that shrink a row are committed before the file is
  // cut; changes that grow it are committed after the bytes are synced
  // (invariant 3: no row ever points past durable bytes).
  struct Truncation {
    int64_t id;
    uint64_t size;
  };
  std::vector<Truncation> truncations;
  std::vector<int64_t> deletions;  // sample files to unlink after the commit
  VIGIL_RETURN_IF_ERROR(db.begin());
  auto fail = [&](Status s) {
    db.rollback();
    return s;
  };
  for (RecordingRow& row : *rows) {
    const int64_t size = fileSize(dirFd, row.id);
    auto samples = decodeSampleIndex(row.sampleIndex);
    if (size < 0 || !samples || samples->empty() || samples->size() != row.samples) {
      log::warn("storage.recovery.row_deleted",
                {{"dir", path}, {"recording", row.id}, {"stream", row.stream},
                 {"reason", size < 0 ? std::string("sample file missing")
                            : !samples ? samples.status().message()
                                       : std::string("index does not match the row")}});
      if (Status s = db.deleteRecording(row.id); !s.isOk()) return fail(s);
      if (size >= 0) deletions.push_back(row.id);
      ++report.rowsDeleted;
      continue;
    }
    const auto fileBytes = static_cast<uint64_t>(size);
    bool changed = false;
    if (fileBytes < row.bytes) {
      // The index points past the file: keep the samples that are whole.
      uint64_t covered = 0;
      size_t keep = 0;
      while (keep < samples->size() && covered + (*samples)[keep].bytes <= fileBytes) covered += (*samples)[keep++].bytes;
      log::warn("storage.recovery.row_shortened",
                {{"dir", path}, {"recording", row.id}, {"stream", row.stream}, {"index_bytes", row.bytes},
                 {"file_bytes", fileBytes}, {"samples_kept", keep}});
      ++report.rowsShortened;
      if (keep == 0) {
        if (Status s = db.deleteRecording(row.id); !s.isOk()) return fail(s);
        deletions.push_back(row.id);
        ++report.rowsDeleted;
        continue;
      }
      samples->resize(keep);
      setSamples(row, *samples);
      truncations.push_back({row.id, row.bytes});
      report.bytesTruncated += fileBytes - row.bytes;
      changed = true;
    } else if (fileBytes > row.bytes) {
      uint64_t recovered = 0;
      if (!row.sealed) {
        if (!codecs.contains(row.sampleEntryId)) {
          auto entry = db.sampleEntry(row.sampleEntryId);
          if (!entry) return fail(entry.status());
          codecs[row.sampleEntryId] = entry->codec;
        }
        auto tail = readRange(dirFd, row.id, row.bytes, fileBytes - row.bytes);
        if (!tail) return fail(tail.status());
        const AccessUnitScan scan = scanAccessUnits(codecs[row.sampleEntryId], *tail);
        // Recovered samples take the duration of the last indexed one: the
        // pts were never written, and a camera's frame rate is steady.
        const int32_t duration = samples->back().duration;
        for (const AccessUnitSpan& au : scan.units) {
          samples->push_back(SampleInfo{duration, static_cast<uint32_t>(au.bytes), au.keyframe});
        }
        recovered = scan.wholeBytes;
        report.samplesRecovered += static_cast<int>(scan.units.size());
        if (!scan.units.empty()) {
          log::warn("storage.recovery.samples_reindexed",
                    {{"dir", path}, {"recording", row.id}, {"stream", row.stream},
                     {"samples", scan.units.size()}, {"bytes", recovered}});
          if (Status s = syncFile(dirFd, row.id); !s.isOk()) return fail(s);
          setSamples(row, *samples);
          changed = true;
        }
      }
      if (row.bytes < fileBytes) {
        log::warn("storage.recovery.tail_truncated",
                  {{"dir", path}, {"recording", row.id}, {"stream", row.stream},
                   {"bytes", fileBytes - row.bytes}});
        truncations.push_back({row.id, row.bytes});
        report.bytesTruncated += fileBytes - row.bytes;
      }
    }
    if (!row.sealed) {
      row.sealed = true;
      changed = true;
      ++report.rowsSealed;
    }
    if (changed) {
      if (Status s = db.putRecording(row); !s.isOk()) return fail(s);
    }
    report.maxRecordingId = std::max(report.maxRecordingId, row.id);
  }
  VIGIL_RETURN_IF_ERROR(db.commit());
  for (const Truncation& t : truncations) VIGIL_RETURN_IF_ERROR(truncateAndSync(dirFd, t.id, t.size));
  for (int64_t id : deletions) ::unlinkat(dirFd, sampleFileName(id).c_str(), 0);

  // Then files: a sample file with no row holds at most one commit
  // interval of a recording whose first row never committed. Its
  // timing was never written, so it is removed rather than adopted.
  auto files = listSampleFiles(path);
  if (!files) return files.status();
  std::set<int64_t> indexed;
  for (const RecordingRow& row : *rows) indexed.insert(row.id);
  for (int64_t id : deletions) indexed.erase(id);
  for (int64_t id : *files) {
    if (indexed.contains(id)) continue;
    log::warn("storage.recovery.orphan_removed", {{"dir", path}, {"file", sampleFileName(id)},
                                                  {"bytes", fileSize(dirFd, id)}});
    ::unlinkat(dirFd, sampleFileName(id).c_str(), 0);
    ++report.orphansRemoved;
  }
  if (::fsync(dirFd) != 0) return Status::unavailable(fmt::format("fsync {}: {}", path, std::strerror(errno)));
  if (!report.clean()) {
    log::info("storage.recovery.done",
              {{"dir", path}, {"deletions_finished", report.deletionsFinished}, {"rows_sealed", report.rowsSealed},
               {"samples_recovered", report.samplesRecovered}, {"bytes_truncated", report.bytesTruncated},
               {"rows_shortened", report.rowsShortened},
               {"rows_deleted", report.rowsDeleted}, {"orphans_removed", report.orphansRemoved}});
  }
  return report;
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

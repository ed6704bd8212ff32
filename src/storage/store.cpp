#include "storage/store.h"

#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "base/log.h"

namespace vigil::storage {

struct Store::Dir {
  std::string path;
  int fd = -1;
  std::unique_ptr<DirWriter> writer;
  Mutex readMutex;
  std::unique_ptr<IndexDb> reader GUARDED_BY(readMutex);
  std::map<int64_t, std::shared_ptr<const media::VideoParameters>> entries GUARDED_BY(readMutex);
  std::map<int64_t, std::shared_ptr<const media::AudioParameters>> audioEntries GUARDED_BY(readMutex);
  // Guarded by Store::assignMutex_ (not annotated: the analysis cannot name
  // another object's mutex).
  size_t streams = 0;

  ~Dir() {
    if (writer) writer->stop();
    if (fd >= 0) ::close(fd);
  }
};

Result<std::unique_ptr<Store>> Store::open(StoreOptions options) {
  std::unique_ptr<Store> store(new Store());
  for (const std::string& name : options.dirs) {
    const std::filesystem::path path = std::filesystem::path(options.dataDir) / name;
    std::error_code ec;
    if (!options.readOnly) std::filesystem::create_directories(path, ec);
    if (ec) return Status::unavailable(fmt::format("cannot create {}: {}", path.string(), ec.message()));
    auto dir = std::make_unique<Dir>();
    dir->path = std::filesystem::absolute(path).lexically_normal().string();
    dir->fd = ::open(dir->path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir->fd < 0) return Status::unavailable(fmt::format("cannot open {}: {}", dir->path, std::strerror(errno)));
    const std::string dbPath = dir->path + "/" + kIndexFileName;
    if (options.readOnly && !std::filesystem::exists(dbPath)) {
      return Status::notFound(fmt::format("no index in {}", dir->path));
    }
    std::unique_ptr<IndexDb> writerDb;
    int64_t nextRecordingId = 0;
    if (!options.readOnly) {
      auto db = IndexDb::open(dbPath);
      if (!db) return db.status();
      writerDb = std::move(db.value());
      auto report = recoverDir(dir->path, dir->fd, *writerDb);
      if (!report) return report.status();
      store->recoveries_.push_back(*report);
      nextRecordingId = report->maxRecordingId + 1;
    }
    auto readerDb = IndexDb::open(dbPath);
    if (!readerDb) return readerDb.status();
    auto streams = (*readerDb)->streams();
    if (!streams) return streams.status();
    {
      // No other thread yet; locked for the analysis' sake.
      MutexLock lock(store->assignMutex_);
      for (const std::string& s : *streams) {
        if (!store->assignment_.contains(s)) {
          store->assignment_[s] = dir.get();
          ++dir->streams;
        }
      }
    }
    {
      MutexLock lock(dir->readMutex);
      dir->reader = std::move(readerDb.value());
    }
    if (writerDb) {
      WriterOptions writerOptions = options.writer;
      if (auto limits = options.dirLimits.find(name); limits != options.dirLimits.end()) {
        writerOptions.maxBytes = limits->second.maxBytes;
        writerOptions.minFreeBytes = limits->second.minFreeBytes;
      }
      dir->writer = std::make_unique<DirWriter>(dir->path, dir->fd, std::move(writerDb), nextRecordingId,
                                                std::move(writerOptions));
      dir->writer->start();
    }
    log::info("storage.dir.open", {{"dir", dir->path}, {"streams", dir->streams}, {"read_only", options.readOnly}});
    store->dirs_.push_back(std::move(dir));
  }
  if (store->dirs_.empty()) return Status::invalidArgument("no storage directory configured");
  return store;
}

Store::~Store() { stop(); }

void Store::stop() {
  for (auto& dir : dirs_) {
    if (dir->writer) dir->writer->stop();
  }
}

Store::Dir& Store::dirFor(const std::string& stream) {
  MutexLock lock(assignMutex_);
  Dir*& dir = assignment_[stream];
  if (dir != nullptr) return *dir;
  // A camera's audio records where its video does: one writer, one syncfs
  // and one commit for both (design/STORAGE.md, "Audio").
  Dir*& chosen = isAudioStream(stream) ? assignment_[std::string(videoStreamOf(stream))] : dir;
  if (chosen == nullptr) {
    chosen = dirs_.front().get();
    for (auto& d : dirs_) {
      if (d->streams < chosen->streams) chosen = d.get();
    }
    ++chosen->streams;
  }
  if (&chosen != &dir) {
    dir = chosen;
    ++dir->streams;
  }
  return *dir;
}

DirWriter::Input* Store::input(const std::string& stream) {
  DirWriter* writer = dirFor(stream).writer.get();
  return writer ? &writer->input(stream) : nullptr;
}

bool Store::append(DirWriter::Input& input, media::SharedFrame frame, bool newSegment) {
  return input.writer().enqueue(input, std::move(frame), newSegment);
}

bool Store::append(const std::string& stream, media::SharedFrame frame, bool newSegment) {
  DirWriter::Input* in = input(stream);
  return in != nullptr && append(*in, std::move(frame), newSegment);
}

bool Store::append(const std::string& stream, const media::Frame& frame, bool newSegment) {
  return append(stream, std::make_shared<const media::Frame>(frame), newSegment);
}

void Store::endSegment(const std::string& stream) {
  if (DirWriter::Input* in = input(stream)) in->writer().endSegment(*in);
}

void Store::deleteRecordings(const std::string& stream) {
  for (auto& dir : dirs_) {
    if (dir->writer) dir->writer->deleteStream(dir->writer->input(stream));
  }
}

Result<std::vector<RecordingInfo>> Store::recordings(const std::string& stream, WallTime start, WallTime end) {
  std::vector<RecordingInfo> out;
  for (auto& dir : dirs_) {
    MutexLock lock(dir->readMutex);
    auto rows = dir->reader->recordings(stream, start, end);
    if (!rows) return rows.status();
    for (const RecordingRow& r : *rows) {
      out.push_back({r.id, r.start, r.end, r.mediaDuration, r.bytes, r.samples, r.sealed});
    }
  }
  std::sort(out.begin(), out.end(), [](const RecordingInfo& a, const RecordingInfo& b) { return a.start < b.start; });
  return out;
}

Result<PlaybackPlan> Store::plan(const std::string& stream, WallTime start, WallTime end) {
  PlaybackPlan plan;
  plan.start = start;
  plan.end = end;
  for (auto& dir : dirs_) {
    MutexLock lock(dir->readMutex);
    auto rows = dir->reader->recordings(stream, start, end);
    if (!rows) return rows.status();
    for (const RecordingRow& row : *rows) {
      auto seg = cutRecording(row, start, end);
      if (!seg) {
        if (seg.status().code() == StatusCode::kNotFound) continue;
        return seg.status();
      }
      if (isAudioStream(stream)) {
        auto& audio = dir->audioEntries[row.sampleEntryId];
        if (!audio) {
          auto entry = dir->reader->audioSampleEntry(row.sampleEntryId);
          if (!entry) return entry.status();
          audio = std::make_shared<const media::AudioParameters>(std::move(entry.value()));
        }
        seg->audio = audio;
      } else {
        auto& params = dir->entries[row.sampleEntryId];
        if (!params) {
          auto entry = dir->reader->sampleEntry(row.sampleEntryId);
          if (!entry) return entry.status();
          params = std::make_shared<const media::VideoParameters>(std::move(entry.value()));
        }
        seg->params = params;
      }
      seg->samplePath = dir->path + "/" + sampleFileName(row.id);
      plan.segments.push_back(std::move(seg.value()));
    }
  }
  std::sort(plan.segments.begin(), plan.segments.end(),
            [](const PlaybackSegment& a, const PlaybackSegment& b) { return a.start < b.start; });
  finishPlan(plan);
  if (plan.segments.empty()) {
    return Status::notFound(fmt::format("nothing of {} recorded from {} to {}", stream, start.toRfc3339(),
                                        end.toRfc3339()));
  }
  return plan;
}

Result<std::shared_ptr<const VirtualFile>> Store::exportMp4(const std::string& stream, WallTime start, WallTime end) {
  auto p = plan(stream, start, end);
  if (!p) return p.status();
  // With the camera's audio over the same range, when it has any.
  auto audio = plan(audioStreamOf(stream), start, end);
  if (!audio && audio.status().code() != StatusCode::kNotFound) return audio.status();
  return buildMp4(*p, audio ? &audio.value() : nullptr);
}

Result<FragmentedPlayback> Store::fragmentedPlayback(const std::string& stream, WallTime start, WallTime end,
                                                     G711ToAacFrames toAac) {
  auto p = plan(stream, start, end);
  if (!p) return p.status();
  auto audio = plan(audioStreamOf(stream), start, end);
  if (!audio && audio.status().code() != StatusCode::kNotFound) return audio.status();
  return FragmentedPlayback::build(std::move(p.value()), audio ? &audio.value() : nullptr, std::move(toAac));
}

WriterStats Store::stats() const {
  WriterStats total;
  for (const auto& dir : dirs_) {
    if (!dir->writer) continue;
    const WriterStats s = dir->writer->stats();
    total.framesQueued += s.framesQueued;
    total.framesDropped += s.framesDropped;
    total.framesSkipped += s.framesSkipped;
    total.samplesWritten += s.samplesWritten;
    total.recordingsSealed += s.recordingsSealed;
    total.commits += s.commits;
    total.writeErrors += s.writeErrors;
    total.framesNotStored += s.framesNotStored;
    total.recordingsDeleted += s.recordingsDeleted;
    total.bytesDeleted += s.bytesDeleted;
    total.bytesUsed += s.bytesUsed;
    total.fullEvents += s.fullEvents;
    total.storageFull = total.storageFull || s.storageFull;
  }
  return total;
}

std::vector<DirStatus> Store::dirStatus() const {
  std::vector<DirStatus> out;
  for (const auto& dir : dirs_) out.push_back({dir->path, dir->writer ? dir->writer->stats() : WriterStats{}});
  return out;
}

bool Store::storageFull(const std::string& stream) const {
  const Dir* dir = nullptr;
  {
    MutexLock lock(assignMutex_);
    auto it = assignment_.find(stream);
    if (it == assignment_.end()) return false;
    dir = it->second;
  }
  return dir->writer && dir->writer->storageFull();
}

std::vector<std::string> Store::dirPaths() const {
  std::vector<std::string> out;
  for (const auto& dir : dirs_) out.push_back(dir->path);
  return out;
}

Result<DataCheckReport> checkDataDir(const std::string& dataDir, bool repair) {
  DataCheckReport report;
  std::error_code ec;
  std::vector<std::filesystem::path> dirs;
  for (const auto& entry : std::filesystem::directory_iterator(dataDir, ec)) {
    if (entry.is_directory() && std::filesystem::exists(entry.path() / kIndexFileName)) dirs.push_back(entry.path());
  }
  if (ec) return Status::notFound(fmt::format("cannot read {}: {}", dataDir, ec.message()));
  std::sort(dirs.begin(), dirs.end());
  for (const auto& path : dirs) {
    report.dirs.push_back(path.string());
    auto db = IndexDb::open((path / kIndexFileName).string());
    if (!db) return db.status();
    if (repair) {
      const int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (fd < 0) return Status::unavailable(fmt::format("cannot open {}: {}", path.string(), std::strerror(errno)));
      auto recovered = recoverDir(path.string(), fd, **db);
      ::close(fd);
      if (!recovered) return recovered.status();
      report.repairs += recovered->deletionsFinished + recovered->rowsSealed + recovered->samplesRecovered +
                        recovered->rowsShortened + recovered->rowsDeleted + recovered->orphansRemoved + (recovered->bytesTruncated > 0);
    }
    auto check = checkDir(path.string(), **db);
    if (!check) return check.status();
    report.recordings += check->recordings;
    report.samples += check->samples;
    report.bytes += check->bytes;
    for (std::string& p : check->problems) report.problems.push_back(path.filename().string() + ": " + p);
  }
  return report;
}

}  // namespace vigil::storage

#include "storage/writer.h"

#include <fcntl.h>
#include <sys/statvfs.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <optional>

#include "base/log.h"
#include "storage/retention.h"

namespace vigil::storage {
namespace {

// A pts step beyond this (or not forward) is a discontinuity: the
// recording is sealed and the next one starts at the next keyframe.
constexpr int64_t kMaxSampleTicks = 5 * MediaDuration::kTicksPerSecond;
// The duration given to the last sample before a discontinuity when the
// stream has no earlier sample to copy it from.
constexpr int32_t kFallbackDuration = MediaDuration::kTicksPerSecond / 30;
// Retention deletes at most this many recordings per transaction.
constexpr int kDeleteBatch = 256;
constexpr int64_t kMicrosPerDay = 86'400'000'000;
// A file kept in each directory while there is room. On a full disk SQLite
// may be unable to commit, and deleting a recording starts with a commit
// (retention.h): freeing the reserve gives that commit room. At most a
// 32nd of the file system.
constexpr const char* kReserveFileName = "reserve";
constexpr uint64_t kReserveBytes = 2 << 20;
// The free-space limits are capped at these shares of the file system
// (minFreeBytes at an eighth, reclaimWhenFull at a sixteenth): absolute
// limits larger than a small disk would have retention delete every
// recording and never find the room it wants, so that recording never
// resumed after the disk filled.
constexpr uint64_t kMinFreeShare = 8;
constexpr uint64_t kReclaimShare = 16;
constexpr uint64_t kReserveShare = 32;
// The room recordings have is split so that each stream holds at least
// this many recordings: retention then deletes the oldest of them, never
// a stream's only recordings.
constexpr uint64_t kRecordingsPerStream = 8;
// Buffers handed to one writev(): at most IOV_MAX (1024 on Linux).
constexpr size_t kMaxIovecs = 1024;
// The writer takes what is queued every tenth of a commit interval, at
// most this far apart, rather than waking per frame (a futex wake and a
// context switch each, about a tenth of the CPU of recording); samples are
// written only at the commit either way. It is woken at once when the
// queue holds more than wakeBytes(), or for endSegment() and stop().
constexpr auto kMaxTakeInterval = std::chrono::milliseconds(100);
constexpr size_t kWakeBytes = 4u << 20;

uint64_t fnv1a(std::string_view s) {
  uint64_t h = 1469598103934665603ull;
  for (char c : s) {
    h ^= static_cast<uint8_t>(c);
    h *= 1099511628211ull;
  }
  return h;
}

}  // namespace

struct DirWriter::Recording {
  int64_t id = 0;
  std::string stream;
  int fd = -1;
  WallTime start;
  int64_t sampleEntryId = 0;
  int64_t rotateTicks = 0;  // sealed at the keyframe after which the next GOP would pass this

  int64_t durationTicks = 0;
  uint64_t bytes = 0;
  uint32_t samples = 0;
  SampleIndexEncoder index;
  // The samples not yet written to the file: their frames, shared with the
  // live registry (the bytes are never copied; written with writev).
  std::vector<media::SharedFrame> unwritten;
  bool sealed = false;
  bool dirty = false;  // differs from the committed row

  // The state of the committed row, restored when a write fails.
  SampleIndexEncoder committedIndex;
  int64_t committedDuration = 0;
  uint32_t committedSamples = 0;
  uint64_t committedBytes = 0;
  bool inserted = false;

  RecordingRow row() const {
    RecordingRow r;
    r.id = id;
    r.stream = stream;
    r.start = start;
    r.end = WallTime::fromUnixMicros(start.unixMicros() + ticksToMicros(durationTicks));
    r.mediaDuration = durationTicks;
    r.bytes = bytes;
    r.samples = samples;
    r.sampleEntryId = sampleEntryId;
    r.sampleIndex = index.bytes();
    r.sealed = sealed;
    return r;
  }
};

struct DirWriter::Stream {
  std::string id;
  int64_t staggerTicks = 0;
  std::shared_ptr<const media::VideoParameters> params;
  std::shared_ptr<const media::VideoParameters> entryParams;  // the ones sampleEntryId was resolved for
  int64_t sampleEntryId = 0;
  std::unique_ptr<Recording> current;
  media::SharedFrame held;  // the newest frame; its duration is known at the next one
  WallTime lastEnd;                  // end of the stream's last sealed recording (invariant 4)
  std::optional<MediaTime> lastKeyframePts;
  int64_t gopTicks = 0;   // the last keyframe interval
  uint64_t gopBytes = 0;  // and its bytes
  uint64_t bytesSinceKeyframe = 0;
  int32_t lastDuration = 0;
};

DirWriter::DirWriter(std::string path, int dirFd, std::unique_ptr<IndexDb> db, int64_t nextRecordingId,
                     WriterOptions options)
    : path_(std::move(path)),
      dirFd_(dirFd),
      db_(std::move(db)),
      nextRecordingId_(nextRecordingId),
      options_(std::move(options)) {}

DirWriter::~DirWriter() { stop(); }

void DirWriter::start() {
  thread_ = std::thread([this] { run(); });
}

DirWriter::Input& DirWriter::input(const std::string& stream) {
  MutexLock lock(mutex_);
  auto& slot = inputs_[stream];
  if (!slot) slot = std::make_unique<Input>(*this, stream);
  return *slot;
}

bool DirWriter::enqueue(Input& input, media::SharedFrame frame, bool newSegment) {
  const size_t size = frame->data.size();
  bool wake = false;
  {
    MutexLock lock(mutex_);
    bool& resync = input.needKeyframe_;
    if (stopping_ || (resync && !frame->keyframe) || queuedBytes_ + size > options_.queueBytes) {
      if (!resync && !stopping_) {
        log::warn("storage.queue.full",
                  {{"dir", path_}, {"stream", input.stream()}, {"queued_bytes", queuedBytes_}});
      }
      resync = true;
      ++framesDropped_;
      return false;
    }
    queue_.push_back(Queued{&input, std::move(frame), newSegment || resync});
    resync = false;
    queuedBytes_ += size;
    if (queuedBytes_ >= wakeBytes() && !takeNow_) {
      takeNow_ = true;
      wake = true;
    }
  }
  ++framesQueued_;
  if (wake) wake_.notify_one();
  return true;
}

size_t DirWriter::wakeBytes() const { return std::min(kWakeBytes, options_.queueBytes / 8); }

void DirWriter::endSegment(Input& input) {
  {
    MutexLock lock(mutex_);
    if (stopping_) return;
    queue_.push_back(Queued{.input = &input, .endSegment = true});
    takeNow_ = true;
  }
  wake_.notify_one();
}

void DirWriter::deleteStream(Input& input) {
  {
    MutexLock lock(mutex_);
    if (stopping_) return;
    queue_.push_back(Queued{.input = &input, .deleteStream = true});
    takeNow_ = true;
  }
  wake_.notify_one();
}

void DirWriter::deleteStreams() {
  if (deleting_.empty()) return;
  flush();  // the runs just ended are sealed in the index first
  // Every recording has ended before this: far enough ahead.
  const WallTime end = options_.clock->now() + std::chrono::hours(24 * 365 * 100);
  for (const std::string& stream : deleting_) {
    for (;;) {
      auto victims = db_->expired(stream, end, kDeleteBatch);
      if (!victims) {
        log::error("storage.delete_stream.failed", {{"dir", path_}, {"stream", stream}, {"error", victims.status()}});
        break;
      }
      if (victims->empty() || !remove(*victims, "camera deleted")) break;
    }
  }
  deleting_.clear();
}

void DirWriter::stop() {
  {
    MutexLock lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
}

WriterStats DirWriter::stats() const {
  return WriterStats{framesQueued_.load(),      framesDropped_.load(),   framesSkipped_.load(),
                     samplesWritten_.load(),    recordingsSealed_.load(), commits_.load(),
                     writeErrors_.load(),       framesNotStored_.load(), recordingsDeleted_.load(),
                     bytesDeleted_.load(),      bytesUsed_.load(),       fullEvents_.load(),
                     full_.load()};
}

void DirWriter::run() {
  auto used = db_->totalBytes();
  if (used) {
    bytesUsed_ = *used;
  } else {
    log::error("storage.retention.failed", {{"dir", path_}, {"error", used.status()}});
  }
  makeReserve();
  retain(true);
  nextAgeCheck_ = std::chrono::steady_clock::now() + options_.retentionInterval;
  auto nextCommit = std::chrono::steady_clock::now() + options_.commitInterval;
  const auto takeInterval = std::max<std::chrono::milliseconds>(
      std::chrono::milliseconds(1), std::min<std::chrono::milliseconds>(options_.commitInterval / 10, kMaxTakeInterval));
  while (true) {
    std::deque<Queued> batch;
    bool stop = false;
    {
      const auto nextTake = std::chrono::steady_clock::now() + takeInterval;
      MutexLock lock(mutex_);
      lock.waitUntil(wake_, std::min(nextCommit, nextTake),
                     [&]() REQUIRES(mutex_) { return takeNow_ || stopping_; });
      batch.swap(queue_);
      queuedBytes_ = 0;
      takeNow_ = false;
      stop = stopping_;
    }
    for (Queued& item : batch) process(item);
    deleteStreams();
    if (stop) {
      for (auto& [id, s] : streams_) endRun(*s);
      flush();
      return;
    }
    if (std::chrono::steady_clock::now() >= nextCommit) {
      flush();
      const auto now = std::chrono::steady_clock::now();
      const bool byAge = now >= nextAgeCheck_;
      if (byAge) nextAgeCheck_ = now + options_.retentionInterval;
      retain(byAge);
      nextCommit = std::chrono::steady_clock::now() + options_.commitInterval;
    }
  }
}

DirWriter::Stream& DirWriter::streamFor(const std::string& id) {
  auto& slot = streams_[id];
  if (!slot) {
    slot = std::make_unique<Stream>();
    slot->id = id;
    if (options_.staggerRotation) {
      slot->staggerTicks = static_cast<int64_t>(fnv1a(id) % static_cast<uint64_t>(options_.maxRecording.ticks()));
    }
  }
  return *slot;
}

void DirWriter::endRun(Stream& s) {
  if (s.held) appendHeld(s, s.lastDuration > 0 ? s.lastDuration : kFallbackDuration);
  if (s.current) seal(s);
}

void DirWriter::process(Queued& item) {
  Input& in = *item.input;
  if (in.state_ == nullptr) in.state_ = &streamFor(in.stream());
  Stream& s = *in.state_;
  if (item.endSegment || item.deleteStream) {
    endRun(s);
    if (item.deleteStream) deleting_.insert(s.id);
    return;
  }
  const media::Frame& f = *item.frame;
  if (s.held) {
    const bool paramsChanged = f.params && f.params != s.params && *f.params != *s.params;
    if (f.params && !paramsChanged) s.params = f.params;
    const int64_t delta = (f.pts - s.held->pts).ticks();
    if (item.newSegment || paramsChanged || delta <= 0 || delta > kMaxSampleTicks) {
      log::debug("storage.recording.discontinuity",
                 {{"stream", s.id}, {"new_segment", item.newSegment}, {"params_changed", paramsChanged},
                  {"pts_delta", delta}});
      appendHeld(s, s.lastDuration > 0 ? s.lastDuration : kFallbackDuration);
      seal(s);
      if (paramsChanged) s.params = f.params;
    } else {
      appendHeld(s, static_cast<int32_t>(delta));
      if (f.keyframe) {
        if (s.lastKeyframePts) {
          s.gopTicks = (f.pts - *s.lastKeyframePts).ticks();
          s.gopBytes = s.bytesSinceKeyframe;
        }
        s.lastKeyframePts = f.pts;
        const Recording& r = *s.current;
        const bool rotate = (s.gopTicks > 0 ? r.durationTicks + s.gopTicks > r.rotateTicks
                                            : r.durationTicks >= r.rotateTicks) ||
                            (s.gopBytes > 0 ? r.bytes + s.gopBytes > maxRecordingBytes_
                                            : r.bytes >= maxRecordingBytes_);
        if (rotate) {
          // The next recording starts where this one ends (invariant 4):
          // a run of recordings has no gaps between them.
          const WallTime next = WallTime::fromUnixMicros(r.start.unixMicros() + ticksToMicros(r.durationTicks));
          seal(s);
          startRecording(s, std::move(item.frame), next, false);
          return;
        }
      }
      s.held = std::move(item.frame);
      return;
    }
  }
  // No recording is open: one starts at a keyframe with known parameters,
  // unless the storage is full.
  if (f.params) s.params = f.params;
  if (full_) {
    ++framesNotStored_;
    return;
  }
  if (!f.keyframe || !s.params) {
    ++framesSkipped_;
    return;
  }
  s.lastKeyframePts = f.pts;
  s.gopTicks = 0;
  s.gopBytes = 0;
  // A wall clock that stepped back must not make recordings of a stream
  // overlap (invariant 4).
  const WallTime start = std::max(f.captureTime, s.lastEnd);
  startRecording(s, std::move(item.frame), start, true);
}

void DirWriter::startRecording(Stream& s, media::SharedFrame frame, WallTime start, bool firstOfRun) {
  if (s.entryParams != s.params) {
    auto id = db_->sampleEntryId(*s.params);
    if (!id) {
      log::error("storage.sample_entry.failed", {{"dir", path_}, {"stream", s.id}, {"error", id.status()}});
      ++framesSkipped_;
      return;
    }
    s.sampleEntryId = *id;
    s.entryParams = s.params;
  }
  auto r = std::make_unique<Recording>();
  r->id = nextRecordingId_++;
  r->stream = s.id;
  r->start = start;
  r->sampleEntryId = s.sampleEntryId;
  r->rotateTicks = options_.maxRecording.ticks() - (firstOfRun ? s.staggerTicks : 0);
  s.current = std::move(r);
  s.held = std::move(frame);
}

void DirWriter::appendHeld(Stream& s, int32_t duration) {
  Recording& r = *s.current;
  const media::Frame& f = *s.held;
  r.index.add(SampleInfo{duration, static_cast<uint32_t>(f.data.size()), f.keyframe});
  r.durationTicks += duration;
  r.bytes += f.data.size();
  if (f.keyframe) s.bytesSinceKeyframe = 0;
  s.bytesSinceKeyframe += f.data.size();
  r.unwritten.push_back(std::move(s.held));
  ++r.samples;
  r.dirty = true;
  s.lastDuration = duration;
  s.held.reset();
  ++samplesWritten_;
}

void DirWriter::seal(Stream& s) {
  Recording& r = *s.current;
  r.sealed = true;
  r.dirty = true;
  s.lastEnd = WallTime::fromUnixMicros(r.start.unixMicros() + ticksToMicros(r.durationTicks));
  sealed_.push_back(std::move(s.current));
  ++recordingsSealed_;
}

int DirWriter::writeOut(Recording& r) {
  if (r.fd < 0) {
    r.fd = ::openat(dirFd_, sampleFileName(r.id).c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (r.fd < 0) {
      const int err = errno;
      log::error("storage.sample_file.create_failed",
                 {{"dir", path_}, {"recording", r.id}, {"error", std::strerror(err)}});
      return err;
    }
  }
  // The samples' buffers go to the file as they are, up to kMaxIovecs per
  // call; `next` and `offset` say where a short write stopped.
  size_t next = 0, offset = 0;
  std::array<iovec, kMaxIovecs> iov;
  while (true) {
    while (next < r.unwritten.size() && r.unwritten[next]->data.size() == offset) {
      ++next;
      offset = 0;
    }
    if (next == r.unwritten.size()) break;
    size_t count = 0;
    for (size_t i = next; i < r.unwritten.size() && count < kMaxIovecs; ++i, ++count) {
      const size_t skip = i == next ? offset : 0;
      const media::Bytes& bytes = r.unwritten[i]->data;
      // writev only reads; iovec has no const.
      iov[count] = {const_cast<uint8_t*>(bytes.data()) + skip, bytes.size() - skip};
    }
    const ssize_t n = ::writev(r.fd, iov.data(), static_cast<int>(count));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int err = n < 0 ? errno : EIO;
      log::error("storage.sample_file.write_failed",
                 {{"dir", path_}, {"recording", r.id}, {"error", std::strerror(err)}});
      return err;
    }
    for (size_t left = static_cast<size_t>(n); left > 0;) {
      const size_t step = std::min(left, r.unwritten[next]->data.size() - offset);
      left -= step;
      offset += step;
      if (offset == r.unwritten[next]->data.size()) {
        ++next;
        offset = 0;
      }
    }
  }
  r.unwritten.clear();
  return 0;
}

// After a failed write (disk full, I/O error) the recording ends at what
// the committed row covers: the file is cut back to it and the samples
// since are lost. The stream starts a new recording at its next keyframe.
void DirWriter::revertToCommitted(Recording& r) {
  ++writeErrors_;
  if (r.fd >= 0 && ::ftruncate(r.fd, static_cast<off_t>(r.committedBytes)) != 0) {
    // Recovery truncates it at the next start (invariant 3).
    log::error("storage.sample_file.truncate_failed",
               {{"dir", path_}, {"recording", r.id}, {"error", std::strerror(errno)}});
  }
  log::warn("storage.recording.cut_short", {{"dir", path_}, {"recording", r.id}, {"stream", r.stream},
                                            {"lost_samples", r.samples - r.committedSamples}});
  r.index = r.committedIndex;
  r.durationTicks = r.committedDuration;
  r.samples = r.committedSamples;
  r.bytes = r.committedBytes;
  r.unwritten.clear();
  Stream& s = streamFor(r.stream);
  if (s.current.get() == &r) {
    s.held.reset();
    seal(s);
  }
  // Only a committed row needs its sealed flag written; a recording with
  // no committed row is removed after the commit.
  r.dirty = r.inserted;
}

void DirWriter::flush() {
  std::vector<Recording*> dirty;
  for (auto& [id, s] : streams_) {
    if (s->current && s->current->dirty) dirty.push_back(s->current.get());
  }
  for (auto& r : sealed_) {
    if (r->dirty) dirty.push_back(r.get());
  }
  if (dirty.empty()) return;

  bool wrote = false;
  lastWriteBytes_ = 0;
  for (Recording* r : dirty) {
    if (r->unwritten.empty()) continue;
    const uint64_t bytes = r->bytes - r->committedBytes;
    const int err = writeOut(*r);
    if (err == 0) {
      wrote = true;
      lastWriteBytes_ += bytes;
      continue;
    }
    if (err == ENOSPC || err == EDQUOT) {
      // Recording stops until retention has made room (retain()).
      if (!full_.exchange(true)) log::warn("storage.full", {{"dir", path_}});
      ++fullEvents_;
    }
    revertToCommitted(*r);
  }
  // Invariant 2: the bytes a row covers are durable before the row is.
  if (wrote && options_.syncBeforeCommit && ::syncfs(dirFd_) != 0) {
    log::error("storage.sync_failed", {{"dir", path_}, {"error", std::strerror(errno)}});
    return;  // committed next time, once a sync succeeds
  }
  Status status = db_->begin();
  for (Recording* r : dirty) {
    if (!status.isOk()) break;
    if (r->samples > 0) status = db_->putRecording(r->row());
  }
  if (status.isOk()) status = db_->commit();
  if (!status.isOk()) {
    db_->rollback();
    log::error("storage.commit_failed", {{"dir", path_}, {"error", status}});
    return;
  }
  ++commits_;
  for (Recording* r : dirty) {
    bytesUsed_ += r->bytes - r->committedBytes;  // a row only grows once committed
    r->dirty = false;
    r->inserted = r->inserted || r->samples > 0;
    r->committedIndex = r->index;
    r->committedDuration = r->durationTicks;
    r->committedSamples = r->samples;
    r->committedBytes = r->bytes;
  }
  std::erase_if(sealed_, [this](const std::unique_ptr<Recording>& r) {
    if (r->dirty) return false;
    if (r->fd >= 0) ::close(r->fd);
    if (!r->inserted && r->fd >= 0) ::unlinkat(dirFd_, sampleFileName(r->id).c_str(), 0);
    return true;
  });
}


std::optional<DirWriter::FsSpace> DirWriter::fsSpace() const {
  struct statvfs st {};
  if (::fstatvfs(dirFd_, &st) != 0) {
    log::error("storage.retention.statvfs_failed", {{"dir", path_}, {"error", std::strerror(errno)}});
    return std::nullopt;
  }
  return FsSpace{static_cast<uint64_t>(st.f_blocks) * st.f_frsize, static_cast<uint64_t>(st.f_bavail) * st.f_frsize};
}

uint64_t DirWriter::minFree(const FsSpace& fs) const {
  // With a minimum set, room for the next commit's writes too (as much as
  // the last one wrote): on a small disk at a high bitrate an eighth of it
  // can be less than a second of video.
  if (options_.minFreeBytes == 0) return 0;
  return std::min(options_.minFreeBytes, fs.capacity / kMinFreeShare) + lastWriteBytes_;
}

uint64_t DirWriter::bytesToFree() {
  const uint64_t used = bytesUsed_;
  const uint64_t over = options_.maxBytes > 0 && used > options_.maxBytes ? used - options_.maxBytes : 0;
  if (options_.minFreeBytes == 0 && !full_) return over;
  const auto fs = fsSpace();
  if (!fs) return over;
  const uint64_t wanted =
      minFree(*fs) + (full_ ? std::min(options_.reclaimWhenFull, fs->capacity / kReclaimShare) : 0);
  return std::max(over, fs->available < wanted ? wanted - fs->available : 0);
}

void DirWriter::sizeRecordings() {
  const auto fs = fsSpace();
  if (!fs) return;
  // What recordings may hold: what they hold now and what is free beyond
  // the minimum (the access database or other programs may share the disk).
  const uint64_t keep = minFree(*fs);
  uint64_t room = bytesUsed_ + (fs->available > keep ? fs->available - keep : 0);
  if (options_.maxBytes > 0) room = std::min(room, options_.maxBytes);
  const uint64_t streams = std::max<uint64_t>(1, streams_.size());
  maxRecordingBytes_ = std::max<uint64_t>(1, room / (kRecordingsPerStream * streams));
}

bool DirWriter::remove(const std::vector<IndexDb::Candidate>& victims, const char* reason) {
  std::vector<int64_t> ids;
  uint64_t bytes = 0;
  for (const IndexDb::Candidate& c : victims) {
    ids.push_back(c.id);
    bytes += c.bytes;
  }
  if (Status s = deleteRecordings(*db_, dirFd_, ids); !s.isOk()) {
    // What was marked is finished by recovery; what was not stays recorded.
    log::error("storage.retention.delete_failed", {{"dir", path_}, {"error", s}});
    return false;
  }
  bytesUsed_ -= std::min<uint64_t>(bytesUsed_, bytes);
  recordingsDeleted_ += ids.size();
  bytesDeleted_ += bytes;
  log::info("storage.retention.deleted", {{"dir", path_},
                                          {"reason", reason},
                                          {"recordings", ids.size()},
                                          {"bytes", bytes},
                                          {"newest_end", victims.back().end.toRfc3339()}});
  return true;
}

void DirWriter::retainByAge() {
  auto streams = db_->streams();
  if (!streams) {
    log::error("storage.retention.failed", {{"dir", path_}, {"error", streams.status()}});
    return;
  }
  const WallTime now = options_.clock->now();
  for (const std::string& stream : *streams) {
    const auto it = options_.retainDays.find(stream);
    const int days = it != options_.retainDays.end() ? it->second : options_.defaultRetainDays;
    if (days <= 0) continue;
    // One batch per stream and pass: a backlog goes over the next passes.
    auto victims = db_->expired(stream, now + std::chrono::microseconds(-days * kMicrosPerDay), kDeleteBatch);
    if (!victims) {
      log::error("storage.retention.failed", {{"dir", path_}, {"error", victims.status()}});
    } else if (!victims->empty()) {
      remove(*victims, "age");
    }
  }
}

void DirWriter::retain(bool byAge) {
  if (byAge) retainByAge();
  // Oldest first until the byte and space limits hold. `need` is computed
  // once: space held by files still open (an export in progress) does not
  // show as free at once, and must not make one pass delete everything.
  uint64_t need = bytesToFree();
  bool deleted = false;
  while (need > 0) {
    auto victims = db_->oldest(kDeleteBatch);
    if (!victims) {
      log::error("storage.retention.failed", {{"dir", path_}, {"error", victims.status()}});
      break;
    }
    size_t n = 0;
    uint64_t bytes = 0;
    while (n < victims->size() && bytes < need) bytes += (*victims)[n++].bytes;
    if (n == 0) break;  // nothing sealed is left to delete
    victims->resize(n);
    if (!remove(*victims, "space")) break;
    deleted = true;
    need -= std::min(need, bytes);
  }
  sizeRecordings();
  if (!full_) return;
  if (bytesToFree() == 0) {
    full_ = false;
    log::info("storage.full.cleared", {{"dir", path_}});
    makeReserve();
  } else if (!deleted && ::unlinkat(dirFd_, kReserveFileName, 0) == 0) {
    // Stuck: the index could not commit (a deletion, or the sealing of
    // the recordings that would be candidates). Retried next interval.
    log::warn("storage.full.reserve_released", {{"dir", path_}});
  }
}

void DirWriter::makeReserve() {
  const auto fs = fsSpace();
  if (!fs) return;
  const int fd = ::openat(dirFd_, kReserveFileName, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return;
  // Fails on a full disk; the next clearing of the full flag tries again.
  ::posix_fallocate(fd, 0, static_cast<off_t>(std::min(kReserveBytes, fs->capacity / kReserveShare)));
  ::close(fd);
}

}  // namespace vigil::storage

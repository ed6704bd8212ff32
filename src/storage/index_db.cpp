#include "storage/index_db.h"

#include <fmt/format.h>

#include <charconv>

#include "base/log.h"

namespace vigil::storage {
namespace {

constexpr int kSchemaVersion = 1;
// Version 2 only widens sample_entry's codec CHECK to audio codecs; an
// index gets it when its first audio entry is stored (design/STORAGE.md,
// "Audio"), so an index without audio stays version 1, as before.
constexpr int kAudioSchemaVersion = 2;
constexpr const char* kAudioMigration = R"sql(
BEGIN IMMEDIATE;
CREATE TABLE sample_entry_v2 (
  id INTEGER PRIMARY KEY,
  codec TEXT NOT NULL CHECK (codec IN ('h264', 'h265', 'aac', 'alaw', 'ulaw')),
  width INTEGER NOT NULL,
  height INTEGER NOT NULL,
  vps BLOB NOT NULL,
  sps BLOB NOT NULL,
  pps BLOB NOT NULL
);
INSERT INTO sample_entry_v2 SELECT id, codec, width, height, vps, sps, pps FROM sample_entry;
DROP TABLE sample_entry;
ALTER TABLE sample_entry_v2 RENAME TO sample_entry;
UPDATE meta SET value = '2' WHERE key = 'schema_version';
COMMIT;
)sql";

// See design/STORAGE.md, "Schema", for the meaning of every column.
constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS sample_entry (
  id INTEGER PRIMARY KEY,
  codec TEXT NOT NULL CHECK (codec IN ('h264', 'h265')),
  width INTEGER NOT NULL,
  height INTEGER NOT NULL,
  vps BLOB NOT NULL,
  sps BLOB NOT NULL,
  pps BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS recording (
  id INTEGER PRIMARY KEY,
  stream TEXT NOT NULL,
  start_wall INTEGER NOT NULL,
  end_wall INTEGER NOT NULL,
  media_duration INTEGER NOT NULL CHECK (media_duration >= 0),
  bytes INTEGER NOT NULL CHECK (bytes >= 0),
  samples INTEGER NOT NULL CHECK (samples >= 0),
  sample_entry_id INTEGER NOT NULL REFERENCES sample_entry (id),
  sample_index BLOB NOT NULL,
  sealed INTEGER NOT NULL CHECK (sealed IN (0, 1))
);
CREATE INDEX IF NOT EXISTS recording_stream_end ON recording (stream, end_wall);
CREATE INDEX IF NOT EXISTS recording_start ON recording (start_wall);
CREATE TABLE IF NOT EXISTS garbage (
  id INTEGER PRIMARY KEY
);
)sql";

class Stmt {
 public:
  Stmt(sqlite3* db, const char* sql) : db_(db) {
    rc_ = sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr);
  }
  ~Stmt() { sqlite3_finalize(stmt_); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  Status prepared() const {
    return rc_ == SQLITE_OK ? Status::ok() : Status::internal(fmt::format("sqlite prepare: {}", sqlite3_errmsg(db_)));
  }
  void bind(int i, int64_t v) { sqlite3_bind_int64(stmt_, i, v); }
  void bind(int i, const std::string& v) {
    sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  }
  void bindBlob(int i, std::span<const uint8_t> v) {
    // A zero-length blob must still be a blob, not NULL (NOT NULL columns).
    static const uint8_t kEmpty = 0;
    sqlite3_bind_blob(stmt_, i, v.empty() ? &kEmpty : v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  }
  // SQLITE_ROW: true; SQLITE_DONE: false; else the error.
  Result<bool> step() {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    return Status::internal(fmt::format("sqlite step: {}", sqlite3_errmsg(db_)));
  }
  Status run() {
    auto r = step();
    return r ? Status::ok() : r.status();
  }
  // Ready to run again with new bindings.
  void reset() { sqlite3_reset(stmt_); }
  int64_t int64(int i) { return sqlite3_column_int64(stmt_, i); }
  std::string text(int i) {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, i));
    return p ? std::string(p, static_cast<size_t>(sqlite3_column_bytes(stmt_, i))) : std::string();
  }
  std::vector<uint8_t> blob(int i) {
    const auto* p = static_cast<const uint8_t*>(sqlite3_column_blob(stmt_, i));
    return p ? std::vector<uint8_t>(p, p + sqlite3_column_bytes(stmt_, i)) : std::vector<uint8_t>();
  }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
  int rc_;
};

// Parameter sets of one kind as one blob: length-prefixed NAL units.
std::vector<uint8_t> packNals(const std::vector<media::Bytes>& nals) {
  media::Bytes out;
  for (const media::Bytes& nal : nals) media::appendLengthPrefixed(out, nal);
  return out;
}
std::vector<media::Bytes> unpackNals(const std::vector<uint8_t>& blob) {
  std::vector<media::Bytes> out;
  for (media::ByteView nal : media::splitLengthPrefixed(blob)) out.emplace_back(nal.begin(), nal.end());
  return out;
}

}  // namespace

IndexDb::~IndexDb() { sqlite3_close(db_); }

Result<std::unique_ptr<IndexDb>> IndexDb::open(const std::string& path) {
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                                 nullptr);
  if (rc != SQLITE_OK) {
    std::string message = raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc);
    sqlite3_close(raw);
    return Status::unavailable(fmt::format("cannot open index {}: {}", path, message));
  }
  std::unique_ptr<IndexDb> db(new IndexDb(raw));
  // The writer and readers are separate connections; a reader never waits
  // for the writer in WAL mode, but two writers (recovery and `vigil
  // check --repair`) may briefly contend.
  sqlite3_busy_timeout(raw, 5000);
  // synchronous=NORMAL: a commit is durable at the next checkpoint, and
  // the database is never corrupt. A commit lost to power failure is safe
  // because sample bytes are synced before the commit (invariant 2), so the
  // recovery re-indexes or truncates them.
  VIGIL_RETURN_IF_ERROR(db->exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"));
  VIGIL_RETURN_IF_ERROR(db->exec(kSchema));
  Stmt get(raw, "SELECT value FROM meta WHERE key = 'schema_version'");
  VIGIL_RETURN_IF_ERROR(get.prepared());
  auto row = get.step();
  if (!row) return row.status();
  if (*row) {
    const std::string v = get.text(0);
    if (v != std::to_string(kSchemaVersion) && v != std::to_string(kAudioSchemaVersion)) {
      return Status::failedPrecondition(fmt::format("index {} has schema version {}; this vigil knows {}", path, v,
                                                    kAudioSchemaVersion));
    }
  } else {
    Stmt put(raw, "INSERT INTO meta (key, value) VALUES ('schema_version', ?)");
    VIGIL_RETURN_IF_ERROR(put.prepared());
    put.bind(1, std::to_string(kSchemaVersion));
    VIGIL_RETURN_IF_ERROR(put.run());
  }
  return db;
}

Status IndexDb::exec(const char* sql) {
  char* error = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &error) != SQLITE_OK) {
    Status s = Status::internal(fmt::format("sqlite: {}", error ? error : "unknown error"));
    sqlite3_free(error);
    return s;
  }
  return Status::ok();
}

Status IndexDb::begin() { return exec("BEGIN IMMEDIATE"); }
Status IndexDb::commit() { return exec("COMMIT"); }
void IndexDb::rollback() { sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr); }

Result<int64_t> IndexDb::sampleEntryId(const media::VideoParameters& p) {
  return entryId(std::string(media::codecName(p.codec)), p);
}

Result<int64_t> IndexDb::entryId(const std::string& codec, const media::VideoParameters& p) {
  const auto vps = packNals(p.vps), sps = packNals(p.sps), pps = packNals(p.pps);
  Stmt find(db_,
            "SELECT id FROM sample_entry WHERE codec = ? AND width = ? AND height = ? AND vps = ? AND sps = ? "
            "AND pps = ?");
  VIGIL_RETURN_IF_ERROR(find.prepared());
  find.bind(1, codec);
  find.bind(2, p.width);
  find.bind(3, p.height);
  find.bindBlob(4, vps);
  find.bindBlob(5, sps);
  find.bindBlob(6, pps);
  auto found = find.step();
  if (!found) return found.status();
  if (*found) return find.int64(0);
  Stmt insert(db_, "INSERT INTO sample_entry (codec, width, height, vps, sps, pps) VALUES (?, ?, ?, ?, ?, ?)");
  VIGIL_RETURN_IF_ERROR(insert.prepared());
  insert.bind(1, codec);
  insert.bind(2, p.width);
  insert.bind(3, p.height);
  insert.bindBlob(4, vps);
  insert.bindBlob(5, sps);
  insert.bindBlob(6, pps);
  VIGIL_RETURN_IF_ERROR(insert.run());
  return sqlite3_last_insert_rowid(db_);
}

// Audio entries: codec 'aac' | 'alaw' | 'ulaw', width = sampling rate,
// height = channels, sps = the AAC AudioSpecificConfig as one
// length-prefixed unit, vps and pps empty.
Result<int64_t> IndexDb::sampleEntryId(const media::AudioParameters& p) {
  VIGIL_RETURN_IF_ERROR(allowAudioEntries());
  media::VideoParameters asRow;
  asRow.width = p.sampleRate;
  asRow.height = p.channels;
  if (!p.config.empty()) asRow.sps.push_back(p.config);
  return entryId(std::string(media::audioCodecName(p.codec)), asRow);
}

Result<media::AudioParameters> IndexDb::audioSampleEntry(int64_t id) {
  Stmt get(db_, "SELECT codec, width, height, sps FROM sample_entry WHERE id = ?");
  VIGIL_RETURN_IF_ERROR(get.prepared());
  get.bind(1, id);
  auto found = get.step();
  if (!found) return found.status();
  if (!*found) return Status::dataLoss(fmt::format("sample entry {} is missing", id));
  const auto codec = media::audioCodecFromName(get.text(0));
  if (!codec) return Status::dataLoss(fmt::format("sample entry {} is not audio", id));
  media::AudioParameters p;
  p.codec = *codec;
  p.sampleRate = static_cast<int>(get.int64(1));
  p.channels = static_cast<int>(get.int64(2));
  auto config = unpackNals(get.blob(3));
  if (!config.empty()) p.config = std::move(config.front());
  return p;
}

Status IndexDb::allowAudioEntries() {
  if (audioAllowed_) return Status::ok();
  {
    // Finalized before the migration: DROP TABLE fails while a statement
    // of the connection is pending.
    Stmt get(db_, "SELECT value FROM meta WHERE key = 'schema_version'");
    VIGIL_RETURN_IF_ERROR(get.prepared());
    auto row = get.step();
    if (!row) return row.status();
    if (*row && get.text(0) == std::to_string(kAudioSchemaVersion)) {
      audioAllowed_ = true;
      return Status::ok();
    }
  }
  // Foreign keys are off while sample_entry is rebuilt (recording rows
  // keep their ids; SQLite's recipe for changing a table's constraints).
  VIGIL_RETURN_IF_ERROR(exec("PRAGMA foreign_keys=OFF"));
  Status migrated = exec(kAudioMigration);
  if (!migrated.isOk()) rollback();
  VIGIL_RETURN_IF_ERROR(exec("PRAGMA foreign_keys=ON"));
  VIGIL_RETURN_IF_ERROR(migrated);
  log::info("storage.index.audio_schema", {{"version", kAudioSchemaVersion}});
  audioAllowed_ = true;
  return Status::ok();
}

Result<media::VideoParameters> IndexDb::sampleEntry(int64_t id) {
  Stmt get(db_, "SELECT codec, width, height, vps, sps, pps FROM sample_entry WHERE id = ?");
  VIGIL_RETURN_IF_ERROR(get.prepared());
  get.bind(1, id);
  auto found = get.step();
  if (!found) return found.status();
  if (!*found) return Status::dataLoss(fmt::format("sample entry {} is missing", id));
  media::VideoParameters p;
  p.codec = get.text(0) == "h265" ? media::VideoCodec::kH265 : media::VideoCodec::kH264;
  p.width = static_cast<int>(get.int64(1));
  p.height = static_cast<int>(get.int64(2));
  p.vps = unpackNals(get.blob(3));
  p.sps = unpackNals(get.blob(4));
  p.pps = unpackNals(get.blob(5));
  return p;
}

Status IndexDb::putRecording(const RecordingRow& r) {
  Stmt put(db_,
           "INSERT OR REPLACE INTO recording (id, stream, start_wall, end_wall, media_duration, bytes, samples, "
           "sample_entry_id, sample_index, sealed) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  VIGIL_RETURN_IF_ERROR(put.prepared());
  put.bind(1, r.id);
  put.bind(2, r.stream);
  put.bind(3, r.start.unixMicros());
  put.bind(4, r.end.unixMicros());
  put.bind(5, r.mediaDuration);
  put.bind(6, static_cast<int64_t>(r.bytes));
  put.bind(7, int64_t{r.samples});
  put.bind(8, r.sampleEntryId);
  put.bindBlob(9, r.sampleIndex);
  put.bind(10, r.sealed ? 1 : 0);
  return put.run();
}

Status IndexDb::deleteRecording(int64_t id) {
  Stmt del(db_, "DELETE FROM recording WHERE id = ?");
  VIGIL_RETURN_IF_ERROR(del.prepared());
  del.bind(1, id);
  return del.run();
}

Status IndexDb::markGarbage(std::span<const int64_t> ids) {
  VIGIL_RETURN_IF_ERROR(exec("PRAGMA synchronous=FULL"));
  Stmt del(db_, "DELETE FROM recording WHERE id = ?");
  Stmt add(db_, "INSERT OR IGNORE INTO garbage (id) VALUES (?)");
  Status status = del.prepared();
  if (status.isOk()) status = add.prepared();
  if (status.isOk()) status = begin();
  if (status.isOk()) {
    for (int64_t id : ids) {
      if (!status.isOk()) break;
      del.bind(1, id);
      add.bind(1, id);
      status = del.run();
      if (status.isOk()) status = add.run();
      del.reset();
      add.reset();
    }
    if (status.isOk()) {
      status = commit();
    } else {
      rollback();
    }
  }
  Status normal = exec("PRAGMA synchronous=NORMAL");
  return status.isOk() ? normal : status;
}

Status IndexDb::forgetGarbage(std::span<const int64_t> ids) {
  VIGIL_RETURN_IF_ERROR(begin());
  Stmt del(db_, "DELETE FROM garbage WHERE id = ?");
  Status status = del.prepared();
  for (int64_t id : ids) {
    if (!status.isOk()) break;
    del.bind(1, id);
    status = del.run();
    del.reset();
  }
  if (status.isOk()) return commit();
  rollback();
  return status;
}

Result<std::vector<int64_t>> IndexDb::garbage() {
  Stmt q(db_, "SELECT id FROM garbage ORDER BY id");
  VIGIL_RETURN_IF_ERROR(q.prepared());
  std::vector<int64_t> out;
  while (true) {
    auto more = q.step();
    if (!more) return more.status();
    if (!*more) return out;
    out.push_back(q.int64(0));
  }
}

Result<std::vector<IndexDb::Candidate>> IndexDb::queryCandidates(const char* sql, const std::string* stream,
                                                                 int64_t before, int limit) {
  Stmt q(db_, sql);
  VIGIL_RETURN_IF_ERROR(q.prepared());
  int i = 1;
  if (stream != nullptr) {
    q.bind(i++, *stream);
    q.bind(i++, before);
  }
  q.bind(i, int64_t{limit});
  std::vector<Candidate> out;
  while (true) {
    auto more = q.step();
    if (!more) return more.status();
    if (!*more) return out;
    out.push_back(Candidate{q.int64(0), q.text(1), WallTime::fromUnixMicros(q.int64(2)),
                            static_cast<uint64_t>(q.int64(3))});
  }
}

Result<std::vector<IndexDb::Candidate>> IndexDb::expired(const std::string& stream, WallTime before, int limit) {
  return queryCandidates(
      "SELECT id, stream, end_wall, bytes FROM recording WHERE stream = ? AND end_wall <= ? AND sealed = 1 "
      "ORDER BY end_wall LIMIT ?",
      &stream, before.unixMicros(), limit);
}

Result<std::vector<IndexDb::Candidate>> IndexDb::oldest(int limit) {
  return queryCandidates(
      "SELECT id, stream, end_wall, bytes FROM recording WHERE sealed = 1 ORDER BY start_wall LIMIT ?", nullptr, 0,
      limit);
}

Result<uint64_t> IndexDb::totalBytes() {
  Stmt q(db_, "SELECT COALESCE(SUM(bytes), 0) FROM recording");
  VIGIL_RETURN_IF_ERROR(q.prepared());
  auto row = q.step();
  if (!row) return row.status();
  return static_cast<uint64_t>(q.int64(0));
}

Result<std::vector<RecordingRow>> IndexDb::queryRecordings(const char* sql, const std::string* stream,
                                                           WallTime start, WallTime end) {
  Stmt q(db_, sql);
  VIGIL_RETURN_IF_ERROR(q.prepared());
  if (stream != nullptr) {
    q.bind(1, *stream);
    q.bind(2, start.unixMicros());
  }
  std::vector<RecordingRow> out;
  while (true) {
    auto more = q.step();
    if (!more) return more.status();
    if (!*more) break;
    RecordingRow r;
    r.id = q.int64(0);
    r.stream = q.text(1);
    r.start = WallTime::fromUnixMicros(q.int64(2));
    r.end = WallTime::fromUnixMicros(q.int64(3));
    // Rows come in end order and a stream's recordings do not overlap
    // (invariant 4), so the first that starts at or after `end` ends the scan.
    if (stream != nullptr && r.start >= end) break;
    r.mediaDuration = q.int64(4);
    r.bytes = static_cast<uint64_t>(q.int64(5));
    r.samples = static_cast<uint32_t>(q.int64(6));
    r.sampleEntryId = q.int64(7);
    r.sampleIndex = q.blob(8);
    r.sealed = q.int64(9) != 0;
    out.push_back(std::move(r));
  }
  return out;
}

Result<std::vector<RecordingRow>> IndexDb::allRecordings() {
  return queryRecordings(
      "SELECT id, stream, start_wall, end_wall, media_duration, bytes, samples, sample_entry_id, sample_index, "
      "sealed FROM recording ORDER BY id",
      nullptr, {}, {});
}

Result<std::vector<RecordingRow>> IndexDb::recordings(const std::string& stream, WallTime start, WallTime end) {
  return queryRecordings(
      "SELECT id, stream, start_wall, end_wall, media_duration, bytes, samples, sample_entry_id, sample_index, "
      "sealed FROM recording WHERE stream = ? AND end_wall > ? ORDER BY end_wall",
      &stream, start, end);
}

Result<std::vector<std::string>> IndexDb::streams() {
  Stmt q(db_, "SELECT DISTINCT stream FROM recording ORDER BY stream");
  VIGIL_RETURN_IF_ERROR(q.prepared());
  std::vector<std::string> out;
  while (true) {
    auto more = q.step();
    if (!more) return more.status();
    if (!*more) return out;
    out.push_back(q.text(0));
  }
}

namespace {
constexpr std::string_view kAudioSuffix = ".audio";
}  // namespace

std::string audioStreamOf(std::string_view videoStream) { return std::string(videoStream) + std::string(kAudioSuffix); }

bool isAudioStream(std::string_view stream) { return stream.ends_with(kAudioSuffix); }

std::string_view videoStreamOf(std::string_view stream) {
  return isAudioStream(stream) ? stream.substr(0, stream.size() - kAudioSuffix.size()) : stream;
}

std::string sampleFileName(int64_t recordingId) { return fmt::format("{:016x}", recordingId); }

bool parseSampleFileName(std::string_view name, int64_t& recordingId) {
  if (name.size() != 16) return false;
  for (char c : name) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  uint64_t v = 0;
  auto [ptr, ec] = std::from_chars(name.data(), name.data() + name.size(), v, 16);
  if (ec != std::errc() || ptr != name.data() + name.size() || v == 0 || v > INT64_MAX) return false;
  recordingId = static_cast<int64_t>(v);
  return true;
}

}  // namespace vigil::storage

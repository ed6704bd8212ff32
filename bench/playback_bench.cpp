// vigil-playback-bench: the read path over a large index, for
// bench/playback.py. Not a test.
//
//   vigil-playback-bench fill --data DIR --stream cam000 --cameras 100 --days 30 --start US
//     Adds to DIR/recordings/index.sqlite3, through the storage module's
//     index code, one 60 s recording per minute of `--days` days from
//     --start for each of `--cameras` streams (cam000, cam001, ...), except
//     where --stream already has recordings (the hour written for real by
//     vigil_storage_tool, whose sample files exist). Rows of --stream carry
//     the sample index of one of its real recordings; the other streams'
//     rows carry a one-sample-per-second index (they are never read: they
//     make the index its real length, not its real byte size).
//
//   vigil-playback-bench measure --data DIR --stream cam000 --start US --end US
//     Drops the index and sample files from the page cache, opens the store
//     read-only, then times Store::exportMp4 plus the first read (time to
//     first byte, cold and again warm), reads the whole export (MB/s, cold),
//     and reads the same sample files with plain read() (MB/s, cold): the
//     disk's sequential speed as this process sees it; and times
//     Store::fragmentedPlayback plus its playlist (HLS, index warm). Prints
//     one JSON line.
#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "base/log.h"
#include "storage/index_db.h"
#include "storage/sample_index.h"
#include "storage/store.h"

namespace vs = vigil::storage;
using vigil::WallTime;
using Clock = std::chrono::steady_clock;

namespace {

constexpr int64_t kMinuteUs = 60'000'000;
constexpr int64_t kMinuteTicks = 60 * 90'000;

int fail(const vigil::Status& s) {
  fmt::print(stderr, "vigil-playback-bench: {}\n", s.toString());
  return 1;
}

double msSince(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

// Asks the kernel to forget the file's cached pages (clean pages only: the
// files were written and synced before).
void dropFromCache(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  ::fdatasync(fd);
  ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
  ::close(fd);
}

void dropDirFromCache(const std::filesystem::path& dir) {
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.is_regular_file()) dropFromCache(e.path());
  }
}

// A one-sample-per-second index of a minute: 60 keyframes of 250 000 bytes.
vs::RecordingRow sparseRow() {
  vs::RecordingRow r;
  vs::SampleIndexEncoder enc;
  for (int i = 0; i < 60; ++i) enc.add({90'000, 250'000, true});
  r.sampleIndex = enc.bytes();
  r.samples = 60;
  r.bytes = 60 * 250'000;
  r.mediaDuration = kMinuteTicks;
  return r;
}

int fill(const std::string& data, const std::string& stream, int cameras, int days, int64_t start) {
  auto db = vs::IndexDb::open(data + "/recordings/" + vs::kIndexFileName);
  if (!db) return fail(db.status());
  auto rows = (*db)->allRecordings();
  if (!rows) return fail(rows.status());
  const vs::RecordingRow* model = nullptr;
  int64_t realStart = INT64_MAX, realEnd = INT64_MIN, nextId = 1;
  for (const vs::RecordingRow& r : *rows) {
    nextId = std::max(nextId, r.id + 1);
    if (r.stream != stream) continue;
    realStart = std::min(realStart, r.start.unixMicros());
    realEnd = std::max(realEnd, r.end.unixMicros());
    if (r.mediaDuration == kMinuteTicks) model = &r;
  }
  if (model == nullptr) {
    return fail(vigil::Status::failedPrecondition(fmt::format("no 60 s recording of {} to copy", stream)));
  }
  vs::RecordingRow sparse = sparseRow();
  sparse.sampleEntryId = model->sampleEntryId;
  uint64_t added = 0;
  const auto began = Clock::now();
  for (int c = 0; c < cameras; ++c) {
    const std::string name = fmt::format("cam{:03d}", c);
    if (auto s = (*db)->begin(); !s.isOk()) return fail(s);
    for (int64_t m = 0; m < int64_t{days} * 1440; ++m) {
      const int64_t t = start + m * kMinuteUs;
      if (name == stream && t + kMinuteUs > realStart && t < realEnd) continue;
      vs::RecordingRow r = name == stream ? *model : sparse;
      r.id = nextId++;
      r.stream = name;
      r.start = WallTime::fromUnixMicros(t);
      r.end = WallTime::fromUnixMicros(t + kMinuteUs);
      r.sealed = true;
      if (auto s = (*db)->putRecording(r); !s.isOk()) return fail(s);
      ++added;
    }
    if (auto s = (*db)->commit(); !s.isOk()) return fail(s);
  }
  fmt::print("{{\"rows_added\":{},\"seconds\":{:.1f}}}\n", added, msSince(began) / 1000);
  return 0;
}

// Reads [0, size) of the export in 1 MiB pieces; returns the bytes read.
vigil::Result<uint64_t> readAll(const vs::VirtualFile& file) {
  constexpr size_t kPiece = 1 << 20;
  uint64_t total = 0;
  for (uint64_t at = 0; at < file.size(); at += kPiece) {
    auto piece = file.read(at, kPiece);
    if (!piece) return piece.status();
    total += piece->size();
  }
  return total;
}

int measure(const std::string& data, const std::string& stream, int64_t startUs, int64_t endUs) {
  const std::filesystem::path dir = std::filesystem::path(data) / "recordings";
  dropDirFromCache(dir);
  vs::StoreOptions options;
  options.dataDir = data;
  options.readOnly = true;
  auto t = Clock::now();
  auto store = vs::Store::open(options);
  if (!store) return fail(store.status());
  const double openMs = msSince(t);

  const WallTime start = WallTime::fromUnixMicros(startUs), end = WallTime::fromUnixMicros(endUs);
  // Time to first byte: what an HTTP handler does before its first send.
  auto firstByte = [&](std::shared_ptr<const vs::VirtualFile>& out) -> vigil::Result<double> {
    const auto t0 = Clock::now();
    auto mp4 = (*store)->exportMp4(stream, start, end);
    if (!mp4) return mp4.status();
    auto head = (*mp4)->read(0, 64 << 10);
    if (!head) return head.status();
    out = *mp4;
    return msSince(t0);
  };
  std::shared_ptr<const vs::VirtualFile> mp4;
  auto coldMs = firstByte(mp4);
  if (!coldMs) return fail(coldMs.status());
  auto warmMs = firstByte(mp4);
  if (!warmMs) return fail(warmMs.status());
  // The HLS playlist of the range, as the playback route serves it.
  const auto hls0 = Clock::now();
  auto fragmented = (*store)->fragmentedPlayback(stream, start, end);
  if (!fragmented) return fail(fragmented.status());
  const std::string playlist = fragmented->playlist([](size_t i) { return fmt::format("f{}.m4s", i); },
                                                    [](size_t i) { return fmt::format("init{}.mp4", i); });
  const double hlsMs = msSince(hls0);

  auto plan = (*store)->plan(stream, start, end);
  if (!plan) return fail(plan.status());
  std::set<std::string> files;
  for (const auto& seg : plan->segments) files.insert(seg.samplePath);
  for (const auto& f : files) dropFromCache(f);
  t = Clock::now();
  auto exported = readAll(*mp4);
  if (!exported) return fail(exported.status());
  const double exportS = msSince(t) / 1000;

  for (const auto& f : files) dropFromCache(f);
  std::vector<char> buf(1 << 20);
  uint64_t plain = 0;
  t = Clock::now();
  for (const auto& f : files) {
    const int fd = ::open(f.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return fail(vigil::Status::notFound("cannot open " + f));
    for (ssize_t n; (n = ::read(fd, buf.data(), buf.size())) > 0;) plain += static_cast<uint64_t>(n);
    ::close(fd);
  }
  const double plainS = msSince(t) / 1000;
  fmt::print(
      "{{\"open_ms\":{:.2f},\"first_byte_cold_ms\":{:.2f},\"first_byte_warm_ms\":{:.2f},\"export_bytes\":{},"
      "\"frames\":{},\"recordings\":{},\"gaps\":{},\"export_mb_s\":{:.1f},\"plain_bytes\":{},\"plain_mb_s\":{:.1f},"
      "\"hls_ms\":{:.2f},\"hls_fragments\":{},\"hls_bytes\":{}}}\n",
      openMs, *coldMs, *warmMs, *exported, plan->frames, files.size(), plan->gaps.size(), *exported / 1e6 / exportS,
      plain, plain / 1e6 / plainS, hlsMs, fragmented->fragments().size(), playlist.size());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::map<std::string, std::string> opt;
  for (int i = 2; i + 1 < argc; i += 2) opt[argv[i]] = argv[i + 1];
  auto get = [&](const char* k) { return opt.contains(k) ? opt[k] : std::string(); };
  const std::string cmd = argc > 1 ? argv[1] : "";
  vigil::log::init(vigil::log::Level::kError);  // stdout is the JSON line
  if (cmd == "fill" && !get("--data").empty() && !get("--start").empty()) {
    return fill(get("--data"), get("--stream").empty() ? "cam000" : get("--stream"),
                std::atoi(get("--cameras").c_str()), std::atoi(get("--days").c_str()), std::atoll(get("--start").c_str()));
  }
  if (cmd == "measure" && !get("--data").empty() && !get("--start").empty() && !get("--end").empty()) {
    return measure(get("--data"), get("--stream").empty() ? "cam000" : get("--stream"),
                   std::atoll(get("--start").c_str()), std::atoll(get("--end").c_str()));
  }
  fmt::print(stderr,
             "usage: vigil-playback-bench fill --data DIR --start US --cameras N --days N [--stream S]\n"
             "       vigil-playback-bench measure --data DIR --start US --end US [--stream S]\n");
  return 2;
}

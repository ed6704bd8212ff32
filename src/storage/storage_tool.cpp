// vigil_storage_tool: drives the recording store from the command line for
// the peer tests (tests/storage_peers_test.py). Times are Unix microseconds.
//
//   write  --data DIR --stream ID --input FILE.h26x [--codec h264|h265] --start US
//          [--fps F] [--frames N] [--gap-at FRAME --gap-seconds S] [--realtime | --speed X] [--commit-ms MS]
//          [--dirs A,B] [--max-mb N] [--min-free-mb N] [--reclaim-mb N] [--retain-days N] [--queue-mb N]
//   export --data DIR --stream ID --start US --end US --out FILE.mp4 [--read-only]
//   hls    --data DIR --stream ID --start US --end US --out DIR
//   fmp4   --input FILE.h26x [--codec h264|h265] --start US [--fps F] [--frames N] [--gap-at FRAME] --out DIR
//   list   --data DIR --stream ID [--read-only]
//   check  --data DIR [--repair]
//
// `write` reads an Annex B elementary stream, cuts it into access units and
// appends them (looping the input to reach --frames); with --realtime it
// paces them at --fps and prints "fed INDEX WALL_US" after each, so a test
// can kill it and know what was handed to the store. --speed paces at X
// times real time, without the lines.
//
// --read-only opens the indexes only (no recovery, no writer): for a data
// directory a running node records into, whose open recordings recovery
// would truncate under its writer.
//
// `hls` writes the fragmented MP4 of a range as an HLS VOD playlist
// (playback.m3u8, init{N}.mp4, {N}.m4s). `fmp4` needs no store: it cuts an
// Annex B stream into media/fmp4.h fragments (frames.mp4: the init segment
// and a fragment per GOP) and feeds a media/hls.h live window, whose
// playlist and segments it writes at the end (live.m3u8, live/...);
// --gap-at restarts the stream there.

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <thread>

#include "base/log.h"
#include "media/fmp4.h"
#include "media/hls.h"
#include "media/parameter_sets.h"
#include "storage/access_units.h"
#include "storage/store.h"

namespace vs = vigil::storage;
namespace media = vigil::media;
using vigil::WallTime;

namespace {

struct Input {
  std::shared_ptr<const media::VideoParameters> params;
  std::vector<media::Bytes> units;  // length-prefixed access units
  std::vector<bool> keyframes;
};

vigil::Result<Input> readInput(const std::string& path, media::VideoCodec codec) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return vigil::Status::notFound("cannot read " + path);
  const media::Bytes annexB((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  media::Bytes prefixed;
  auto params = std::make_shared<media::VideoParameters>();
  params->codec = codec;
  for (media::ByteView nal : media::splitAnnexB(annexB)) {
    const uint8_t type = media::nalType(codec, nal[0]);
    auto& sets = codec == media::VideoCodec::kH264
                     ? (type == media::h264::kSps ? params->sps : type == media::h264::kPps ? params->pps : params->vps)
                     : (type == media::h265::kVps   ? params->vps
                        : type == media::h265::kSps ? params->sps
                                                    : params->pps);
    if (media::isParameterSet(codec, type) && sets.empty()) sets.emplace_back(nal.begin(), nal.end());
    media::appendLengthPrefixed(prefixed, nal);
  }
  if (params->sps.empty()) return vigil::Status::invalidArgument("no SPS in " + path);
  auto sps = media::parseSps(codec, params->sps.front());
  if (!sps) return sps.status();
  params->width = sps->width;
  params->height = sps->height;
  Input input;
  input.params = params;
  for (const vs::AccessUnitSpan& au : vs::scanAccessUnits(codec, prefixed).units) {
    input.units.emplace_back(prefixed.begin() + static_cast<ptrdiff_t>(au.offset),
                             prefixed.begin() + static_cast<ptrdiff_t>(au.offset + au.bytes));
    input.keyframes.push_back(au.keyframe);
  }
  if (input.units.empty() || !input.keyframes.front()) {
    return vigil::Status::invalidArgument("the input does not start with a keyframe");
  }
  return input;
}

nlohmann::json planJson(const vs::PlaybackPlan& plan) {
  nlohmann::json j;
  j["frames"] = plan.frames;
  j["bytes"] = plan.bytes;
  j["media_duration"] = plan.mediaDuration;
  j["segments"] = nlohmann::json::array();
  for (const auto& s : plan.segments) {
    j["segments"].push_back({{"recording", s.recordingId}, {"start", s.start.unixMicros()},
                             {"end", s.end.unixMicros()}, {"frames", s.samples.size()}});
  }
  j["gaps"] = nlohmann::json::array();
  for (const auto& g : plan.gaps) j["gaps"].push_back({{"start", g.start.unixMicros()}, {"end", g.end.unixMicros()}});
  return j;
}

vigil::Status writeFile(const std::string& path, std::span<const media::ByteView> pieces) {
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  for (media::ByteView b : pieces) file.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
  if (!file.flush()) return vigil::Status::unavailable("cannot write " + path);
  return vigil::Status::ok();
}

vigil::Status writeVirtualFile(const vs::VirtualFile& in, const std::string& path) {
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  constexpr size_t kPiece = 1 << 20;
  for (uint64_t at = 0; at < in.size(); at += kPiece) {
    auto piece = in.read(at, kPiece);
    if (!piece) return piece.status();
    file.write(reinterpret_cast<const char*>(piece->data()), static_cast<std::streamsize>(piece->size()));
  }
  if (!file.flush()) return vigil::Status::unavailable("cannot write " + path);
  return vigil::Status::ok();
}

// The fMP4 of a range as HLS VOD files in `dir`.
vigil::Result<nlohmann::json> writePlaybackHls(vs::Store& store, const std::string& stream, WallTime start,
                                               WallTime end, const std::string& dir) {
  auto playback = store.fragmentedPlayback(stream, start, end);
  if (!playback) return playback.status();
  std::filesystem::create_directories(dir);
  for (size_t i = 0; i < playback->inits().size(); ++i) {
    const media::ByteView init(*playback->inits()[i]);
    VIGIL_RETURN_IF_ERROR(writeFile(fmt::format("{}/init{}.mp4", dir, i), {&init, 1}));
  }
  int discontinuities = 0;
  for (size_t i = 0; i < playback->fragments().size(); ++i) {
    auto fragment = playback->fragment(i);
    if (!fragment) return fragment.status();
    VIGIL_RETURN_IF_ERROR(writeVirtualFile(**fragment, fmt::format("{}/{}.m4s", dir, i)));
    discontinuities += playback->fragments()[i].discontinuity ? 1 : 0;
  }
  const std::string m3u8 = playback->playlist([](size_t i) { return fmt::format("{}.m4s", i); },
                                              [](size_t i) { return fmt::format("init{}.mp4", i); });
  const media::ByteView text(reinterpret_cast<const uint8_t*>(m3u8.data()), m3u8.size());
  VIGIL_RETURN_IF_ERROR(writeFile(dir + "/playback.m3u8", {&text, 1}));
  nlohmann::json j = planJson(playback->plan());
  j["fragments"] = playback->fragments().size();
  j["inits"] = playback->inits().size();
  j["discontinuities"] = discontinuities;
  return j;
}

// `fmp4`: see the top of the file.
vigil::Result<nlohmann::json> writeFragments(const Input& in, int64_t start, int fps, int frames, int gapAt,
                                             const std::string& dir) {
  std::filesystem::create_directories(dir + "/live");
  auto init = media::fmp4InitSegment(*in.params);
  if (!init) return init.status();
  auto codec = media::codecString(*in.params);
  if (!codec) return codec.status();
  std::vector<media::ByteView> stream{*init};
  std::vector<media::Fragment> fragments;  // keep the views valid
  fragments.reserve(static_cast<size_t>(frames));
  std::vector<std::shared_ptr<const media::Frame>> gop;
  uint64_t decodeTime = 0;
  auto flush = [&]() -> vigil::Status {
    auto f = media::buildFragment(static_cast<uint32_t>(fragments.size() + 1), decodeTime, std::move(gop));
    gop.clear();
    if (!f) return f.status();
    decodeTime += f->duration;
    fragments.push_back(std::move(f.value()));
    for (media::ByteView b : fragments.back().buffers()) stream.push_back(b);
    return vigil::Status::ok();
  };
  media::HlsLiveWindow live;
  int64_t shift = 0;
  for (int i = 0; i < frames; ++i) {
    const size_t k = static_cast<size_t>(i) % in.units.size();
    if (i == gapAt) shift += 10 * 90000;  // the restarted stream's clock is elsewhere
    auto f = std::make_shared<media::Frame>();
    f->pts = vigil::MediaTime(int64_t{i} * 90000 / fps + shift);
    f->captureTime = WallTime::fromUnixMicros(start + int64_t{i} * 1000000 / fps);
    f->keyframe = in.keyframes[k];
    f->data = in.units[k];
    f->params = in.params;
    if ((f->keyframe || i == gapAt) && !gop.empty()) VIGIL_RETURN_IF_ERROR(flush());
    gop.push_back(f);
    live.push(f, i == gapAt);
  }
  if (!gop.empty()) VIGIL_RETURN_IF_ERROR(flush());
  VIGIL_RETURN_IF_ERROR(writeFile(dir + "/frames.mp4", stream));

  const std::string m3u8 = live.playlist([](uint64_t n) { return fmt::format("live/{}.m4s", n); },
                                         [](uint64_t n) { return fmt::format("live/init{}.mp4", n); });
  const media::ByteView text(reinterpret_cast<const uint8_t*>(m3u8.data()), m3u8.size());
  VIGIL_RETURN_IF_ERROR(writeFile(dir + "/live.m3u8", {&text, 1}));
  int listed = 0;
  // Segment numbers and init ids are below the number of frames.
  for (uint64_t n = 0; n <= static_cast<uint64_t>(frames); ++n) {
    if (auto segment = live.segment(n)) {
      VIGIL_RETURN_IF_ERROR(writeFile(fmt::format("{}/live/{}.m4s", dir, n), segment->buffers()));
      ++listed;
    }
    if (auto liveInit = live.init(n)) {
      const media::ByteView b(*liveInit);
      VIGIL_RETURN_IF_ERROR(writeFile(fmt::format("{}/live/init{}.mp4", dir, n), {&b, 1}));
    }
  }
  return nlohmann::json{{"fragments", fragments.size()}, {"codec", *codec}, {"live_segments", listed},
                        {"live_listed", live.listedSegments()}};
}

int fail(const vigil::Status& s) {
  fmt::print(stderr, "vigil_storage_tool: {}\n", s.toString());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Drive vigil's recording store (tests only)"};
  app.require_subcommand(1);
  std::string data, stream, input, codecName = "h264", out;
  int64_t start = 0, end = 0;
  int fps = 25, frames = 0, gapAt = -1, commitMs = 1000;
  double gapSeconds = 0, speed = 0;
  bool realtime = false, repair = false, readOnly = false;
  std::vector<std::string> dirs{"recordings"};
  uint64_t maxMb = 0, minFreeMb = 0, reclaimMb = 64, queueMb = 64;
  int retainDays = 0;

  auto* write = app.add_subcommand("write", "append an Annex B stream to the store");
  write->add_option("--data", data)->required();
  write->add_option("--stream", stream)->required();
  write->add_option("--input", input)->required();
  write->add_option("--codec", codecName)->check(CLI::IsMember({"h264", "h265"}));
  write->add_option("--start", start)->required();
  write->add_option("--fps", fps)->check(CLI::Range(1, 120));
  write->add_option("--frames", frames, "total frames (default: the input once)");
  write->add_option("--gap-at", gapAt, "frame index before which time jumps");
  write->add_option("--gap-seconds", gapSeconds);
  write->add_flag("--realtime", realtime);
  write->add_option("--speed", speed)->check(CLI::Range(0.1, 1000.0))->excludes("--realtime");
  write->add_option("--commit-ms", commitMs)->check(CLI::Range(10, 60000));
  write->add_option("--queue-mb", queueMb)->check(CLI::Range(1, 4096));
  // Retention (design/STORAGE.md), for the disk-full test.
  write->add_option("--max-mb", maxMb, "per storage directory; 0: no limit");
  write->add_option("--min-free-mb", minFreeMb);
  write->add_option("--reclaim-mb", reclaimMb, "freed after a write finds the disk full");
  write->add_option("--retain-days", retainDays, "for --stream; 0: forever");

  auto* exp = app.add_subcommand("export", "write the MP4 of a time range");
  exp->add_option("--data", data)->required();
  exp->add_option("--stream", stream)->required();
  exp->add_option("--start", start)->required();
  exp->add_option("--end", end)->required();
  exp->add_option("--out", out)->required();

  auto* hls = app.add_subcommand("hls", "write the HLS VOD (fMP4) of a time range");
  hls->add_option("--data", data)->required();
  hls->add_option("--stream", stream)->required();
  hls->add_option("--start", start)->required();
  hls->add_option("--end", end)->required();
  hls->add_option("--out", out, "directory")->required();

  auto* fmp4 = app.add_subcommand("fmp4", "cut an Annex B stream into fMP4 fragments and live HLS");
  fmp4->add_option("--input", input)->required();
  fmp4->add_option("--codec", codecName)->check(CLI::IsMember({"h264", "h265"}));
  fmp4->add_option("--start", start)->required();
  fmp4->add_option("--fps", fps)->check(CLI::Range(1, 120));
  fmp4->add_option("--frames", frames, "total frames (default: the input once)");
  fmp4->add_option("--gap-at", gapAt, "frame index where the stream restarts");
  fmp4->add_option("--out", out, "directory")->required();

  auto* list = app.add_subcommand("list", "print a stream's recordings");
  list->add_option("--data", data)->required();
  list->add_option("--stream", stream)->required();

  auto* check = app.add_subcommand("check", "verify (and repair) every storage directory");
  check->add_option("--data", data)->required();
  check->add_flag("--repair", repair);
  for (CLI::App* cmd : {exp, list}) cmd->add_flag("--read-only", readOnly);
  for (CLI::App* cmd : {write, exp, hls, list}) {
    cmd->add_option("--dirs", dirs, "storage directories under --data")->delimiter(',');
  }

  CLI11_PARSE(app, argc, argv);
  vigil::log::init(vigil::log::Level::kInfo);

  if (*check) {
    auto report = vs::checkDataDir(data, repair);
    if (!report) return fail(report.status());
    nlohmann::json j{{"recordings", report->recordings}, {"samples", report->samples}, {"bytes", report->bytes},
                     {"repairs", report->repairs}, {"problems", report->problems}};
    fmt::print("{}\n", j.dump());
    return report->problems.empty() ? 0 : 1;
  }

  const media::VideoCodec codec = codecName == "h265" ? media::VideoCodec::kH265 : media::VideoCodec::kH264;
  if (*fmp4) {
    auto in = readInput(input, codec);
    if (!in) return fail(in.status());
    auto j = writeFragments(*in, start, fps, frames > 0 ? frames : static_cast<int>(in->units.size()), gapAt, out);
    if (!j) return fail(j.status());
    fmt::print("{}\n", j->dump());
    return 0;
  }

  vs::StoreOptions options;
  options.dataDir = data;
  options.dirs = dirs;
  options.readOnly = readOnly;
  options.writer.commitInterval = std::chrono::milliseconds(commitMs);
  options.writer.queueBytes = queueMb << 20;
  options.writer.maxBytes = maxMb << 20;
  options.writer.minFreeBytes = minFreeMb << 20;
  options.writer.reclaimWhenFull = reclaimMb << 20;
  if (retainDays > 0) options.writer.retainDays[stream] = retainDays;
  auto store = vs::Store::open(options);
  if (!store) return fail(store.status());

  if (*write) {
    auto in = readInput(input, codec);
    if (!in) return fail(in.status());
    const int total = frames > 0 ? frames : static_cast<int>(in->units.size());
    int64_t shiftTicks = 0, shiftMicros = 0;
    const auto began = std::chrono::steady_clock::now();
    if (realtime) speed = 1;
    for (int i = 0; i < total; ++i) {
      const size_t k = static_cast<size_t>(i) % in->units.size();
      const bool jump = i == gapAt;
      if (jump) {
        shiftTicks += static_cast<int64_t>(gapSeconds * 90000);
        shiftMicros += static_cast<int64_t>(gapSeconds * 1e6);
      }
      media::Frame f;
      f.pts = vigil::MediaTime(int64_t{i} * 90000 / fps + shiftTicks);
      f.captureTime = WallTime::fromUnixMicros(start + int64_t{i} * 1000000 / fps + shiftMicros);
      f.keyframe = in->keyframes[k];
      f.data = in->units[k];
      f.params = in->params;
      if (speed > 0) {
        std::this_thread::sleep_until(began + std::chrono::microseconds(static_cast<int64_t>(i * 1e6 / fps / speed)));
      }
      store.value()->append(stream, f, jump);
      if (realtime) {
        fmt::print("fed {} {}\n", i, f.captureTime.unixMicros());
        std::fflush(stdout);
      }
    }
    store.value()->stop();
    const auto stats = store.value()->stats();
    fmt::print("{}\n", nlohmann::json{{"frames", total},
                                      {"dropped", stats.framesDropped},
                                      {"skipped", stats.framesSkipped},
                                      {"sealed", stats.recordingsSealed},
                                      {"commits", stats.commits},
                                      {"write_errors", stats.writeErrors},
                                      {"full_events", stats.fullEvents},
                                      {"not_stored", stats.framesNotStored},
                                      {"deleted", stats.recordingsDeleted},
                                      {"bytes_deleted", stats.bytesDeleted},
                                      {"bytes_used", stats.bytesUsed},
                                      {"storage_full", stats.storageFull}}
                           .dump());
    return 0;
  }
  if (*list) {
    auto recs = store.value()->recordings(stream, WallTime::fromUnixMicros(INT64_MIN / 2),
                                          WallTime::fromUnixMicros(INT64_MAX / 2));
    if (!recs) return fail(recs.status());
    nlohmann::json j = nlohmann::json::array();
    for (const auto& r : *recs) {
      j.push_back({{"id", r.id}, {"start", r.start.unixMicros()}, {"end", r.end.unixMicros()},
                   {"media_duration", r.mediaDuration}, {"bytes", r.bytes}, {"samples", r.samples},
                   {"sealed", r.sealed}});
    }
    fmt::print("{}\n", j.dump());
    return 0;
  }
  if (*hls) {
    auto j = writePlaybackHls(**store, stream, WallTime::fromUnixMicros(start), WallTime::fromUnixMicros(end), out);
    if (!j) return fail(j.status());
    fmt::print("{}\n", j->dump());
    return 0;
  }
  // export
  auto plan = store.value()->plan(stream, WallTime::fromUnixMicros(start), WallTime::fromUnixMicros(end));
  if (!plan) return fail(plan.status());
  // With the stream's audio, as `export.mp4` serves it.
  auto mp4 = store.value()->exportMp4(stream, WallTime::fromUnixMicros(start), WallTime::fromUnixMicros(end));
  if (!mp4) return fail(mp4.status());
  if (auto written = writeVirtualFile(**mp4, out); !written.isOk()) return fail(written);
  nlohmann::json j = planJson(*plan);
  j["size"] = (*mp4)->size();
  fmt::print("{}\n", j.dump());
  return 0;
}

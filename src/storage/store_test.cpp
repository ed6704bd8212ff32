#include "storage/store.h"

#include <fcntl.h>
#include <sys/statvfs.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include <sqlite3.h>

#include "media/fmp4.h"
#include "storage/retention.h"
#include "storage/test_frames.h"
#include "storage/transformed.h"

namespace vigil::storage {
namespace {

namespace fs = std::filesystem;
using testing::aacParams;
using testing::audioFrame;
using testing::frame;
using testing::h264Params;

constexpr int64_t kStart = 1'800'000'000'000'000;  // 2027-01-15
constexpr int kFps = 25;
constexpr int kGop = 50;  // 2 s

WallTime at(double seconds) { return WallTime::fromUnixMicros(kStart + static_cast<int64_t>(seconds * 1e6)); }

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / fmt::format("vigil-storage-test-{}-{}", ::getpid(), counter_++);
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  StoreOptions options() {
    StoreOptions o;
    o.dataDir = dir_.string();
    o.writer.commitInterval = std::chrono::milliseconds(20);
    o.writer.syncBeforeCommit = false;  // a temporary directory; invariant 2 is the recovery tests' subject
    o.writer.staggerRotation = false;
    return o;
  }
  std::unique_ptr<Store> open(StoreOptions o) {
    auto store = Store::open(std::move(o));
    EXPECT_TRUE(store.isOk()) << store.status().toString();
    return store.isOk() ? std::move(store.value()) : nullptr;
  }
  // Frames [from, to) of one stream, 25 fps, GOP 2 s; times offset by `shift` seconds.
  static void feed(Store& store, const std::string& stream, int from, int to, double shift = 0,
                   std::shared_ptr<const media::VideoParameters> params = h264Params(), bool newSegment = false) {
    for (int i = from; i < to; ++i) {
      media::Frame f = frame(i, i % kGop == 0, kStart + static_cast<int64_t>(shift * 1e6), params, kFps);
      f.pts = f.pts + MediaDuration(static_cast<int64_t>(shift * 90000));
      ASSERT_TRUE(store.append(stream, f, newSegment && i == from));
    }
  }
  DataCheckReport check(bool repair = false) {
    auto r = checkDataDir(dir_.string(), repair);
    EXPECT_TRUE(r.isOk()) << r.status().toString();
    return r.isOk() ? *r : DataCheckReport{};
  }

  fs::path dir_;
  static inline int counter_ = 0;
};

TEST_F(StoreTest, SplitsAStreamIntoContiguousRecordingsOfAtMostSixtySeconds) {
  auto store = open(options());
  feed(*store, "gate", 0, 150 * kFps);
  store->stop();
  auto recs = store->recordings("gate", at(0), at(1000));
  ASSERT_TRUE(recs.isOk());
  ASSERT_EQ(recs->size(), 3u);
  EXPECT_EQ((*recs)[0].start, at(0));
  EXPECT_EQ((*recs)[0].mediaDuration, 60 * 90000);
  EXPECT_EQ((*recs)[1].mediaDuration, 60 * 90000);
  EXPECT_EQ((*recs)[2].mediaDuration, 30 * 90000);
  EXPECT_EQ((*recs)[1].start, (*recs)[0].end);
  EXPECT_EQ((*recs)[2].start, (*recs)[1].end);
  EXPECT_EQ((*recs)[2].end, at(150));
  for (const auto& r : *recs) EXPECT_TRUE(r.sealed);
  const auto report = check();
  EXPECT_EQ(report.recordings, 3);
  EXPECT_EQ(report.samples, 150u * kFps);
  EXPECT_TRUE(report.problems.empty()) << report.problems.front();
}

TEST_F(StoreTest, StaggeredRotationShortensOnlyTheFirstRecording) {
  auto o = options();
  o.writer.staggerRotation = true;
  auto store = open(o);
  feed(*store, "a", 0, 130 * kFps);
  feed(*store, "b", 0, 130 * kFps);
  store->stop();
  std::vector<int64_t> firstEnds;
  for (const char* s : {"a", "b"}) {
    auto recs = store->recordings(s, at(0), at(1000));
    ASSERT_TRUE(recs.isOk());
    ASSERT_GE(recs->size(), 3u);
    for (size_t i = 0; i + 1 < recs->size(); ++i) {
      EXPECT_LE((*recs)[i].mediaDuration, 60 * 90000);
      if (i > 0) EXPECT_EQ((*recs)[i].mediaDuration, 60 * 90000);
    }
    firstEnds.push_back((*recs)[0].end.unixMicros());
  }
  EXPECT_NE(firstEnds[0], firstEnds[1]);  // the two streams rotate at different times
}

TEST_F(StoreTest, SealsAtAGapAndReportsItInThePlan) {
  auto store = open(options());
  feed(*store, "gate", 0, 10 * kFps);
  feed(*store, "gate", 10 * kFps, 20 * kFps, /*shift=*/30, h264Params(), /*newSegment=*/true);
  store->stop();
  auto recs = store->recordings("gate", at(0), at(1000));
  ASSERT_TRUE(recs.isOk());
  ASSERT_EQ(recs->size(), 2u);
  EXPECT_EQ((*recs)[0].end, at(10));
  EXPECT_EQ((*recs)[1].start, at(40));
  auto plan = store->plan("gate", at(5), at(45));
  ASSERT_TRUE(plan.isOk());
  ASSERT_EQ(plan->gaps.size(), 1u);
  EXPECT_EQ(plan->gaps[0].start, at(10));
  EXPECT_EQ(plan->gaps[0].end, at(40));
  // From the keyframe at 4 s to 10 s, then 40 s to 45 s.
  EXPECT_EQ(plan->segments[0].start, at(4));
  EXPECT_EQ(plan->frames, static_cast<uint64_t>(6 * kFps + 5 * kFps));
}

TEST_F(StoreTest, SealsWhenTheParametersChange) {
  auto store = open(options());
  feed(*store, "gate", 0, 4 * kFps, 0, h264Params(0));
  feed(*store, "gate", 4 * kFps, 8 * kFps, 0, h264Params(1));
  store->stop();
  auto plan = store->plan("gate", at(0), at(8));
  ASSERT_TRUE(plan.isOk());
  ASSERT_EQ(plan->segments.size(), 2u);
  EXPECT_NE(plan->segments[0].sampleEntryId, plan->segments[1].sampleEntryId);
  EXPECT_TRUE(plan->gaps.empty());
  auto mp4 = buildMp4(*plan);
  EXPECT_TRUE(mp4.isOk()) << mp4.status().toString();  // two sample descriptions
}

TEST_F(StoreTest, AWallClockSteppingBackNeverMakesRecordingsOverlap) {
  auto store = open(options());
  feed(*store, "gate", 0, 10 * kFps);
  // The camera reconnects and its clock now reads 5 s earlier.
  feed(*store, "gate", 10 * kFps, 20 * kFps, /*shift=*/-5, h264Params(), /*newSegment=*/true);
  store->stop();
  auto recs = store->recordings("gate", at(-100), at(1000));
  ASSERT_TRUE(recs.isOk());
  ASSERT_EQ(recs->size(), 2u);
  EXPECT_GE((*recs)[1].start, (*recs)[0].end);
  EXPECT_TRUE(check().problems.empty());
}

TEST_F(StoreTest, PlanStartsAtTheKeyframeBeforeAMidRecordingStart) {
  auto store = open(options());
  feed(*store, "gate", 0, 130 * kFps);
  store->stop();
  auto plan = store->plan("gate", at(61), at(125));
  ASSERT_TRUE(plan.isOk());
  ASSERT_EQ(plan->segments.size(), 2u);
  EXPECT_EQ(plan->segments[0].start, at(60));
  EXPECT_EQ(plan->segments[1].end, at(125));
  EXPECT_TRUE(plan->gaps.empty());
  EXPECT_EQ(plan->frames, static_cast<uint64_t>(65 * kFps));
  EXPECT_EQ(plan->mediaDuration, 65 * 90000);
}

TEST_F(StoreTest, VirtualMp4ReadsTheSameBytesInAnyPieces) {
  auto store = open(options());
  feed(*store, "gate", 0, 70 * kFps);
  store->stop();
  auto mp4 = store->exportMp4("gate", at(3), at(65));
  ASSERT_TRUE(mp4.isOk()) << mp4.status().toString();
  const auto& file = **mp4;
  auto whole = file.read(0, file.size());
  ASSERT_TRUE(whole.isOk());
  ASSERT_EQ(whole->size(), file.size());
  EXPECT_EQ(std::string(whole->begin() + 4, whole->begin() + 8), "ftyp");
  std::mt19937 rng(7);
  for (int i = 0; i < 50; ++i) {
    const uint64_t off = rng() % file.size();
    const size_t len = rng() % 300000;
    auto piece = file.read(off, len);
    ASSERT_TRUE(piece.isOk());
    const size_t expect = static_cast<size_t>(std::min<uint64_t>(len, file.size() - off));
    ASSERT_EQ(piece->size(), expect);
    EXPECT_TRUE(std::equal(piece->begin(), piece->end(), whole->begin() + static_cast<ptrdiff_t>(off)));
  }
  EXPECT_TRUE(file.read(file.size(), 10)->empty());

  // The same range exports the same bytes under the same tag; another
  // range gets another.
  const std::string tag = file.entityTag();
  EXPECT_EQ((*store->exportMp4("gate", at(3), at(65)))->entityTag(), tag);
  EXPECT_NE((*store->exportMp4("gate", at(3), at(64)))->entityTag(), tag);
  EXPECT_TRUE(tag.starts_with('"') && tag.ends_with('"')) << tag;
}

TEST_F(StoreTest, FragmentedPlaybackHasAFragmentPerGopAndFlagsGapsAndNewParameters) {
  auto store = open(options());
  feed(*store, "gate", 0, 70 * kFps, 0, h264Params(0));  // two recordings back to back
  feed(*store, "gate", 70 * kFps, 80 * kFps, 0, h264Params(1));
  feed(*store, "gate", 80 * kFps, 90 * kFps, /*shift=*/30, h264Params(1), /*newSegment=*/true);
  store->stop();
  auto playback = store->fragmentedPlayback("gate", at(55), at(200));
  ASSERT_TRUE(playback.isOk()) << playback.status().toString();
  ASSERT_EQ(playback->inits().size(), 2u);
  // 54-60, 60-70 (a new recording, no discontinuity), 70-80 (new
  // parameters), 110-120 (after a gap): 2 s GOPs.
  const auto& fragments = playback->fragments();
  ASSERT_EQ(fragments.size(), 3u + 5 + 5 + 5);
  std::vector<size_t> discontinuities;
  uint64_t decodeTime = 0;
  for (size_t i = 0; i < fragments.size(); ++i) {
    const PlaybackFragment& f = fragments[i];
    EXPECT_EQ(f.mediaDuration, 2 * 90000) << i;
    EXPECT_EQ(f.frames, static_cast<size_t>(kGop));
    EXPECT_EQ(f.baseDecodeTime, decodeTime);
    decodeTime += static_cast<uint64_t>(f.mediaDuration);
    if (f.discontinuity) discontinuities.push_back(i);
    EXPECT_EQ(f.init, i < 8 ? 0u : 1u);
  }
  EXPECT_EQ(discontinuities, (std::vector<size_t>{8, 13}));
  EXPECT_EQ(fragments[0].start, at(54));
  EXPECT_EQ(fragments[13].start, at(110));

  // A fragment is its moof and mdat header, then the sample file's bytes.
  const size_t pick = 9;
  auto file = playback->fragment(pick);
  ASSERT_TRUE(file.isOk()) << file.status().toString();
  auto bytes = (*file)->read(0, (*file)->size());
  ASSERT_TRUE(bytes.isOk());
  const PlaybackSegment& seg = playback->plan().segments[fragments[pick].segment];
  std::vector<media::FragmentSample> samples;
  for (size_t i = 0; i < fragments[pick].frames; ++i) {
    const SampleInfo& s = seg.samples[fragments[pick].firstSample + i];
    samples.push_back({s.bytes, static_cast<uint32_t>(s.duration), s.keyframe});
  }
  media::Bytes want = media::fragmentHeader(pick + 1, fragments[pick].baseDecodeTime, samples);
  std::ifstream sampleFile(seg.samplePath, std::ios::binary);
  sampleFile.seekg(static_cast<std::streamoff>(fragments[pick].fileOffset));
  want.resize(want.size() + fragments[pick].bytes);
  sampleFile.read(reinterpret_cast<char*>(want.data() + want.size() - fragments[pick].bytes),
                  static_cast<std::streamsize>(fragments[pick].bytes));
  EXPECT_EQ(*bytes, want);
  EXPECT_EQ(playback->fragment(fragments.size()).status().code(), StatusCode::kNotFound);

  const std::string m3u8 = playback->playlist([](size_t i) { return fmt::format("{}.m4s", i); },
                                              [](size_t i) { return fmt::format("init{}.mp4", i); });
  EXPECT_NE(m3u8.find("#EXTINF:2.000,\n7.m4s\n#EXT-X-DISCONTINUITY\n#EXT-X-MAP:URI=\"init1.mp4\"\n"
                      "#EXT-X-PROGRAM-DATE-TIME:2027-01-15T08:01:10Z\n#EXTINF:2.000,\n8.m4s\n"),
            std::string::npos)
      << m3u8;
  EXPECT_NE(m3u8.find("#EXT-X-DISCONTINUITY\n#EXT-X-PROGRAM-DATE-TIME:2027-01-15T08:01:50Z\n#EXTINF:2.000,\n13.m4s\n"),
            std::string::npos)
      << m3u8;
  EXPECT_EQ(store->fragmentedPlayback("gate", at(300), at(400)).status().code(), StatusCode::kNotFound);
}

// The transformed answers with a transform that changes nothing are the
// plain answers byte for byte (so they keep every place in the playlist
// and the MP4); one that breaks its contract is an error, never the
// untransformed bytes.
TEST_F(StoreTest, TransformedAnswersKeepThePlaybacksPlacesAndRefuseABrokenTransform) {
  auto store = open(options());
  feed(*store, "gate", 0, 70 * kFps, 0, h264Params(0));
  feed(*store, "gate", 70 * kFps, 80 * kFps, 0, h264Params(1));
  store->stop();
  int runs = 0;
  const SampleTransform same = [&runs](const SampleRun& run) -> Result<SampleRun> {
    ++runs;
    EXPECT_TRUE(run.samples.front().keyframe);
    return run;
  };
  auto readAll = [](const VirtualFile& f) { return *f.read(0, f.size()); };
  auto playback = store->fragmentedPlayback("gate", at(55), at(80));
  ASSERT_TRUE(playback.isOk()) << playback.status().toString();
  for (size_t i = 0; i < playback->fragments().size(); ++i) {
    auto plain = playback->fragment(i);
    auto transformed = transformedFragment(*playback, i, same);
    ASSERT_TRUE(transformed.isOk()) << transformed.status().toString();
    EXPECT_EQ(readAll(**transformed), readAll(**plain)) << "fragment " << i;
  }
  EXPECT_EQ(runs, static_cast<int>(playback->fragments().size()));
  for (size_t i = 0; i < playback->inits().size(); ++i) {
    auto init = transformedInit(*playback, i, same);
    ASSERT_TRUE(init.isOk()) << init.status().toString();
    EXPECT_EQ(*init, *playback->inits()[i]);
  }
  EXPECT_EQ(transformedFragment(*playback, playback->fragments().size(), same).status().code(), StatusCode::kNotFound);

  // The export: every keyframe run transformed, the same MP4.
  auto plan = store->plan("gate", at(3), at(75));
  ASSERT_TRUE(plan.isOk());
  runs = 0;
  const TransformBudget budget{std::make_shared<TransformedMemory>(uint64_t{1} << 30),
                               std::chrono::steady_clock::now() + std::chrono::hours(1)};
  auto transformedPlanned = transformedPlan(*plan, same, budget);
  ASSERT_TRUE(transformedPlanned.isOk()) << transformedPlanned.status().toString();
  EXPECT_EQ(runs, 37);  // GOPs of 2 s from the keyframe at 2 s through the one at 74 s
  EXPECT_TRUE(transformedPlanned->segments.front().samplePath.empty());
  EXPECT_EQ(readAll(**buildMp4(*transformedPlanned)), readAll(**buildMp4(*plan)));

  // A transform that shortens a run, or starts without a keyframe: an error.
  const SampleTransform shorter = [](SampleRun run) -> Result<SampleRun> {
    run.samples.back().duration -= 1;
    return run;
  };
  const SampleTransform noKeyframe = [](SampleRun run) -> Result<SampleRun> {
    run.samples.front().keyframe = false;
    return run;
  };
  for (const SampleTransform& broken : {shorter, noKeyframe}) {
    EXPECT_EQ(transformedFragment(*playback, 0, broken).status().code(), StatusCode::kInternal);
    EXPECT_EQ(transformedPlan(*plan, broken, budget).status().code(), StatusCode::kInternal);
  }
}

TEST_F(StoreTest, AFullQueueDropsAndResumesAtAKeyframe) {
  auto o = options();
  o.writer.queueBytes = 4000;  // a keyframe and a few frames
  o.writer.commitInterval = std::chrono::milliseconds(1000);
  auto store = open(o);
  int dropped = 0;
  // The writer wakes at an eighth of the queue and drains it: frames must
  // come faster than it writes and syncs, which 100 frames did not always
  // under a loaded CI; 2000 do.
  for (int i = 0; i < 80 * kFps; ++i) {
    if (!store->append("gate", frame(i, i % kGop == 0, kStart, h264Params()), false)) ++dropped;
  }
  store->stop();
  EXPECT_GT(dropped, 0);
  EXPECT_EQ(store->stats().framesDropped, static_cast<uint64_t>(dropped));
  auto report = check();
  EXPECT_TRUE(report.problems.empty());
  // Every recording starts at a keyframe, so the check above covers the resync.
  EXPECT_GE(report.recordings, 1);
}

std::string schemaVersion(const fs::path& index) {
  sqlite3* raw = nullptr;
  sqlite3_open_v2(index.c_str(), &raw, SQLITE_OPEN_READONLY, nullptr);
  sqlite3_stmt* stmt = nullptr;
  sqlite3_prepare_v2(raw, "SELECT value FROM meta WHERE key = 'schema_version'", -1, &stmt, nullptr);
  std::string v = sqlite3_step(stmt) == SQLITE_ROW ? reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)) : "";
  sqlite3_finalize(stmt);
  sqlite3_close(raw);
  return v;
}

// Audio invariants 1-4: a camera's audio is a stream of its own beside
// its video, in the same directory; its recordings hold the frames as
// they came, its entries are audio ones, and the index moves to schema
// version 2 only then (video alone stays version 1). The export has two
// tracks; check is clean.
TEST_F(StoreTest, RecordsAudioBesideItsVideoAndExportsBoth) {
  StoreOptions o = options();
  o.dirs = {"a", "b"};
  auto store = open(o);
  feed(*store, "door", 0, 10 * kFps);
  EXPECT_EQ(schemaVersion(dir_ / "a" / kIndexFileName), "1");
  EXPECT_EQ(schemaVersion(dir_ / "b" / kIndexFileName), "1");
  // "gate" takes directory b (fewer streams); its audio must follow it.
  feed(*store, "gate", 0, 10 * kFps);
  const auto params = aacParams();
  const int frames = 10 * 16000 / 1024;  // 10 s
  for (int i = 0; i < frames; ++i) ASSERT_TRUE(store->append(audioStreamOf("gate"), audioFrame(i, kStart, params), i == 0));
  store->stop();
  EXPECT_EQ(schemaVersion(dir_ / "a" / kIndexFileName), "1") << "no audio there";
  EXPECT_EQ(schemaVersion(dir_ / "b" / kIndexFileName), "2");

  auto audio = store->recordings("gate.audio", at(0), at(100));
  ASSERT_TRUE(audio.isOk());
  ASSERT_EQ(audio->size(), 1u);
  EXPECT_EQ((*audio)[0].samples, static_cast<uint32_t>(frames));
  EXPECT_EQ((*audio)[0].mediaDuration, int64_t{frames} * 5760);
  auto plan = store->plan("gate.audio", at(2), at(5));
  ASSERT_TRUE(plan.isOk());
  ASSERT_TRUE(plan->segments.front().audio);
  EXPECT_EQ(*plan->segments.front().audio, *params);
  EXPECT_TRUE(fs::exists(dir_ / "b" / sampleFileName(plan->segments.front().recordingId)));

  auto mp4 = store->exportMp4("gate", at(2), at(5));
  ASSERT_TRUE(mp4.isOk());
  auto bytes = (*mp4)->read(0, (*mp4)->size());
  ASSERT_TRUE(bytes.isOk());
  const std::string text(bytes->begin(), bytes->end());
  EXPECT_NE(text.find("mp4a"), std::string::npos);
  EXPECT_NE(text.find("esds"), std::string::npos);
  EXPECT_NE(text.find("smhd"), std::string::npos);
  auto videoOnly = store->exportMp4("door", at(2), at(5));
  ASSERT_TRUE(videoOnly.isOk());
  auto videoBytes = (*videoOnly)->read(0, (*videoOnly)->size());
  EXPECT_EQ(std::string(videoBytes->begin(), videoBytes->end()).find("soun"), std::string::npos);

  // HLS playback: the AAC is a second track of the init segment, and each
  // fragment has, after the video's moof and mdat, a moof of track 2 with
  // the audio of its time (every audio sample of the range once).
  auto playback = store->fragmentedPlayback("gate", at(2), at(5));
  ASSERT_TRUE(playback.isOk());
  const media::Bytes& init = *playback->inits().front();
  EXPECT_NE(std::string(init.begin(), init.end()).find("mp4a"), std::string::npos);
  uint64_t audioSamples = 0;
  for (size_t i = 0; i < playback->fragments().size(); ++i) {
    const auto& f = playback->fragments()[i];
    ASSERT_FALSE(f.audio.empty()) << "fragment " << i;
    for (const auto& run : f.audio) audioSamples += run.samples;
    auto file = playback->fragment(i);
    ASSERT_TRUE(file.isOk());
    auto data = (*file)->read(0, (*file)->size());
    ASSERT_TRUE(data.isOk());
    const std::string fragment(data->begin(), data->end());
    const size_t second = fragment.find("moof", fragment.find("moof") + 4);
    ASSERT_NE(second, std::string::npos);
    const size_t tfhd = fragment.find("tfhd", second);
    EXPECT_EQ(static_cast<uint8_t>(fragment[tfhd + 11]), media::kAudioTrackId);
  }
  const auto& frags = playback->fragments();
  const double seconds = static_cast<double>(frags.back().start.unixMicros() - frags.front().start.unixMicros()) / 1e6 +
                         static_cast<double>(frags.back().mediaDuration) / 90000;
  EXPECT_NEAR(static_cast<double>(audioSamples), seconds * 16000 / 1024, 2.0);
  auto door = store->fragmentedPlayback("door", at(2), at(5));
  ASSERT_TRUE(door.isOk());
  const media::Bytes& doorInit = *door->inits().front();
  EXPECT_EQ(std::string(doorInit.begin(), doorInit.end()).find("mp4a"), std::string::npos);
  auto report = check();
  EXPECT_TRUE(report.problems.empty()) << report.problems.front();
}

// Audio invariant 7: a G.711 camera plays back with the AAC the caller
// makes of each fragment's stretch (here a stand-in: a frame per 1024
// samples naming its first sample's packet), every AAC frame of the
// stretch once and in order; what is stored and exported stays G.711.
TEST_F(StoreTest, PlaysG711BackAsTheAacTheCallerMakes) {
  auto store = open(options());
  feed(*store, "gate", 0, 10 * kFps);
  const auto pcma = std::make_shared<const media::AudioParameters>(media::AudioParameters{media::AudioCodec::kPcma, 8000, 1, {}});
  for (int i = 0; i < 500; ++i) {  // 10 s of 20 ms packets, each of bytes i % 256
    media::Frame f;
    f.pts = MediaTime(1000 + int64_t{i} * 1800);
    f.captureTime = WallTime::fromUnixMicros(kStart + int64_t{i} * 20000);
    f.keyframe = true;
    f.data.assign(160, static_cast<uint8_t>(i));
    f.audio = pcma;
    ASSERT_TRUE(store->append(audioStreamOf("gate"), f, i == 0));
  }
  store->stop();
  size_t made = 0;
  const G711ToAacFrames toAac = [&](const media::AudioParameters& p, media::ByteView samples) -> Result<std::vector<media::Bytes>> {
    if (p != *pcma) return Status::invalidArgument("not the camera's G.711");
    std::vector<media::Bytes> out;
    for (size_t k = 0; k * 1024 < samples.size(); ++k) out.push_back({0xaa, samples[k * 1024], 0xbb, 0xcc});
    made += out.size();
    return out;
  };
  auto silent = store->fragmentedPlayback("gate", at(2), at(5));
  ASSERT_TRUE(silent.isOk());
  EXPECT_EQ(std::string(silent->inits().front()->begin(), silent->inits().front()->end()).find("mp4a"), std::string::npos);

  auto playback = store->fragmentedPlayback("gate", at(2), at(5), toAac);
  ASSERT_TRUE(playback.isOk());
  const media::Bytes& init = *playback->inits().front();
  EXPECT_NE(std::string(init.begin(), init.end()).find("mp4a"), std::string::npos);
  auto plan = store->plan("gate.audio", at(2), at(5));
  ASSERT_TRUE(plan.isOk());
  const uint32_t firstPacket = plan->segments.front().firstSample;
  const auto& frags = playback->fragments();
  ASSERT_FALSE(frags.front().audio.empty());
  size_t next = frags.front().audio.front().firstSample, carried = 0;
  for (size_t i = 0; i < frags.size(); ++i) {
    ASSERT_EQ(frags[i].audio.size(), 1u) << "fragment " << i;
    const auto& run = frags[i].audio.front();
    EXPECT_EQ(run.firstSample, next) << "fragment " << i << ": no frame left out or twice";
    next = run.firstSample + run.samples;
    carried += run.samples;
    auto file = playback->fragment(i);
    ASSERT_TRUE(file.isOk()) << file.status().toString();
    auto data = (*file)->read(0, (*file)->size());
    ASSERT_TRUE(data.isOk());
    // The audio's mdat ends the fragment: the run's frames, in order.
    ASSERT_GE(data->size(), 4 * run.samples);
    const uint8_t* frames = data->data() + data->size() - 4 * run.samples;
    for (size_t k = 0; k < run.samples; ++k) {
      EXPECT_EQ(frames[4 * k], 0xaa);
      EXPECT_EQ(frames[4 * k + 1], static_cast<uint8_t>(firstPacket + (run.firstSample + k) * 1024 / 160))
          << "fragment " << i << " frame " << k;
    }
  }
  const double seconds = static_cast<double>(frags.back().start.unixMicros() - frags.front().start.unixMicros()) / 1e6 +
                         static_cast<double>(frags.back().mediaDuration) / 90000;
  EXPECT_NEAR(static_cast<double>(carried), seconds * 8000 / 1024, 2.0);
  EXPECT_GE(made, carried);

  auto mp4 = store->exportMp4("gate", at(2), at(5));
  ASSERT_TRUE(mp4.isOk());
  auto bytes = (*mp4)->read(0, (*mp4)->size());
  const std::string text(bytes->begin(), bytes->end());
  EXPECT_NE(text.find("alaw"), std::string::npos);
  EXPECT_EQ(text.find("mp4a"), std::string::npos) << "the export keeps the camera's G.711";
}

// Audio invariant 5: a crash leaves an audio recording's uncommitted tail
// cut (raw AAC frames have no boundaries to re-index), the row kept.
TEST_F(StoreTest, RecoveryCutsAnAudioRecordingToItsIndex) {
  {
    auto store = open(options());
    const auto params = aacParams();
    for (int i = 0; i < 100; ++i) ASSERT_TRUE(store->append("gate.audio", audioFrame(i, kStart, params), i == 0));
    store->stop();
  }
  auto db = IndexDb::open((dir_ / "recordings" / kIndexFileName).string());
  auto rows = (*db)->allRecordings();
  ASSERT_EQ(rows->size(), 1u);
  RecordingRow row = rows->front();
  row.sealed = false;
  ASSERT_TRUE((*db)->putRecording(row).isOk());
  db->reset();
  const fs::path file = dir_ / "recordings" / sampleFileName(row.id);
  std::ofstream(file, std::ios::app | std::ios::binary) << std::string(300, 'x');  // written, never committed
  auto store = open(options());
  EXPECT_EQ(store->recoveryReports()[0].bytesTruncated, 300u);
  store->stop();
  EXPECT_EQ(fs::file_size(file), row.bytes);
  EXPECT_TRUE(check().problems.empty());
}

// Crash recovery: the state a kill -9 leaves (bytes written past the
// committed index, a torn last frame, a file with no row, a row with no
// file) is built by hand, then the store is opened on it.
class RecoveryTest : public StoreTest {
 protected:
  void writeRecordings() {
    auto store = open(options());
    feed(*store, "gate", 0, 20 * kFps);
    store->stop();
  }
  std::unique_ptr<IndexDb> db() {
    auto d = IndexDb::open((dir_ / "recordings" / kIndexFileName).string());
    EXPECT_TRUE(d.isOk());
    return std::move(d.value());
  }
};

TEST_F(RecoveryTest, ReindexesWholeFramesPastTheIndexAndCutsTheTornOne) {
  writeRecordings();
  auto rows = db()->allRecordings();
  ASSERT_TRUE(rows.isOk());
  ASSERT_EQ(rows->size(), 1u);
  RecordingRow row = rows->front();
  // As if the last 30 frames were written but never committed.
  auto samples = decodeSampleIndex(row.sampleIndex);
  ASSERT_TRUE(samples.isOk());
  const size_t keep = samples->size() - 30;
  SampleIndexEncoder enc;
  uint64_t bytes = 0;
  int64_t ticks = 0;
  for (size_t i = 0; i < keep; ++i) {
    enc.add((*samples)[i]);
    bytes += (*samples)[i].bytes;
    ticks += (*samples)[i].duration;
  }
  RecordingRow partial = row;
  partial.sampleIndex = enc.bytes();
  partial.samples = static_cast<uint32_t>(keep);
  partial.bytes = bytes;
  partial.mediaDuration = ticks;
  partial.end = WallTime::fromUnixMicros(row.start.unixMicros() + ticksToMicros(ticks));
  partial.sealed = false;
  ASSERT_TRUE(db()->putRecording(partial).isOk());
  const fs::path file = dir_ / "recordings" / sampleFileName(row.id);
  {
    std::ofstream out(file, std::ios::app | std::ios::binary);
    // The first bytes of the next picture's slice: length 256, 2 bytes present.
    const char torn[] = {0, 0, 1, 0, 0x41, static_cast<char>(0x88)};
    out.write(torn, sizeof(torn));
  }
  auto store = open(options());
  ASSERT_EQ(store->recoveryReports().size(), 1u);
  const RecoveryReport& report = store->recoveryReports()[0];
  EXPECT_EQ(report.samplesRecovered, 30);
  EXPECT_EQ(report.bytesTruncated, 6u);
  store->stop();
  auto after = db()->allRecordings();
  ASSERT_TRUE(after.isOk());
  EXPECT_EQ(after->front().samples, row.samples);
  EXPECT_EQ(after->front().bytes, row.bytes);
  EXPECT_EQ(after->front().mediaDuration, row.mediaDuration);  // steady frame rate: exact
  EXPECT_TRUE(after->front().sealed);
  EXPECT_EQ(fs::file_size(file), row.bytes);
  EXPECT_TRUE(check().problems.empty());
}

TEST_F(RecoveryTest, RemovesOrphansAndRowsWithoutFilesAndShortensRowsPastTheirFile) {
  writeRecordings();
  {
    auto store = open(options());  // a second recording, id 2
    feed(*store, "gate", 0, 4 * kFps, /*shift=*/100);
    store->stop();
  }
  auto rows = db()->allRecordings();
  ASSERT_TRUE(rows.isOk());
  ASSERT_EQ(rows->size(), 2u);
  const fs::path dir = dir_ / "recordings";
  fs::remove(dir / sampleFileName((*rows)[1].id));           // row without a file
  fs::resize_file(dir / sampleFileName((*rows)[0].id), 5000);  // row past its file
  std::ofstream(dir / sampleFileName(99)) << "orphan";         // file without a row
  std::ofstream(dir / "notes.txt") << "not ours";              // left alone

  EXPECT_EQ(check().problems.size(), 3u);
  auto store = open(options());
  const RecoveryReport& report = store->recoveryReports()[0];
  EXPECT_EQ(report.rowsDeleted, 1);
  EXPECT_EQ(report.rowsShortened, 1);
  EXPECT_EQ(report.orphansRemoved, 1);
  store->stop();
  EXPECT_FALSE(fs::exists(dir / sampleFileName(99)));
  EXPECT_TRUE(fs::exists(dir / "notes.txt"));
  auto after = db()->allRecordings();
  ASSERT_EQ(after->size(), 1u);
  EXPECT_LE(after->front().bytes, 5000u);
  EXPECT_GT(after->front().samples, 0u);
  EXPECT_TRUE(check().problems.empty());
}

TEST_F(RecoveryTest, ReadOnlyOpenNeitherRecoversNorWritesButExports) {
  writeRecordings();
  const fs::path dir = dir_ / "recordings";
  std::ofstream(dir / sampleFileName(99)) << "orphan";  // recovery would remove it
  StoreOptions o = options();
  o.readOnly = true;
  auto store = open(o);
  ASSERT_NE(store, nullptr);
  EXPECT_TRUE(store->recoveryReports().empty());
  EXPECT_TRUE(fs::exists(dir / sampleFileName(99)));
  auto recs = store->recordings("gate", at(0), at(1000));
  ASSERT_TRUE(recs.isOk());
  ASSERT_EQ(recs->size(), 1u);
  auto mp4 = store->exportMp4("gate", recs->front().start, recs->front().end);
  ASSERT_TRUE(mp4.isOk()) << mp4.status().toString();
  auto head = (*mp4)->read(0, 8);
  ASSERT_TRUE(head.isOk());
  EXPECT_EQ(std::string(head->begin() + 4, head->end()), "ftyp");
  EXPECT_FALSE(store->append("gate", frame(0, true, kStart, h264Params(), kFps), false));
  store->stop();
  EXPECT_EQ(store->stats().samplesWritten, 0u);

  StoreOptions missing = options();
  missing.readOnly = true;
  missing.dataDir = (dir_ / "nowhere").string();
  EXPECT_FALSE(Store::open(missing).isOk());
  EXPECT_FALSE(fs::exists(dir_ / "nowhere"));
}

TEST_F(RecoveryTest, CheckRepairFixesWhatItReports) {
  writeRecordings();
  std::ofstream(dir_ / "recordings" / sampleFileName(77)) << "orphan";
  EXPECT_EQ(check().problems.size(), 1u);
  const auto repaired = check(/*repair=*/true);
  EXPECT_EQ(repaired.repairs, 1);
  EXPECT_TRUE(repaired.problems.empty());
}

// Retention: limits are applied when a store opens (and then periodically);
// reopening makes the tests deterministic.
class RetentionTest : public RecoveryTest {
 protected:
  std::vector<RecordingRow> rows(const std::string& dir = "recordings") {
    auto d = IndexDb::open((dir_ / dir / kIndexFileName).string());
    EXPECT_TRUE(d.isOk());
    auto r = (*d)->allRecordings();
    EXPECT_TRUE(r.isOk());
    return r.isOk() ? *r : std::vector<RecordingRow>{};
  }
  // gate: 0..150 s (3 recordings); door: 200..230 s (1 recording).
  void writeTwoStreams() {
    auto store = open(options());
    feed(*store, "gate", 0, 150 * kFps);
    feed(*store, "door", 0, 30 * kFps, /*shift=*/200);
    store->stop();
  }
  bool fileExists(int64_t id) { return fs::exists(dir_ / "recordings" / sampleFileName(id)); }
};

TEST_F(RetentionTest, DeletesRecordingsOlderThanTheirStreamsRetainDays) {
  writeTwoStreams();
  const auto before = rows();
  ASSERT_EQ(before.size(), 4u);
  ManualClock clock(at(24 * 3600 + 100));  // a day after 100 s: gate keeps what ended after 100 s
  auto o = options();
  o.writer.clock = &clock;
  o.writer.retainDays = {{"gate", 1}};  // door: kept (defaultRetainDays = 0)
  auto store = open(o);
  store->stop();
  EXPECT_EQ(store->stats().recordingsDeleted, 1u);
  auto gate = store->recordings("gate", at(0), at(1000));
  ASSERT_TRUE(gate.isOk());
  ASSERT_EQ(gate->size(), 2u);
  EXPECT_EQ((*gate)[0].start, at(60));
  EXPECT_EQ(store->recordings("door", at(0), at(1000))->size(), 1u);
  EXPECT_FALSE(fileExists(before[0].id));
  EXPECT_TRUE(check().problems.empty());
}

TEST_F(RetentionTest, DeletesTheOldestRecordingsBeyondMaxBytes) {
  writeTwoStreams();
  const auto before = rows();
  ASSERT_EQ(before.size(), 4u);
  uint64_t total = 0;
  for (const auto& r : before) total += r.bytes;
  // One byte too many: the oldest recording (gate, 0..60 s) goes, only it.
  auto o = options();
  o.dirLimits["recordings"] = {.maxBytes = total - 1, .minFreeBytes = 0};
  auto store = open(o);
  store->stop();
  const WriterStats stats = store->stats();
  EXPECT_EQ(stats.recordingsDeleted, 1u);
  EXPECT_EQ(stats.bytesDeleted, before[0].bytes);
  EXPECT_EQ(stats.bytesUsed, total - before[0].bytes);
  EXPECT_EQ(store->recordings("gate", at(0), at(1000))->front().start, at(60));
  EXPECT_FALSE(fileExists(before[0].id));
  // Down to what door alone holds: every gate recording goes, oldest first.
  o.dirLimits["recordings"].maxBytes = before[3].bytes;
  auto again = open(o);
  again->stop();
  EXPECT_EQ(again->stats().recordingsDeleted, 2u);
  EXPECT_TRUE(again->recordings("gate", at(0), at(1000))->empty());
  EXPECT_EQ(again->recordings("door", at(0), at(1000))->size(), 1u);
  EXPECT_TRUE(check().problems.empty());
}

TEST_F(RetentionTest, AMinimumFreeLargerThanTheDiskKeepsAnEighthOfItFreeInsteadOfEmptyingIt) {
  writeTwoStreams();
  struct statvfs st {};
  ASSERT_EQ(::statvfs(dir_.c_str(), &st), 0);
  if (st.f_bavail < st.f_blocks / 8 * 2) GTEST_SKIP() << "the disk under the test is too full to tell";
  auto o = options();
  o.dirLimits["recordings"] = {.maxBytes = 0, .minFreeBytes = uint64_t{1} << 62};  // more than any disk
  auto store = open(o);
  store->stop();
  EXPECT_EQ(store->stats().recordingsDeleted, 0u);
  EXPECT_FALSE(store->stats().storageFull);  // only a failed write sets it
  EXPECT_EQ(rows().size(), 4u);
  EXPECT_TRUE(check().problems.empty());
}

TEST_F(RetentionTest, RunsWhileRecording) {
  auto o = options();
  o.writer.maxBytes = 1;  // every sealed recording goes at the next commit
  auto store = open(o);
  feed(*store, "gate", 0, 70 * kFps);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (store->stats().recordingsDeleted == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_GT(store->stats().recordingsDeleted, 0u);
  feed(*store, "gate", 70 * kFps, 80 * kFps);
  store->stop();
  // The open recording was never a candidate; stop() seals it, and the
  // next pass (here: the next open) would delete it. With so little room
  // every recording is one GOP (Disk full in design/STORAGE.md).
  auto recs = store->recordings("gate", at(0), at(1000));
  ASSERT_TRUE(recs.isOk());
  ASSERT_FALSE(recs->empty());
  for (const auto& r : *recs) EXPECT_EQ(r.mediaDuration, kGop * 90000 / kFps);
  EXPECT_EQ(recs->back().end, at(80));
  EXPECT_TRUE(check().problems.empty());
}

TEST_F(RetentionTest, LittleRoomSealsRecordingsEarlySoRetentionKeepsTheNewestVideo) {
  // Room for about 20 s: recordings are sealed at a GOP (2 s) instead of
  // 60 s, and retention deletes the oldest of them, not everything.
  constexpr uint64_t kRoom = 110'000;
  auto o = options();
  o.writer.maxBytes = kRoom;
  auto store = open(o);
  feed(*store, "gate", 0, 100 * kFps);
  store->stop();
  auto again = open(o);  // applies the limit to what stop() committed last
  again->stop();
  EXPECT_LE(again->stats().bytesUsed, kRoom);
  auto recs = again->recordings("gate", at(0), at(1000));
  ASSERT_TRUE(recs.isOk());
  ASSERT_GE(recs->size(), 5u);
  for (const auto& r : *recs) EXPECT_LE(r.mediaDuration, 2 * kGop * 90000 / kFps);
  EXPECT_EQ(recs->back().end, at(100));
  EXPECT_GE(recs->back().end - recs->front().start, std::chrono::seconds(14));
  for (size_t i = 1; i < recs->size(); ++i) EXPECT_EQ((*recs)[i].start, (*recs)[i - 1].end);
  EXPECT_TRUE(check().problems.empty());
}

TEST_F(RetentionTest, ACrashBetweenAnyTwoDeletionStepsRecoversClean) {
  // After step 1, in the middle of step 2, after 2, after 3: what a crash
  // leaves there is a consistent state for check, and recovery finishes it.
  for (int crashAfter : {10, 15, 20, 30}) {
    SCOPED_TRACE(crashAfter);
    fs::remove_all(dir_);
    writeTwoStreams();
    const auto before = rows();
    const std::vector<int64_t> ids{before[0].id, before[1].id};
    {
      auto d = db();
      const int dirFd = ::open((dir_ / "recordings").c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      ASSERT_GE(dirFd, 0);
      ASSERT_TRUE(markForDeletion(*d, ids).isOk());
      if (crashAfter >= 15) ASSERT_TRUE(unlinkSampleFiles(dirFd, std::span(ids).first(1)).isOk());
      if (crashAfter >= 20) ASSERT_TRUE(unlinkSampleFiles(dirFd, ids).isOk());
      if (crashAfter >= 30) ASSERT_TRUE(syncDirectory(dirFd).isOk());
      ::close(dirFd);
    }
    // Before recovery: no row points at a missing file, and the files
    // still present are listed as garbage, not orphans.
    const auto pending = check();
    EXPECT_TRUE(pending.problems.empty()) << pending.problems.front();
    EXPECT_EQ(pending.recordings, 2);

    auto store = open(options());
    EXPECT_EQ(store->recoveryReports()[0].deletionsFinished, 2);
    store->stop();
    EXPECT_FALSE(fileExists(ids[0]));
    EXPECT_FALSE(fileExists(ids[1]));
    EXPECT_TRUE(db()->garbage()->empty());
    EXPECT_EQ(rows().size(), 2u);
    EXPECT_TRUE(check().problems.empty());
    // New recordings are numbered above the deleted ones.
    auto more = open(options());
    feed(*more, "yard", 0, 4 * kFps);
    more->stop();
    EXPECT_GT(rows().back().id, before.back().id);
  }
}

TEST_F(StoreTest, TwoStorageDirectoriesShareTheStreamsAndRecoverEach) {
  auto o = options();
  o.dirs = {"disk-a", "disk-b"};
  const std::vector<std::string> streams{"s1", "s2", "s3", "s4"};
  {
    auto store = open(o);
    for (const auto& s : streams) feed(*store, s, 0, 70 * kFps);
    const auto status = store->dirStatus();
    ASSERT_EQ(status.size(), 2u);
    EXPECT_EQ(status[0].path, (dir_ / "disk-a").string());
    store->stop();
    EXPECT_EQ(store->dirStatus()[0].stats.samplesWritten, 2u * 70 * kFps);
    EXPECT_EQ(store->dirStatus()[1].stats.samplesWritten, 2u * 70 * kFps);
  }
  // Each stream's recordings are in one directory, two streams each.
  std::map<std::string, std::string> home;
  for (const char* dir : {"disk-a", "disk-b"}) {
    auto d = IndexDb::open((dir_ / dir / kIndexFileName).string());
    ASSERT_TRUE(d.isOk());
    auto names = (*d)->streams();
    ASSERT_TRUE(names.isOk());
    EXPECT_EQ(names->size(), 2u) << dir;
    for (const auto& s : *names) EXPECT_TRUE(home.emplace(s, dir).second) << s;
  }
  EXPECT_EQ(home.size(), 4u);
  // A torn tail in one recording of each directory, as a crash leaves it.
  for (const char* dir : {"disk-a", "disk-b"}) {
    auto d = IndexDb::open((dir_ / dir / kIndexFileName).string());
    auto rows = (*d)->allRecordings();
    ASSERT_TRUE(rows.isOk());
    std::ofstream(dir_ / dir / sampleFileName(rows->back().id), std::ios::app | std::ios::binary) << "torn";
  }
  EXPECT_EQ(check().problems.size(), 2u);
  auto store = open(o);
  ASSERT_EQ(store->recoveryReports().size(), 2u);
  for (const auto& r : store->recoveryReports()) EXPECT_EQ(r.bytesTruncated, 4u);
  // After recovery every stream plays from both directories' indexes and
  // keeps recording into its own directory.
  for (const auto& s : streams) feed(*store, s, 0, 10 * kFps, /*shift=*/100);
  store->stop();
  for (const auto& s : streams) {
    auto recs = store->recordings(s, at(0), at(1000));
    ASSERT_TRUE(recs.isOk());
    EXPECT_EQ(recs->size(), 3u) << s;  // 0..60, 60..70, 100..110
    auto plan = store->plan(s, at(0), at(200));
    ASSERT_TRUE(plan.isOk());
    EXPECT_EQ(plan->frames, 80u * kFps);
    EXPECT_EQ(fs::path(plan->segments.back().samplePath).parent_path(), dir_ / home[s]);
  }
  const auto report = check();
  EXPECT_EQ(report.dirs.size(), 2u);
  EXPECT_EQ(report.recordings, 12);
  EXPECT_TRUE(report.problems.empty()) << report.problems.front();
}

}  // namespace
}  // namespace vigil::storage

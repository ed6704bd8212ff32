#include "media/hls.h"

#include <gtest/gtest.h>
#include <fmt/format.h>

#include <algorithm>

namespace vigil::media {
namespace {

const Bytes kSps = {0x67, 0x64, 0x00, 0x0b, 0xac, 0xd9, 0x42, 0x84, 0x7e, 0x5c, 0x04, 0x40, 0x00,
                    0x00, 0x03, 0x00, 0x40, 0x00, 0x00, 0x0c, 0x83, 0xc5, 0x0a, 0x65, 0x80};

std::shared_ptr<const VideoParameters> params(uint8_t ppsVariant) {
  auto p = std::make_shared<VideoParameters>();
  p->sps = {kSps};
  p->pps = {{0x68, 0xef, 0x8f, 0xcb, ppsVariant}};
  p->width = 160;
  p->height = 120;
  return p;
}

constexpr int64_t kT0 = 1'800'000'000'000'000;  // 2027-01-15T08:00:00Z

// Frame i of a 25 fps stream with a keyframe every `gop` frames.
std::shared_ptr<const Frame> frame(int64_t i, std::shared_ptr<const VideoParameters> p, int gop = 25, size_t bytes = 100) {
  auto f = std::make_shared<Frame>();
  f->pts = MediaTime(i * 3600);
  f->captureTime = WallTime::fromUnixMicros(kT0 + i * 40000);
  f->keyframe = i % gop == 0;
  f->data.assign(bytes, 0);
  f->params = std::move(p);
  return f;
}

std::string segmentUri(uint64_t n) { return fmt::format("live/{}.m4s", n); }
std::string initUri(uint64_t n) { return fmt::format("live/init{}.mp4", n); }

TEST(HlsVod, RendersEverySegmentWithMapsAndDiscontinuities) {
  const WallTime t0 = WallTime::fromUnixMicros(kT0);
  const HlsSegment segments[] = {
      {MediaDuration(180000), "0.m4s", "init0.mp4", false, t0},
      {MediaDuration(172800), "1.m4s", "init0.mp4", false, t0 + std::chrono::seconds(2)},
      {MediaDuration(90000), "2.m4s", "init1.mp4", true, t0 + std::chrono::seconds(60)},
  };
  EXPECT_EQ(renderVodPlaylist(segments),
            "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:0\n"
            "#EXT-X-PLAYLIST-TYPE:VOD\n#EXT-X-INDEPENDENT-SEGMENTS\n"
            "#EXT-X-MAP:URI=\"init0.mp4\"\n"
            "#EXT-X-PROGRAM-DATE-TIME:2027-01-15T08:00:00Z\n#EXTINF:2.000,\n0.m4s\n"
            "#EXT-X-PROGRAM-DATE-TIME:2027-01-15T08:00:02Z\n#EXTINF:1.920,\n1.m4s\n"
            "#EXT-X-DISCONTINUITY\n#EXT-X-MAP:URI=\"init1.mp4\"\n"
            "#EXT-X-PROGRAM-DATE-TIME:2027-01-15T08:01:00Z\n#EXTINF:1.000,\n2.m4s\n"
            "#EXT-X-ENDLIST\n");
}

TEST(HlsLive, SegmentsAreWholeGopsOfTheTargetAndTheWindowSlides) {
  HlsLiveWindow window;  // 1 s target, 5 listed, 2 retained
  const auto p = params(0);
  EXPECT_EQ(window.listedSegments(), 0u);
  for (int64_t i = 0; i < 25 * 10 + 1; ++i) window.push(frame(i, p), false);  // 10 s and a keyframe
  EXPECT_EQ(window.listedSegments(), 5u);
  const std::string m3u8 = window.playlist(segmentUri, initUri);
  EXPECT_NE(m3u8.find("#EXT-X-TARGETDURATION:1\n#EXT-X-MEDIA-SEQUENCE:5\n"), std::string::npos) << m3u8;
  EXPECT_NE(m3u8.find("#EXT-X-MAP:URI=\"live/init1.mp4\"\n#EXT-X-PROGRAM-DATE-TIME:2027-01-15T08:00:05Z\n"
                      "#EXTINF:1.000,\nlive/5.m4s\n"),
            std::string::npos)
      << m3u8;
  EXPECT_NE(m3u8.find("live/9.m4s\n"), std::string::npos);
  EXPECT_EQ(m3u8.find("DISCONTINUITY"), std::string::npos);
  EXPECT_EQ(m3u8.find("ENDLIST"), std::string::npos);
  // Two more are retained for clients on an older playlist; older ones go.
  EXPECT_EQ(window.segment(2), nullptr);
  ASSERT_NE(window.segment(3), nullptr);
  EXPECT_EQ(window.segment(10), nullptr);  // still being built
  auto seg = window.segment(9);
  ASSERT_NE(seg, nullptr);
  EXPECT_EQ(seg->video.frames.size(), 25u);
  EXPECT_TRUE(seg->video.frames.front()->keyframe);
  EXPECT_EQ(seg->video.baseDecodeTime, 9u * 90000);  // continuous decode times
  EXPECT_NE(window.init(1), nullptr);
}

TEST(HlsLive, LongGopsMakeLongerSegmentsAndTheTargetFollows) {
  HlsLiveWindow window;
  const auto p = params(0);
  for (int64_t i = 0; i < 75 * 3 + 1; ++i) window.push(frame(i, p, 75), false);  // 3 s GOPs
  const std::string m3u8 = window.playlist(segmentUri, initUri);
  EXPECT_NE(m3u8.find("#EXT-X-TARGETDURATION:3\n"), std::string::npos) << m3u8;
  EXPECT_NE(m3u8.find("#EXTINF:3.000,\nlive/2.m4s\n"), std::string::npos) << m3u8;
}

TEST(HlsLive, NewParametersBringAnInitSegmentAndADiscontinuity) {
  HlsLiveWindow window;
  for (int64_t i = 0; i < 60; ++i) window.push(frame(i, params(0)), false);  // equal, not the same pointer
  for (int64_t i = 60; i < 176; ++i) window.push(frame(i, params(1)), false);
  // 0, 1 and 2 (frames 50-59, cut short) have the first parameters; 3 to 6
  // start at frame 75, the first keyframe with the new ones.
  std::string m3u8 = window.playlist(segmentUri, initUri);
  EXPECT_EQ(window.segment(2)->video.frames.size(), 10u);
  EXPECT_EQ(window.segment(3)->video.frames.front()->pts, MediaTime(75 * 3600));
  EXPECT_NE(m3u8.find("#EXT-X-MEDIA-SEQUENCE:2\n#EXT-X-INDEPENDENT-SEGMENTS\n#EXT-X-MAP:URI=\"live/init1.mp4\"\n"),
            std::string::npos)
      << m3u8;
  EXPECT_NE(m3u8.find("live/2.m4s\n#EXT-X-DISCONTINUITY\n#EXT-X-MAP:URI=\"live/init2.mp4\"\n"), std::string::npos)
      << m3u8;
  // Once segment 3 has left the playlist its discontinuity is counted,
  // and the first init segment, needed by no segment held, is gone.
  for (int64_t i = 176; i < 301; ++i) window.push(frame(i, params(1)), false);
  m3u8 = window.playlist(segmentUri, initUri);
  EXPECT_NE(m3u8.find("#EXT-X-MEDIA-SEQUENCE:7\n#EXT-X-DISCONTINUITY-SEQUENCE:1\n"), std::string::npos) << m3u8;
  EXPECT_EQ(m3u8.find("#EXT-X-DISCONTINUITY\n"), std::string::npos) << m3u8;
  EXPECT_EQ(window.init(1), nullptr);
  EXPECT_NE(window.init(2), nullptr);
}

TEST(HlsLive, RestartIsADiscontinuityAndWaitsForAKeyframe) {
  HlsLiveWindow window;
  const auto p = params(0);
  for (int64_t i = 0; i < 40; ++i) window.push(frame(i, p), false);
  // The camera reconnects: its clock starts elsewhere, mid-GOP.
  for (int64_t i = 0; i < 60; ++i) {
    auto f = std::const_pointer_cast<Frame>(frame(i + 10, p));
    f->pts = MediaTime(900000 + i * 3600);
    window.push(f, i == 0);
  }
  const std::string m3u8 = window.playlist(segmentUri, initUri);
  // 0: frames 0-24; 1: 25-39 (last duration estimated); 2: from frame 15
  // of the new run (its first keyframe), after a discontinuity.
  EXPECT_NE(m3u8.find("#EXTINF:0.600,\nlive/1.m4s\n#EXT-X-DISCONTINUITY\n#EXT-X-PROGRAM-DATE-TIME:"), std::string::npos)
      << m3u8;
  ASSERT_NE(window.segment(2), nullptr);
  EXPECT_TRUE(window.segment(2)->video.frames.front()->keyframe);
  EXPECT_EQ(window.segment(2)->video.baseDecodeTime, 40u * 3600);
  EXPECT_EQ(m3u8.find("init2"), std::string::npos);  // same parameters, same init segment
}

TEST(HlsLive, ASegmentPastItsByteBoundIsDropped) {
  HlsLiveWindow window({.maxSegmentBytes = 1000});
  const auto p = params(0);
  for (int64_t i = 0; i < 100; ++i) window.push(frame(i, p, 25, i < 50 ? 30 : 100), false);
  // 0: frames 0-24 (750 bytes); 25-49 likewise; then frames of 100 bytes
  // overflow at the 11th and wait for the next keyframe.
  EXPECT_NE(window.segment(1), nullptr);
  EXPECT_EQ(window.segment(2), nullptr);
  const std::string m3u8 = window.playlist(segmentUri, initUri);
  EXPECT_EQ(window.listedSegments(), 2u) << m3u8;
}

TEST(HlsLive, OnlyInitSegmentsInUseAreKept) {
  HlsLiveWindow window;
  // New parameters on every frame: each keyframe makes a one-frame segment.
  for (int64_t i = 1; i < 200; ++i) window.push(frame(i, params(static_cast<uint8_t>(i))), false);
  EXPECT_EQ(window.segment(6)->video.frames.front()->pts, MediaTime(175 * 3600));
  EXPECT_NE(window.init(175), nullptr);  // segment 6's
  EXPECT_EQ(window.init(176), nullptr);
  EXPECT_EQ(window.init(198), nullptr);
  EXPECT_NE(window.init(199), nullptr);  // the latest parameters'
}

TEST(HlsLive, FramesWithoutUsableParametersAreDropped) {
  HlsLiveWindow window;
  auto bad = std::make_shared<VideoParameters>();
  bad->sps = {{0x67}};
  for (int64_t i = 0; i < 60; ++i) window.push(frame(i, bad), false);
  EXPECT_EQ(window.listedSegments(), 0u);
  EXPECT_EQ(window.init(1), nullptr);
}

std::shared_ptr<const AudioParameters> aacParams() {
  return std::make_shared<const AudioParameters>(
      AudioParameters{AudioCodec::kAac, 16000, 1, aacLcAudioSpecificConfig(16000, 1)});
}

// 16 kHz AAC frame j (1024 samples: 5760 ticks), on the clock of frame().
std::shared_ptr<const Frame> aacFrame(int64_t j, std::shared_ptr<const AudioParameters> p, int64_t shift = 0) {
  auto f = std::make_shared<Frame>();
  f->pts = MediaTime(j * 5760 + shift);
  f->captureTime = WallTime::fromUnixMicros(kT0 + j * 64000);
  f->keyframe = true;
  f->data.assign(50, static_cast<uint8_t>(j));
  f->audio = std::move(p);
  return f;
}

// Video 25 fps with a keyframe a second; each AAC frame is pushed once it
// is complete (its last sample captured) after the video of that time, so
// the frames that start before a keyframe come after it.
TEST(HlsLive, AudioIsASecondTrackOfEverySegmentEveryFrameOnceFollowingOn) {
  HlsLiveWindow window;
  const auto aac = aacParams();
  window.setAudio(aac);
  const auto p = params(0);
  int64_t j = 0;
  for (int64_t i = 0; i < 25 * 8 + 1; ++i) {
    window.push(frame(i, p), false);
    // Jitter of up to 5 ms either way in the audio's pts.
    for (; (j + 1) * 5760 <= i * 3600; ++j) window.pushAudio(aacFrame(j, aac, (j % 3 - 1) * 450), false);
  }
  const auto init = window.init(1);
  ASSERT_NE(init, nullptr);
  EXPECT_NE(std::search(init->begin(), init->end(), std::begin("mp4a"), std::end("mp4a") - 1), init->end());
  // 8 segments of a second, each with its audio fragment, the audio's
  // frames all there once in order, its decode times following on exactly.
  int64_t next = 0;
  uint64_t audioEnd = 0;
  for (uint64_t n = 1; n < 8; ++n) {
    auto seg = window.segment(n);
    ASSERT_NE(seg, nullptr) << n;
    ASSERT_TRUE(seg->audio) << n;
    if (n == 1) next = static_cast<int64_t>(seg->audio->frames.front()->captureTime.unixMicros() - kT0) / 64000;
    if (n > 1) EXPECT_EQ(seg->audio->baseDecodeTime, audioEnd) << n;
    for (const auto& f : seg->audio->frames) EXPECT_EQ(f->captureTime.unixMicros(), kT0 + next++ * 64000) << n;
    audioEnd = seg->audio->baseDecodeTime + seg->audio->duration;
    // The audio lies with its video: it starts before it by at most what
    // had not arrived when the segment closed (an AAC frame completes up
    // to a video frame after the keyframe that closes it).
    const auto lead = static_cast<int64_t>(seg->video.baseDecodeTime) - static_cast<int64_t>(seg->audio->baseDecodeTime);
    EXPECT_GE(lead, 0) << n;
    EXPECT_LE(lead, 5760 + 3600 + 450) << n;
    EXPECT_EQ(seg->contiguous().size(), seg->video.size() + seg->audio->size());
  }
  // Segment 7 ends at 8 s; the audio carried ends within a frame of it.
  EXPECT_NEAR(static_cast<double>(audioEnd), 8 * 90000.0, 5760 + 450);
  // A window without audio has no audio track nor fragment.
  HlsLiveWindow mute;
  for (int64_t i = 0; i < 60; ++i) {
    mute.push(frame(i, p), false);
    mute.pushAudio(aacFrame(i, aac), false);
  }
  ASSERT_NE(mute.segment(1), nullptr);
  EXPECT_FALSE(mute.segment(1)->audio);
}

// A restart drops the audio waiting: its pts are of the stream before.
TEST(HlsLive, ARestartDropsTheAudioWaiting) {
  HlsLiveWindow window;
  const auto aac = aacParams();
  window.setAudio(aac);
  const auto p = params(0);
  for (int64_t i = 0; i < 30; ++i) window.push(frame(i, p), false);
  for (int64_t j = 0; j < 30; ++j) window.pushAudio(aacFrame(j, aac, 900000), false);  // from 10 s on
  // The camera reconnected; its new clock has the old audio's pts at 10 s.
  for (int64_t i = 250; i < 310; ++i) window.push(frame(i, p), i == 250);
  ASSERT_NE(window.segment(2), nullptr);
  EXPECT_EQ(window.segment(2)->video.frames.front()->pts, MediaTime(900000));
  EXPECT_FALSE(window.segment(2)->audio);
}

}  // namespace
}  // namespace vigil::media

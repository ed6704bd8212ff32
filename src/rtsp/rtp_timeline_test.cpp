#include "rtsp/rtp_timeline.h"

#include <gtest/gtest.h>

namespace vigil::rtsp {
namespace {

using media::Bytes;
using std::chrono::milliseconds;
using std::chrono::microseconds;
using Steady = std::chrono::steady_clock;

TEST(RtpTimestampUnwrapper, WrapsForwardAndBackward) {
  RtpTimestampUnwrapper u;
  EXPECT_EQ(u.unwrap(0xfffff000), 0xfffff000);
  EXPECT_EQ(u.unwrap(0x00000800), 0x100000800);  // wrapped forward
  EXPECT_EQ(u.unwrap(0xffffff00), 0xffffff00);   // a little back, across the wrap
  EXPECT_EQ(u.nearest(0x10), 0x100000010);
  EXPECT_EQ(u.unwrap(0x7fffff00), 0x7fffff00);
  RtpTimestampUnwrapper v;
  EXPECT_EQ(v.unwrap(100), 100);
  EXPECT_EQ(v.unwrap(50), 50);
  EXPECT_EQ(v.unwrap(0xfffffff0), -16);  // before the first one
}

Bytes rtp(uint16_t seq, uint32_t ts = 0) {
  Bytes p(12 + 4, 0xab);
  RtpHeader h;
  h.sequence = seq;
  h.timestamp = ts;
  writeRtpHeader(p.data(), h);
  return p;
}

std::vector<uint16_t> drain(ReorderBuffer& b, Steady::time_point now) {
  std::vector<uint16_t> out;
  while (auto p = b.pop(now)) {
    out.push_back(p->rtp.header.sequence);
    EXPECT_EQ(p->rtp.payload.size(), 4u);
    EXPECT_EQ(p->rtp.payload.data(), p->datagram.data() + 12);  // the view follows the bytes
  }
  return out;
}

TEST(ReorderBuffer, PutsPacketsBackInOrder) {
  ReorderBuffer b;
  const Steady::time_point t0{};
  EXPECT_TRUE(b.push(rtp(10), t0));
  EXPECT_EQ(drain(b, t0), (std::vector<uint16_t>{10}));
  EXPECT_TRUE(b.push(rtp(12), t0));
  EXPECT_TRUE(b.push(rtp(13), t0));
  EXPECT_TRUE(drain(b, t0).empty());  // waiting for 11
  EXPECT_EQ(b.deadline(), t0 + milliseconds(100));
  EXPECT_TRUE(b.push(rtp(11), t0 + milliseconds(5)));
  EXPECT_EQ(drain(b, t0 + milliseconds(5)), (std::vector<uint16_t>{11, 12, 13}));
  EXPECT_FALSE(b.deadline().has_value());
  EXPECT_FALSE(b.push(rtp(12), t0));  // duplicate of a released one
  EXPECT_EQ(b.counters().late, 1u);
  EXPECT_EQ(b.counters().skipped, 0u);
}

TEST(ReorderBuffer, GivesUpOnAGapAfterTheDelay) {
  ReorderBuffer b;
  const Steady::time_point t0{};
  b.push(rtp(65534), t0);
  drain(b, t0);
  b.push(rtp(1), t0);  // 65535 and 0 missing, across the wrap
  EXPECT_TRUE(drain(b, t0 + milliseconds(99)).empty());
  EXPECT_EQ(drain(b, t0 + milliseconds(100)), (std::vector<uint16_t>{1}));
  EXPECT_EQ(b.counters().skipped, 2u);
  EXPECT_FALSE(b.push(rtp(0), t0));  // too late now
}

TEST(ReorderBuffer, GivesUpWhenFull) {
  ReorderBuffer b(ReorderBuffer::Options{4, milliseconds(1000)});
  const Steady::time_point t0{};
  b.push(rtp(1), t0);
  drain(b, t0);
  for (uint16_t s = 3; s <= 6; ++s) b.push(rtp(s), t0);
  EXPECT_TRUE(drain(b, t0).empty());
  b.push(rtp(7), t0);  // a fifth held packet
  EXPECT_EQ(drain(b, t0), (std::vector<uint16_t>{3, 4, 5, 6, 7}));
  EXPECT_EQ(b.counters().skipped, 1u);
}

TEST(ReorderBuffer, ResyncsOnASenderRestart) {
  ReorderBuffer b;
  const Steady::time_point t0{};
  b.push(rtp(100), t0);
  drain(b, t0);
  b.push(rtp(102), t0);
  EXPECT_TRUE(b.push(rtp(30000), t0));
  EXPECT_EQ(drain(b, t0), (std::vector<uint16_t>{30000}));
  EXPECT_EQ(b.counters().resyncs, 1u);
  EXPECT_FALSE(b.push(Bytes{1, 2, 3}, t0));
  EXPECT_EQ(b.counters().malformed, 1u);
}

WallTime at(int64_t ms) { return WallTime::fromUnixMicros(1'790'000'000'000'000 + ms * 1000); }

StreamTimeline::Options video() {
  StreamTimeline::Options o;
  o.name = "cam/main";
  return o;
}

TEST(StreamTimeline, PtsFollowsTheRtpClockAcrossTheWrap) {
  StreamTimeline t(video());
  uint32_t ts = 0xffffffff - 3600 * 2;
  int64_t first = 0;
  for (int i = 0; i < 5; ++i) {
    auto r = t.onFrame(ts, at(i * 40));
    if (i == 0) first = r.pts.ticks();
    EXPECT_EQ(r.pts.ticks() - first, i * 3600);
    EXPECT_FALSE(r.discontinuity);
    EXPECT_EQ(r.captureTime, at(i * 40));  // arrival, steady
    ts += 3600;
  }
  EXPECT_EQ(t.counters().jumps, 0u);
}

TEST(StreamTimeline, OtherClockRatesScaleTo90kHz) {
  StreamTimeline::Options o;
  o.clockRate = 8000;
  StreamTimeline t(o);
  auto a = t.onFrame(1000, at(0));
  auto b = t.onFrame(1160, at(20));  // 160 samples = 20 ms = 1800 ticks
  EXPECT_EQ((b.pts - a.pts).ticks(), 1800);
}

TEST(StreamTimeline, CaptureTimeIgnoresJitterAndReanchorsOnEarlierArrival) {
  StreamTimeline t(video());
  t.onFrame(0, at(0) + milliseconds(30));               // the first frame came late
  auto b = t.onFrame(3600, at(40) + milliseconds(50));  // jitter
  EXPECT_EQ(b.captureTime, at(40) + milliseconds(30));
  auto c = t.onFrame(7200, at(80));  // earlier than predicted: new anchor
  EXPECT_EQ(c.captureTime, at(80));
  auto d = t.onFrame(10800, at(120) + milliseconds(20));
  EXPECT_EQ(d.captureTime, at(120));
}

TEST(StreamTimeline, SenderReportGivesCaptureTime) {
  StreamTimeline t(video());
  t.onFrame(90000, at(0));
  // The camera says RTP 90000 was at at(-200) (200 ms of latency).
  t.onSenderReport((at(-200)).toNtp(), 90000, at(10));
  auto r = t.onFrame(90000 + 9000, at(100));
  EXPECT_TRUE(r.fromSenderReport);
  EXPECT_LE(std::abs((r.captureTime - at(-100)).count()), 1);
  EXPECT_EQ(t.counters().senderReports, 1u);
}

TEST(StreamTimeline, ImplausibleSenderReportIsIgnored) {
  StreamTimeline t(video());
  t.onFrame(0, at(0));
  t.onSenderReport(WallTime::fromUnixMicros(0).toNtp(), 0, at(10));  // a camera clock at 1970
  auto r = t.onFrame(3600, at(40));
  EXPECT_FALSE(r.fromSenderReport);
  EXPECT_EQ(r.captureTime, at(40));
  EXPECT_EQ(t.counters().senderReportsIgnored, 1u);
}

TEST(StreamTimeline, BackwardJumpKeepsPtsIncreasing) {
  StreamTimeline t(video());
  auto a = t.onFrame(1'000'000, at(0));
  auto b = t.onFrame(1'003'600, at(40));
  auto c = t.onFrame(5, at(80));  // camera restarted its clock
  auto d = t.onFrame(3605, at(120));
  EXPECT_FALSE(b.discontinuity);
  EXPECT_TRUE(c.discontinuity);
  EXPECT_FALSE(d.discontinuity);
  EXPECT_GT(c.pts, b.pts);
  EXPECT_EQ((c.pts - b.pts).ticks(), 3600);  // the 40 ms that passed
  EXPECT_EQ((d.pts - c.pts).ticks(), 3600);
  EXPECT_GT(b.pts, a.pts);
  EXPECT_EQ(t.counters().jumps, 1u);
}

TEST(StreamTimeline, ForwardJumpButNotAfterSilence) {
  StreamTimeline t(video());
  t.onFrame(0, at(0));
  // 60 s later by the RTP clock, only 40 ms by arrival: a jump.
  auto b = t.onFrame(90000 * 60, at(40));
  EXPECT_TRUE(b.discontinuity);
  // 20 s of silence on both clocks: not a jump.
  auto c = t.onFrame(90000 * 80, at(20040));
  EXPECT_FALSE(c.discontinuity);
  EXPECT_EQ((c.pts - b.pts).ticks(), 90000 * 20);
  EXPECT_EQ(t.counters().jumps, 1u);
}

// x264's default GOP in decode order: I0 P3 B1 B2 P6 B4 B5 ..., 25 fps.
TEST(StreamTimeline, BFramesAreReorderingNotJumps) {
  StreamTimeline t(video());
  const int order[] = {0, 3, 1, 2, 6, 4, 5, 9, 7, 8, 12, 10, 11, 15, 13, 14};
  std::vector<int64_t> pts;
  for (size_t i = 0; i < std::size(order); ++i) {
    auto r = t.onFrame(static_cast<uint32_t>(90000 + order[i] * 3600), at(static_cast<int64_t>(i) * 40));
    EXPECT_FALSE(r.discontinuity) << i;
    pts.push_back(r.pts.ticks());
  }
  EXPECT_EQ(t.counters().jumps, 0u);
  EXPECT_EQ(t.counters().reorderDepth, 1);
  for (size_t i = 1; i < pts.size(); ++i) EXPECT_GT(pts[i], pts[i - 1]) << i;
  // Once the depth is known, decode times step by one frame, one frame
  // behind the presentation times.
  for (size_t i = 6; i < pts.size(); ++i) EXPECT_EQ(pts[i] - pts[i - 1], 3600) << i;
  EXPECT_EQ(pts.back() - pts.front(), 14 * 3600);
}

TEST(StreamTimeline, BPyramidNeedsTwoPictures) {
  StreamTimeline t(video());
  // I0 P4 B2 b1 b3 P8 B6 b5 b7 ...
  std::vector<int> order{0};
  for (int g = 0; g < 6; ++g) {
    for (int d : {4, 2, 1, 3}) order.push_back(g * 4 + d);
  }
  std::vector<int64_t> pts;
  for (size_t i = 0; i < order.size(); ++i) {
    auto r = t.onFrame(static_cast<uint32_t>(order[i] * 3600), at(static_cast<int64_t>(i) * 40));
    EXPECT_FALSE(r.discontinuity) << i;
    pts.push_back(r.pts.ticks());
  }
  EXPECT_EQ(t.counters().reorderDepth, 2);
  for (size_t i = 1; i < pts.size(); ++i) EXPECT_GT(pts[i], pts[i - 1]) << i;
  for (size_t i = 10; i < pts.size(); ++i) EXPECT_EQ(pts[i] - pts[i - 1], 3600) << i;
}

TEST(StreamTimeline, BackwardsFurtherThanReorderingIsAJump) {
  StreamTimeline t(video());
  t.onFrame(900000, at(0));
  t.onFrame(900000 + 3600, at(40));
  auto c = t.onFrame(900000 - 90000 - 3600, at(80));  // 1.04 s back
  EXPECT_TRUE(c.discontinuity);
  EXPECT_EQ(t.counters().reorderDepth, 0);
}

// A source looping its clip steps back by less than the reorder bound, but
// before every picture it sent: a jump, and no reordering learnt.
TEST(StreamTimeline, ShortStepBackBeforeEveryPictureIsAJump) {
  StreamTimeline t(video());
  for (int i = 0; i < 20; ++i) t.onFrame(static_cast<uint32_t>(900000 + i * 3600), at(i * 40));
  auto r = t.onFrame(900000 + 19 * 3600 - 81000, at(800));  // 0.9 s back
  EXPECT_TRUE(r.discontinuity);
  EXPECT_EQ(t.counters().reorderDepth, 0);
  EXPECT_EQ(t.counters().jumps, 1u);
}

// Joined mid-GOP (UDP): the first picture is a P, the B-frames that follow
// are presented before it. B-pyramid: P4 B2 b1 b3 P8 B6 b5 b7 ...
TEST(StreamTimeline, JoiningMidGopIsNotAJump) {
  StreamTimeline t(video());
  std::vector<int> order;
  for (int g = 1; g < 6; ++g) {
    for (int d : {0, -2, -3, -1}) order.push_back(g * 4 + d);
  }
  std::vector<int64_t> pts;
  for (size_t i = 0; i < order.size(); ++i) {
    auto r = t.onFrame(static_cast<uint32_t>(90000 + order[i] * 3600), at(static_cast<int64_t>(i) * 40));
    EXPECT_FALSE(r.discontinuity) << i;
    pts.push_back(r.pts.ticks());
  }
  EXPECT_EQ(t.counters().jumps, 0u);
  for (size_t i = 1; i < pts.size(); ++i) EXPECT_GT(pts[i], pts[i - 1]) << i;
}

TEST(StreamTimeline, EqualTimestampsStillIncrease) {
  StreamTimeline t(video());
  auto a = t.onFrame(500, at(0));
  auto b = t.onFrame(500, at(1));
  EXPECT_GT(b.pts, a.pts);
  EXPECT_FALSE(b.discontinuity);
  EXPECT_EQ(t.counters().reorderDepth, 0);
}

// Video at 90 kHz and audio at 16 kHz, both with sender reports mapping
// their (different, random) RTP bases to one wall clock: an audio frame
// captured 40 ms after a video frame gets that frame's pts + 3600.
TEST(AudioOnVideoClock, SenderReportsPutAudioOnTheVideoClock) {
  const WallTime t0 = WallTime::fromUnixMicros(1'790'000'000'000'000);
  StreamTimeline video(StreamTimeline::Options{90000, "v"});
  StreamTimeline audio(StreamTimeline::Options{16000, "a"});
  video.onSenderReport(t0.toNtp(), 1'000'000, t0);
  audio.onSenderReport(t0.toNtp(), 555, t0);
  AudioOnVideoClock clock;
  EXPECT_FALSE(clock.map(t0, MediaDuration(5760), false)) << "no video yet";
  std::optional<MediaTime> firstAudio;
  for (int i = 0; i < 50; ++i) {
    // Video frame i at 25 fps; audio frames of 1024 samples as they come.
    const auto v = video.onFrame(1'000'000 + i * 3600, t0 + milliseconds(40 * i + 7));
    ASSERT_TRUE(v.fromSenderReport);
    clock.onVideo(v.pts, v.captureTime, i == 0);
    const auto a = audio.onFrame(555 + i * 1024, t0 + milliseconds(64 * i + 30));
    const auto m = clock.map(a.captureTime, MediaDuration(5760), a.discontinuity);
    ASSERT_TRUE(m);
    if (!firstAudio) {
      firstAudio = m->pts;
      EXPECT_TRUE(m->newSegment);
      // Audio sample 0 and video frame 0 were captured at the same instant.
      const auto v0 = v.pts;
      EXPECT_EQ(m->pts, v0);
    } else {
      EXPECT_FALSE(m->newSegment);
      // 1024 samples at 16 kHz are 5760 ticks, whatever the video frame was.
      EXPECT_NEAR(static_cast<double>((m->pts - *firstAudio).ticks()), 5760.0 * i, 1.0);
    }
  }
}

// Frames of 20 ms (1800 ticks) here.
TEST(AudioOnVideoClock, FollowsANewVideoSegmentAndCatchesUpWithoutTinyFrames) {
  const WallTime t0 = WallTime::fromUnixMicros(1'790'000'000'000'000);
  const MediaDuration kLength(1800);
  AudioOnVideoClock clock;
  clock.onVideo(MediaTime(1000), t0, true);
  auto a = clock.map(t0 + milliseconds(10), kLength, false);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->pts, MediaTime(1900));
  // Capture times moved back a little (a sender report): each frame gives
  // the one before at least half its length, not a tick (gstreamer's AAC
  // camera made ffmpeg see two frames at one time in an export), and the
  // frames catch up with the clock.
  auto b = clock.map(t0 + milliseconds(10) + microseconds(40), kLength, false);
  EXPECT_FALSE(b->newSegment);
  EXPECT_EQ(b->pts, MediaTime(1900 + 900));
  auto b2 = clock.map(t0 + milliseconds(29), kLength, false);
  EXPECT_EQ(b2->pts, MediaTime(1900 + 1800));
  auto b3 = clock.map(t0 + milliseconds(50), kLength, false);
  EXPECT_EQ(b3->pts, MediaTime(1000 + 4500)) << "caught up";
  // Far earlier: a new segment, where the clock says.
  auto c = clock.map(t0 + milliseconds(-500), kLength, false);
  EXPECT_TRUE(c->newSegment);
  EXPECT_EQ(c->pts, MediaTime(1000 - 45000));
  // The video restarts (a new segment, other pts): audio follows it.
  clock.onVideo(MediaTime(7), t0 + milliseconds(1000), true);
  auto d = clock.map(t0 + milliseconds(1020), kLength, false);
  EXPECT_TRUE(d->newSegment);
  EXPECT_EQ(d->pts, MediaTime(7 + 1800));
  EXPECT_TRUE(clock.map(t0 + milliseconds(1040), kLength, true)->newSegment) << "the audio clock jumped";
  EXPECT_FALSE(clock.map(t0 + milliseconds(1060), kLength, false)->newSegment);
}

}  // namespace
}  // namespace vigil::rtsp

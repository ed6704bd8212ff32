#include "media/fmp4.h"

#include <gtest/gtest.h>

#include <string_view>

namespace vigil::media {
namespace {

// libx264 High profile 160x120 (level 1.1) and libx265 Main 640x360
// (level 2.1) parameter sets.
const Bytes kH264Sps = {0x67, 0x64, 0x00, 0x0b, 0xac, 0xd9, 0x42, 0x84, 0x7e, 0x5c, 0x04, 0x40, 0x00,
                        0x00, 0x03, 0x00, 0x40, 0x00, 0x00, 0x0c, 0x83, 0xc5, 0x0a, 0x65, 0x80};
const Bytes kH264Pps = {0x68, 0xef, 0x8f, 0xcb, 0x00};
const Bytes kH265Vps = {0x40, 0x01, 0x0c, 0x01, 0xff, 0xff, 0x01, 0x60, 0x00, 0x00, 0x03, 0x00,
                        0x90, 0x00, 0x00, 0x03, 0x00, 0x00, 0x03, 0x00, 0x3f, 0x95, 0x98, 0x09};
const Bytes kH265Sps = {0x42, 0x01, 0x01, 0x01, 0x60, 0x00, 0x00, 0x03, 0x00, 0x90, 0x00, 0x00, 0x03, 0x00,
                        0x00, 0x03, 0x00, 0x3f, 0xa0, 0x05, 0x02, 0x01, 0x69, 0x65, 0x95, 0x9a, 0x49, 0x32,
                        0xbc, 0x05, 0xa0, 0x20, 0x00, 0x00, 0x03, 0x00, 0x20, 0x00, 0x00, 0x03, 0x03, 0x21};
const Bytes kH265Pps = {0x44, 0x01, 0xc1, 0x72, 0xb4, 0x62, 0x40};

VideoParameters h264() {
  VideoParameters p;
  p.sps = {kH264Sps};
  p.pps = {kH264Pps};
  p.width = 160;
  p.height = 120;
  return p;
}

VideoParameters h265() {
  VideoParameters p;
  p.codec = VideoCodec::kH265;
  p.vps = {kH265Vps};
  p.sps = {kH265Sps};
  p.pps = {kH265Pps};
  p.width = 640;
  p.height = 360;
  return p;
}

uint32_t be32(const Bytes& b, size_t at) {
  return uint32_t{b[at]} << 24 | uint32_t{b[at + 1]} << 16 | uint32_t{b[at + 2]} << 8 | b[at + 3];
}

// The offset of the box at `path` ("moof/traf/trun"), or npos. Walks
// containers by their sizes, so a wrong size anywhere fails the lookup.
size_t findBox(const Bytes& data, std::string_view path, size_t begin = 0, size_t end = std::string_view::npos) {
  end = std::min(end, data.size());
  const std::string_view head = path.substr(0, path.find('/'));
  for (size_t at = begin; at + 8 <= end;) {
    const uint32_t size = be32(data, at);
    if (size < 8 || at + size > end) return std::string_view::npos;
    if (std::string_view(reinterpret_cast<const char*>(&data[at + 4]), 4) == head) {
      if (head.size() == path.size()) return at;
      // sample entries and stsd have fields before their children
      const size_t skip = head == "stsd" ? 16 : head == "hvc1" || head == "avc1" ? 86 : 8;
      return findBox(data, path.substr(head.size() + 1), at + skip, at + size);
    }
    at += size;
  }
  return std::string_view::npos;
}

TEST(Fmp4Init, H264HasAvc1AndTrex) {
  auto init = fmp4InitSegment(h264());
  ASSERT_TRUE(init.isOk()) << init.status().toString();
  EXPECT_EQ(findBox(*init, "ftyp"), 0u);
  EXPECT_NE(findBox(*init, "moov/mvex/trex"), std::string_view::npos);
  const size_t avcc = findBox(*init, "moov/trak/mdia/minf/stbl/stsd/avc1/avcC");
  ASSERT_NE(avcc, std::string_view::npos);
  EXPECT_EQ((*init)[avcc + 9], 0x64);  // profile_idc
  // Everything is in boxes: the walk ends exactly at the end.
  EXPECT_EQ(findBox(*init, "moov") + be32(*init, findBox(*init, "moov")), init->size());
}

TEST(Fmp4Init, H265IsHvc1AndBadParametersAreErrors) {
  auto init = fmp4InitSegment(h265());
  ASSERT_TRUE(init.isOk()) << init.status().toString();
  EXPECT_NE(findBox(*init, "moov/trak/mdia/minf/stbl/stsd/hvc1/hvcC"), std::string_view::npos);
  VideoParameters broken = h265();
  broken.vps.clear();
  EXPECT_EQ(fmp4InitSegment(broken).status().code(), StatusCode::kFailedPrecondition);
  broken = h264();
  broken.sps = {{0x67, 0x64}};
  EXPECT_FALSE(fmp4InitSegment(broken).isOk());
}

TEST(CodecString, FromTheSps) {
  EXPECT_EQ(*codecString(h264()), "avc1.64000b");
  // Main (1), compatible with Main and Main 10 (flags 1 and 2, reversed:
  // 0x6), Main tier level 63 (2.1), progressive and frame-only (0x90).
  EXPECT_EQ(*codecString(h265()), "hvc1.1.6.L63.90");
  EXPECT_EQ(codecString(VideoParameters{}).status().code(), StatusCode::kFailedPrecondition);
}

std::shared_ptr<const Frame> frame(int64_t pts, bool key, size_t bytes) {
  auto f = std::make_shared<Frame>();
  f->pts = MediaTime(pts);
  f->keyframe = key;
  f->data.assign(bytes, static_cast<uint8_t>(pts));
  return f;
}

TEST(Fragment, DescribesEachSampleAndPointsAtTheMdat) {
  auto fragment = buildFragment(7, 123456789012, {frame(1000, true, 500), frame(4600, false, 40), frame(8200, false, 60)});
  ASSERT_TRUE(fragment.isOk()) << fragment.status().toString();
  const Bytes& h = fragment->header;
  EXPECT_EQ(be32(h, findBox(h, "moof/mfhd") + 12), 7u);
  const size_t tfhd = findBox(h, "moof/traf/tfhd");
  EXPECT_EQ(be32(h, tfhd + 8), 0x00020000u);  // default-base-is-moof
  const size_t tfdt = findBox(h, "moof/traf/tfdt");
  EXPECT_EQ(h[tfdt + 8], 1);  // version 1: 64-bit time
  EXPECT_EQ(uint64_t{be32(h, tfdt + 12)} << 32 | be32(h, tfdt + 16), 123456789012u);
  const size_t trun = findBox(h, "moof/traf/trun");
  EXPECT_EQ(be32(h, trun + 12), 3u);
  // The data offset, from the moof, is where the first sample's bytes go.
  EXPECT_EQ(be32(h, trun + 16), h.size());
  const uint32_t want[3][3] = {{3600, 500, 0x02000000}, {3600, 40, 0x01010000}, {3600, 60, 0x01010000}};
  for (size_t i = 0; i < 3; ++i) {
    for (size_t k = 0; k < 3; ++k) EXPECT_EQ(be32(h, trun + 20 + 12 * i + 4 * k), want[i][k]) << i << " " << k;
  }
  const size_t mdat = findBox(h, "moof") + be32(h, 0);
  EXPECT_EQ(be32(h, mdat), 8u + 600);
  EXPECT_EQ(mdat + 8, h.size());
  EXPECT_EQ(fragment->duration, 3u * 3600);
  EXPECT_EQ(fragment->size(), h.size() + 600);
}

TEST(Fragment, BuffersAreTheFramesOwnBytes) {
  auto a = frame(0, true, 100);
  auto b = frame(3000, false, 10);
  auto fragment = buildFragment(1, 0, {a, b});
  ASSERT_TRUE(fragment.isOk());
  const auto buffers = fragment->buffers();
  ASSERT_EQ(buffers.size(), 3u);
  EXPECT_EQ(buffers[1].data(), a->data.data());  // not copied
  EXPECT_EQ(buffers[2].data(), b->data.data());
  Bytes want = fragment->header;
  want.insert(want.end(), a->data.begin(), a->data.end());
  want.insert(want.end(), b->data.begin(), b->data.end());
  EXPECT_EQ(fragment->contiguous(), want);
}

TEST(Fragment, LastDurationIsGivenOrEstimated) {
  EXPECT_EQ(buildFragment(1, 0, {frame(0, true, 1), frame(3000, false, 1)}, 4000)->duration, 7000u);
  EXPECT_EQ(buildFragment(1, 0, {frame(0, true, 1), frame(3000, false, 1)})->duration, 6000u);
  EXPECT_EQ(buildFragment(1, 0, {frame(0, true, 1)})->duration, 3600u);  // 25 fps
}

TEST(Fragment, PtsThatDoNotIncreaseAreRejected) {
  EXPECT_EQ(buildFragment(1, 0, {}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(buildFragment(1, 0, {frame(3000, true, 1), frame(3000, false, 1)}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(buildFragment(1, 0, {frame(3000, true, 1), frame(0, false, 1)}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(buildFragment(1, 0, {frame(0, true, 1), frame(int64_t{1} << 33, false, 1)}).status().code(),
            StatusCode::kInvalidArgument);
}

TEST(LiveFmp4Writer, InitFirstAndOnNewParametersThenAFragmentPerFrame) {
  LiveFmp4Writer writer;
  auto p = std::make_shared<const VideoParameters>(h264());
  auto at = [&](int64_t pts, bool key, std::shared_ptr<const VideoParameters> params) {
    auto f = std::const_pointer_cast<Frame>(frame(pts, key, 10));
    f->params = std::move(params);
    return f;
  };
  auto first = writer.write(at(1000, true, p), false);
  ASSERT_TRUE(first.isOk()) << first.status().toString();
  ASSERT_NE(first->init, nullptr);
  EXPECT_EQ(*first->init, *fmp4InitSegment(*p));
  EXPECT_EQ(first->codec, "avc1.64000b");
  EXPECT_EQ(first->fragment.frames.size(), 1u);
  EXPECT_EQ(first->fragment.duration, 3600u);  // nothing before it: 25 fps
  auto second = writer.write(at(4000, false, std::make_shared<const VideoParameters>(h264())), false);
  ASSERT_TRUE(second.isOk());
  EXPECT_EQ(second->init, nullptr);  // equal parameters
  EXPECT_EQ(second->fragment.baseDecodeTime, 3600u);
  EXPECT_EQ(second->fragment.duration, 3000u);  // the delta before it
  // A restart: its pts jump says nothing about its duration.
  auto third = writer.write(at(900000, true, std::make_shared<const VideoParameters>(h265())), true);
  ASSERT_TRUE(third.isOk());
  ASSERT_NE(third->init, nullptr);
  EXPECT_EQ(third->codec, "hvc1.1.6.L63.90");
  EXPECT_EQ(third->fragment.baseDecodeTime, 6600u);
  EXPECT_EQ(third->fragment.duration, 3000u);
  const Bytes& h = third->fragment.header;
  EXPECT_EQ(be32(h, findBox(h, "moof/mfhd") + 12), 3u);
  EXPECT_EQ(writer.write(at(903000, false, nullptr), false).status().code(), StatusCode::kFailedPrecondition);
}

TEST(LiveFmp4Writer, AudioIsASecondTrackPlacedByItsPtsAgainstTheVideo) {
  LiveFmp4Writer writer;
  auto aac = std::make_shared<const AudioParameters>(
      AudioParameters{AudioCodec::kAac, 16000, 1, aacLcAudioSpecificConfig(16000, 1)});
  writer.setAudio(aac);
  auto video = [&](int64_t pts, bool key) {
    auto f = std::const_pointer_cast<Frame>(frame(pts, key, 10));
    f->params = std::make_shared<const VideoParameters>(h264());
    return f;
  };
  auto sound = [&](int64_t pts) {
    auto f = std::const_pointer_cast<Frame>(frame(pts, true, 20));
    f->audio = aac;
    return f;
  };
  EXPECT_FALSE(writer.writeAudio(sound(500)).has_value()) << "no video yet: no clock";
  auto first = writer.write(video(1000, true), false);
  ASSERT_TRUE(first.isOk());
  EXPECT_EQ(first->codec, "avc1.64000b,mp4a.40.2");
  const Bytes& init = *first->init;
  EXPECT_EQ(init, *fmp4InitSegment(h264(), aac.get()));
  // The second trak is the sound's, and mvex has a trex for each.
  const size_t moov = findBox(init, "moov");
  const size_t trak = findBox(init, "moov/trak");
  const size_t second = findBox(init, "trak", trak + be32(init, trak), moov + be32(init, moov));
  ASSERT_NE(second, std::string_view::npos);
  EXPECT_NE(findBox(init, "trak/mdia/minf/stbl/stsd/mp4a", second), std::string_view::npos);
  const size_t trex = findBox(init, "moov/mvex/trex");
  EXPECT_EQ(be32(init, findBox(init, "trex", trex + be32(init, trex)) + 12), kAudioTrackId);

  ASSERT_TRUE(writer.write(video(4600, false), false).isOk());  // decode time 3600
  // 1000 ticks after that frame: 4600 on the fragments' timeline; 1024
  // samples at 16 kHz last 5760 ticks.
  auto a = writer.writeAudio(sound(5600));
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->baseDecodeTime, 4600u);
  EXPECT_EQ(a->duration, 5760u);
  EXPECT_EQ(be32(a->header, findBox(a->header, "moof/traf/tfhd") + 12), kAudioTrackId);
  // A frame a little early or late follows on exactly; one far back is dropped.
  auto b = writer.writeAudio(sound(5600 + 5760 - 900));
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(b->baseDecodeTime, 4600u + 5760u);
  EXPECT_FALSE(writer.writeAudio(sound(-50000)).has_value());
}

}  // namespace
}  // namespace vigil::media

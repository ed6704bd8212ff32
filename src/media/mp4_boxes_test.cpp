#include "media/mp4_boxes.h"

#include <gtest/gtest.h>

namespace vigil::media::mp4 {
namespace {

// A 160x120 High profile SPS (libx264) and a PPS.
const Bytes kSps = {0x67, 0x64, 0x00, 0x0b, 0xac, 0xd9, 0x42, 0x84, 0x7e, 0x5c, 0x04, 0x40, 0x00,
                    0x00, 0x03, 0x00, 0x40, 0x00, 0x00, 0x0c, 0x83, 0xc5, 0x0a, 0x65, 0x80};
const Bytes kPps = {0x68, 0xef, 0x8f, 0xcb, 0x00};

TEST(BoxWriter, PatchesNestedBoxSizes) {
  Bytes out;
  BoxWriter w(out);
  const size_t outer = w.open("moov");
  const size_t inner = w.openFull("mvhd", 1, 0x000102);
  w.u16(0xabcd);
  w.close(inner);
  w.u64(0x0102030405060708);
  w.close(outer);
  const Bytes want = {0, 0, 0, 30, 'm', 'o', 'o', 'v',                 // outer: 8 + 14 + 8
                      0, 0, 0, 14, 'm', 'v', 'h', 'd', 1, 0, 1, 2,    // full box header
                      0xab, 0xcd, 1, 2, 3, 4, 5, 6, 7, 8};
  EXPECT_EQ(out, want);
}

TEST(DecoderConfiguration, AvcCHoldsProfileLevelAndParameterSets) {
  VideoParameters p;
  p.sps = {kSps};
  p.pps = {kPps};
  auto avcc = decoderConfiguration(p);
  ASSERT_TRUE(avcc.isOk()) << avcc.status().toString();
  Bytes want = {1, 0x64, 0x00, 0x0b, 0xff, 0xe1, 0, static_cast<uint8_t>(kSps.size())};
  want.insert(want.end(), kSps.begin(), kSps.end());
  want.insert(want.end(), {1, 0, static_cast<uint8_t>(kPps.size())});
  want.insert(want.end(), kPps.begin(), kPps.end());
  want.insert(want.end(), {0xfd, 0xf8, 0xf8, 0});  // High profile: 4:2:0, 8 bits
  EXPECT_EQ(*avcc, want);
}

TEST(DecoderConfiguration, MissingOrBrokenParameterSetsAreErrors) {
  VideoParameters p;
  p.sps = {kSps};
  EXPECT_EQ(decoderConfiguration(p).status().code(), StatusCode::kFailedPrecondition);
  p.codec = VideoCodec::kH265;
  p.pps = {kPps};
  EXPECT_EQ(decoderConfiguration(p).status().code(), StatusCode::kFailedPrecondition);  // no VPS
  p.codec = VideoCodec::kH264;
  p.sps = {{0x67, 0x64}};
  EXPECT_FALSE(decoderConfiguration(p).isOk());
}

TEST(Mp4Time, CountsFrom1904) {
  EXPECT_EQ(mp4Time(WallTime::fromUnixMicros(0)), 2082844800u);
  EXPECT_EQ(mp4Time(WallTime::fromUnixMicros(1'500'000)), 2082844801u);
}

}  // namespace
}  // namespace vigil::media::mp4

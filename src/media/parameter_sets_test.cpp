#include "media/parameter_sets.h"

#include <gtest/gtest.h>

namespace vigil::media {
namespace {

// Parameter sets produced by ffmpeg (libx264 / libx265) from testsrc, e.g.
//   ffmpeg -f lavfi -i testsrc=size=1280x720:rate=25 -frames:v 1 -c:v libx264
//          -pix_fmt yuv420p -f h264 out.h264
// and copied byte for byte (NAL header included, emulation prevention kept).

// High profile, level 3.1, 1280x720 (no cropping: 720 = 45 macroblocks).
const Bytes kH264High720 = {0x67, 0x64, 0x00, 0x1f, 0xac, 0xd9, 0x40, 0x50, 0x05,
                            0xbb, 0x01, 0x10, 0x00, 0x00, 0x03, 0x00, 0x10, 0x00,
                            0x00, 0x03, 0x03, 0x20, 0xf1, 0x83, 0x19, 0x60};
// High profile, level 4.0, 1920x1080: coded as 1088 lines, cropped by 8.
const Bytes kH264High1080 = {0x67, 0x64, 0x00, 0x28, 0xac, 0xd9, 0x40, 0x78, 0x02,
                             0x27, 0xe5, 0xc0, 0x44, 0x00, 0x00, 0x03, 0x00, 0x04,
                             0x00, 0x00, 0x03, 0x00, 0xc8, 0x3c, 0x60, 0xc6, 0x58};
// High 4:4:4 Predictive (chroma_format_idc 3), 1280x720.
const Bytes kH264High444_720 = {0x67, 0xf4, 0x00, 0x1f, 0x91, 0x9b, 0x28, 0x0a, 0x00,
                                0xb7, 0x60, 0x22, 0x00, 0x00, 0x03, 0x00, 0x02, 0x00,
                                0x00, 0x03, 0x00, 0x64, 0x1e, 0x30, 0x63, 0x2c};
// Constrained Baseline, level 1.3, 352x288 (no chroma info in the SPS).
const Bytes kH264BaselineCif = {0x67, 0x42, 0xc0, 0x0d, 0xd9, 0x01, 0x60, 0x96,
                                0xc0, 0x44, 0x00, 0x00, 0x03, 0x00, 0x04, 0x00,
                                0x00, 0x03, 0x00, 0xc8, 0x3c, 0x50, 0xa9, 0x20};
// High profile, interlaced (frame_mbs_only_flag 0, x264 interlaced=1), 720x576.
const Bytes kH264Interlaced576 = {0x67, 0x64, 0x00, 0x1e, 0xac, 0xd9, 0x40, 0xb4,
                                  0x24, 0xd8, 0x08, 0x80, 0x00, 0x00, 0x03, 0x00,
                                  0x80, 0x00, 0x00, 0x19, 0x0f, 0x8a, 0x14, 0xcb};
// H.265 Main, 640x360 (coded 640x368 with a conformance window of 8 lines).
const Bytes kH265Main360 = {0x42, 0x01, 0x01, 0x01, 0x60, 0x00, 0x00, 0x03, 0x00, 0x90, 0x00,
                            0x00, 0x03, 0x00, 0x00, 0x03, 0x00, 0x3f, 0xa0, 0x05, 0x02, 0x01,
                            0x69, 0x65, 0x95, 0x9a, 0x49, 0x32, 0xbc, 0x05, 0xa0, 0x20, 0x00,
                            0x00, 0x03, 0x00, 0x20, 0x00, 0x00, 0x03, 0x03, 0x21};
const Bytes kH265Vps360 = {0x40, 0x01, 0x0c, 0x01, 0xff, 0xff, 0x01, 0x60, 0x00, 0x00, 0x03, 0x00,
                           0x90, 0x00, 0x00, 0x03, 0x00, 0x00, 0x03, 0x00, 0x3f, 0x95, 0x98, 0x09};
const Bytes kH265Pps = {0x44, 0x01, 0xc1, 0x72, 0xb4, 0x62, 0x40};
// H.265 Main, 1920x1080, level 4.
const Bytes kH265Main1080 = {0x42, 0x01, 0x01, 0x01, 0x60, 0x00, 0x00, 0x03, 0x00, 0x90, 0x00,
                             0x00, 0x03, 0x00, 0x00, 0x03, 0x00, 0x78, 0xa0, 0x03, 0xc0, 0x80,
                             0x10, 0xe5, 0x96, 0x56, 0x69, 0x24, 0xca, 0xf0, 0x16, 0x80, 0x80,
                             0x00, 0x00, 0x03, 0x00, 0x80, 0x00, 0x00, 0x0c, 0x84};
// H.265 Main 10, 642x362: odd size, coded 648x368.
const Bytes kH265Main10Odd = {0x42, 0x01, 0x01, 0x02, 0x20, 0x00, 0x00, 0x03, 0x00, 0x90, 0x00,
                              0x00, 0x03, 0x00, 0x00, 0x03, 0x00, 0x3f, 0xa0, 0x05, 0x12, 0x01,
                              0x71, 0xc9, 0x23, 0x65, 0x95, 0x9a, 0x49, 0x32, 0xbc, 0x05, 0xa0,
                              0x20, 0x00, 0x00, 0x03, 0x00, 0x20, 0x00, 0x00, 0x03, 0x03, 0x21};
// H.265 Main, 1280x720 with two temporal sub-layers (x265 temporal-layers=1):
// profile_tier_level carries sub-layer flags and reserved bits.
const Bytes kH265SubLayers720 = {
    0x42, 0x01, 0x02, 0x01, 0x60, 0x00, 0x00, 0x03, 0x00, 0x90, 0x00, 0x00, 0x03, 0x00, 0x00, 0x03,
    0x00, 0x5d, 0x00, 0x00, 0xa0, 0x02, 0x80, 0x80, 0x2d, 0x16, 0x59, 0x59, 0x8a, 0xcd, 0x24, 0x99,
    0x5e, 0x02, 0xd0, 0x10, 0x00, 0x00, 0x03, 0x00, 0x10, 0x00, 0x00, 0x03, 0x01, 0x90, 0x80};
// H.265 Range extensions 4:4:4, 1280x720.
const Bytes kH265Rext444 = {0x42, 0x01, 0x01, 0x04, 0x08, 0x00, 0x00, 0x03, 0x00, 0x9e, 0x08,
                            0x00, 0x00, 0x03, 0x00, 0x00, 0x5d, 0x90, 0x00, 0x50, 0x10, 0x05,
                            0xa2, 0xcb, 0x2b, 0x34, 0x92, 0x65, 0x78, 0x0b, 0x70, 0x20, 0x20,
                            0x00, 0x40, 0x00, 0x00, 0x03, 0x00, 0x40, 0x00, 0x00, 0x06, 0x42};

// Writes bits MSB first, for SPS that no encoder at hand produces.
class BitWriter {
 public:
  void bits(uint32_t v, int n) {
    for (int i = n - 1; i >= 0; --i) bit((v >> i) & 1);
  }
  void ue(uint32_t v) {
    const uint64_t x = uint64_t{v} + 1;
    int len = 0;
    while ((x >> len) > 1) ++len;
    bits(0, len);
    for (int i = len; i >= 0; --i) bit(static_cast<uint32_t>((x >> i) & 1));
  }
  void se(int32_t v) {
    ue(v > 0 ? static_cast<uint32_t>(2 * v - 1) : static_cast<uint32_t>(-2 * v));
  }
  Bytes finish() {  // rbsp_trailing_bits
    bit(1);
    while (n_ % 8) bit(0);
    return out_;
  }

 private:
  void bit(uint32_t b) {
    if (n_ % 8 == 0) out_.push_back(0);
    if (b) out_.back() |= static_cast<uint8_t>(0x80 >> (n_ % 8));
    ++n_;
  }
  Bytes out_;
  size_t n_ = 0;
};

Bytes h264Nal(uint8_t header, const Bytes& rbsp) {
  Bytes nal{header};
  const Bytes escaped = addEmulationPrevention(rbsp);
  nal.insert(nal.end(), escaped.begin(), escaped.end());
  return nal;
}

TEST(BitReader, ReadsBitsAndExpGolomb) {
  BitWriter w;
  w.bits(0b101, 3);
  w.ue(0);
  w.ue(1);
  w.ue(7);
  w.ue(1000000);
  w.se(0);
  w.se(1);
  w.se(-1);
  w.se(-300);
  w.bits(0xdeadbeef, 32);
  const Bytes data = w.finish();
  BitReader r(data);
  EXPECT_EQ(r.bits(3), 0b101u);
  EXPECT_EQ(r.ue(), 0u);
  EXPECT_EQ(r.ue(), 1u);
  EXPECT_EQ(r.ue(), 7u);
  EXPECT_EQ(r.ue(), 1000000u);
  EXPECT_EQ(r.se(), 0);
  EXPECT_EQ(r.se(), 1);
  EXPECT_EQ(r.se(), -1);
  EXPECT_EQ(r.se(), -300);
  EXPECT_EQ(r.bits(32), 0xdeadbeefu);
  EXPECT_TRUE(r.ok());
}

TEST(BitReader, ReadingPastTheEndFailsForGood) {
  const Bytes data = {0xff};
  BitReader r(data);
  EXPECT_EQ(r.bits(4), 0xfu);
  EXPECT_EQ(r.bits(5), 0u);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.bits(1), 0u);
  EXPECT_EQ(r.bitsLeft(), 0u);
}

TEST(BitReader, RejectsOverlongExpGolomb) {
  const Bytes zeros(8, 0);  // 64 leading zeros: no valid ue(v)
  BitReader r(zeros);
  EXPECT_EQ(r.ue(), 0u);
  EXPECT_FALSE(r.ok());
  // 32 zeros then a one: 2^32 - 1 + bits, does not fit.
  const Bytes big = {0, 0, 0, 0, 0x80, 0, 0, 0, 0};
  BitReader r2(big);
  r2.ue();
  EXPECT_FALSE(r2.ok());
}

TEST(ParseSps, H264High720p) {
  auto sps = parseSps(VideoCodec::kH264, kH264High720);
  ASSERT_TRUE(sps.isOk()) << sps.status().toString();
  EXPECT_EQ(sps->width, 1280);
  EXPECT_EQ(sps->height, 720);
  EXPECT_EQ(sps->profileIdc, 100);
  EXPECT_EQ(sps->levelIdc, 31);
  EXPECT_EQ(sps->chromaFormatIdc, 1);
  EXPECT_EQ(sps->bitDepthLuma, 8);
  EXPECT_TRUE(sps->frameMbsOnly);
  EXPECT_EQ(h264ProfileLevelId(*sps), "64001f");
}

TEST(ParseSps, H264CroppingTo1080) {
  auto sps = parseSps(VideoCodec::kH264, kH264High1080);
  ASSERT_TRUE(sps.isOk()) << sps.status().toString();
  EXPECT_EQ(sps->width, 1920);
  EXPECT_EQ(sps->height, 1080);
  EXPECT_EQ(h264ProfileLevelId(*sps), "640028");
}

TEST(ParseSps, H264High444) {
  auto sps = parseSps(VideoCodec::kH264, kH264High444_720);
  ASSERT_TRUE(sps.isOk()) << sps.status().toString();
  EXPECT_EQ(sps->chromaFormatIdc, 3);
  EXPECT_EQ(sps->width, 1280);
  EXPECT_EQ(sps->height, 720);
  EXPECT_EQ(sps->profileIdc, 244);
}

TEST(ParseSps, H264ConstrainedBaseline) {
  auto sps = parseSps(VideoCodec::kH264, kH264BaselineCif);
  ASSERT_TRUE(sps.isOk()) << sps.status().toString();
  EXPECT_EQ(sps->width, 352);
  EXPECT_EQ(sps->height, 288);
  EXPECT_EQ(h264ProfileLevelId(*sps), "42c00d");
}

TEST(ParseSps, H264InterlacedCountsFieldPairs) {
  auto sps = parseSps(VideoCodec::kH264, kH264Interlaced576);
  ASSERT_TRUE(sps.isOk()) << sps.status().toString();
  EXPECT_FALSE(sps->frameMbsOnly);
  EXPECT_EQ(sps->width, 720);
  EXPECT_EQ(sps->height, 576);
}

// High profile with a scaling matrix in the SPS (x264 puts its matrices in
// the PPS, so this one is written by hand), 4:2:2, poc type 1 and cropping of
// an interlaced picture: CropUnitY = SubHeightC (1) * 2.
TEST(ParseSps, H264ScalingListsAreSkipped) {
  BitWriter w;
  w.bits(122, 8);  // High 4:2:2
  w.bits(0, 8);
  w.bits(40, 8);
  w.ue(0);  // sps id
  w.ue(2);  // chroma_format_idc 4:2:2
  w.ue(2);  // bit_depth_luma_minus8
  w.ue(2);  // bit_depth_chroma_minus8
  w.bits(0, 1);
  w.bits(1, 1);  // seq_scaling_matrix_present_flag
  for (int i = 0; i < 8; ++i) {
    if (i == 2) {
      w.bits(0, 1);  // list absent
      continue;
    }
    w.bits(1, 1);
    if (i == 1) {
      w.se(-8);  // next = 0 at once: useDefaultScalingMatrix
      continue;
    }
    const int size = i < 6 ? 16 : 64;
    int last = 8;
    for (int j = 0; j < size; ++j) {
      const int value = 4 + (j * 7) % 60;
      w.se(((value - last + 128) % 256) - 128);
      last = value;
    }
  }
  w.ue(0);  // log2_max_frame_num_minus4
  w.ue(1);  // pic_order_cnt_type 1
  w.bits(0, 1);
  w.se(-2);
  w.se(3);
  w.ue(2);
  w.se(5);
  w.se(-5);
  w.ue(4);       // max_num_ref_frames
  w.bits(0, 1);  // gaps
  w.ue(119);     // 1920 wide
  w.ue(33);      // 34 map units = 68 MB rows of a frame = 1088 lines
  w.bits(0, 1);  // frame_mbs_only_flag = 0
  w.bits(1, 1);  // mb_adaptive_frame_field_flag
  w.bits(1, 1);  // direct_8x8_inference_flag
  w.bits(1, 1);  // frame_cropping_flag
  w.ue(1);       // left: 1 * SubWidthC 2 = 2 pixels
  w.ue(0);
  w.ue(0);
  w.ue(4);       // bottom: 4 * 2 = 8 lines
  w.bits(0, 1);  // vui_parameters_present_flag
  const Bytes nal = h264Nal(0x67, w.finish());
  auto sps = parseSps(VideoCodec::kH264, nal);
  ASSERT_TRUE(sps.isOk()) << sps.status().toString();
  EXPECT_EQ(sps->chromaFormatIdc, 2);
  EXPECT_EQ(sps->bitDepthLuma, 10);
  EXPECT_EQ(sps->width, 1918);
  EXPECT_EQ(sps->height, 1080);
  EXPECT_FALSE(sps->frameMbsOnly);
}

TEST(ParseSps, H265Main360WithConformanceWindow) {
  auto sps = parseSps(VideoCodec::kH265, kH265Main360);
  ASSERT_TRUE(sps.isOk()) << sps.status().toString();
  EXPECT_EQ(sps->width, 640);
  EXPECT_EQ(sps->height, 360);
  EXPECT_EQ(sps->profileIdc, 1);
  EXPECT_EQ(sps->levelIdc, 63);
  EXPECT_EQ(sps->maxSubLayers, 1);
  EXPECT_EQ(sps->h265GeneralProfileTierLevel[0], 0x01);  // space 0, Main tier, Main profile
  EXPECT_EQ(sps->h265GeneralProfileTierLevel[1], 0x60);  // compatible with profiles 1 and 2
}

TEST(ParseSps, H265Main1080) {
  auto sps = parseSps(VideoCodec::kH265, kH265Main1080);
  ASSERT_TRUE(sps.isOk()) << sps.status().toString();
  EXPECT_EQ(sps->width, 1920);
  EXPECT_EQ(sps->height, 1080);
  EXPECT_EQ(sps->levelIdc, 120);
}

TEST(ParseSps, H265Main10OddSize) {
  auto sps = parseSps(VideoCodec::kH265, kH265Main10Odd);
  ASSERT_TRUE(sps.isOk()) << sps.status().toString();
  EXPECT_EQ(sps->width, 642);
  EXPECT_EQ(sps->height, 362);
  EXPECT_EQ(sps->profileIdc, 2);
  EXPECT_EQ(sps->bitDepthLuma, 10);
}

TEST(ParseSps, H265SubLayers) {
  auto sps = parseSps(VideoCodec::kH265, kH265SubLayers720);
  ASSERT_TRUE(sps.isOk()) << sps.status().toString();
  EXPECT_EQ(sps->maxSubLayers, 2);
  EXPECT_EQ(sps->width, 1280);
  EXPECT_EQ(sps->height, 720);
}

TEST(ParseSps, H265RangeExtensions444) {
  auto sps = parseSps(VideoCodec::kH265, kH265Rext444);
  ASSERT_TRUE(sps.isOk()) << sps.status().toString();
  EXPECT_EQ(sps->chromaFormatIdc, 3);
  EXPECT_EQ(sps->profileIdc, 4);
  EXPECT_EQ(sps->width, 1280);
  EXPECT_EQ(sps->height, 720);
}

TEST(ParseSps, RejectsOtherNalTypesAndWrongCodec) {
  EXPECT_FALSE(parseSps(VideoCodec::kH264, kH265Main360).isOk());
  EXPECT_FALSE(parseSps(VideoCodec::kH265, kH264High720).isOk());
  EXPECT_FALSE(parseSps(VideoCodec::kH265, kH265Pps).isOk());
  EXPECT_FALSE(parseSps(VideoCodec::kH264, Bytes{}).isOk());
}

TEST(ParseSps, EveryTruncationFailsCleanly) {
  for (const Bytes* full : {&kH264High1080, &kH264High444_720, &kH265Main360, &kH265SubLayers720}) {
    const VideoCodec codec = (*full)[0] == 0x67 ? VideoCodec::kH264 : VideoCodec::kH265;
    // The size fields end well before the VUI, so short prefixes must fail
    // and none may crash.
    for (size_t n = 0; n < 10; ++n) {
      EXPECT_FALSE(parseSps(codec, ByteView(*full).first(n)).isOk()) << n;
    }
    for (size_t n = 10; n <= full->size(); ++n) (void)parseSps(codec, ByteView(*full).first(n));
  }
}

TEST(ParseSps, RejectsCroppingLargerThanThePicture) {
  BitWriter w;
  w.bits(66, 8);
  w.bits(0, 8);
  w.bits(30, 8);
  w.ue(0);
  w.ue(0);
  w.ue(2);  // poc type 2
  w.ue(1);
  w.bits(0, 1);
  w.ue(0);  // 16 wide
  w.ue(0);  // 16 high
  w.bits(1, 1);
  w.bits(1, 1);
  w.bits(1, 1);  // cropping
  w.ue(4);       // 8 + 8 pixels: nothing left
  w.ue(4);
  w.ue(0);
  w.ue(0);
  w.bits(0, 1);
  EXPECT_FALSE(parseSps(VideoCodec::kH264, h264Nal(0x67, w.finish())).isOk());
}

// kH264High720 encoded again at 30 fps (VUI timing) and with BT.709 colour
// signalled (VUI colour description): the same pictures.
const Bytes kH264High720At30 = {0x67, 0x64, 0x00, 0x1f, 0xac, 0xd9, 0x40, 0x50, 0x05,
                                0xbb, 0x01, 0x10, 0x00, 0x00, 0x03, 0x00, 0x10, 0x00,
                                0x00, 0x03, 0x03, 0xc0, 0xf1, 0x83, 0x19, 0x60};
const Bytes kH264High720Bt709 = {0x67, 0x64, 0x00, 0x1f, 0xac, 0xd9, 0x40, 0x50, 0x05, 0xbb,
                                 0x01, 0x6a, 0x02, 0x02, 0x02, 0x80, 0x00, 0x00, 0x03, 0x00,
                                 0x80, 0x00, 0x00, 0x19, 0x07, 0x8c, 0x18, 0xcb};

TEST(SameSps, AnotherVuiIsTheSameSps) {
  EXPECT_TRUE(sameSps(VideoCodec::kH264, kH264High720, kH264High720));
  EXPECT_TRUE(sameSps(VideoCodec::kH264, kH264High720, kH264High720At30));
  EXPECT_TRUE(sameSps(VideoCodec::kH264, kH264High720At30, kH264High720Bt709));
  EXPECT_TRUE(sameSps(VideoCodec::kH265, kH265Main360, kH265Main360));
}

TEST(SameSps, SizeProfileOrCodingChangesAreNot) {
  EXPECT_FALSE(sameSps(VideoCodec::kH264, kH264High720, kH264High1080));      // size and level
  EXPECT_FALSE(sameSps(VideoCodec::kH264, kH264High720, kH264High444_720));   // profile, chroma
  EXPECT_FALSE(sameSps(VideoCodec::kH264, kH264High720, kH264BaselineCif));
  EXPECT_FALSE(sameSps(VideoCodec::kH264, kH264High720, kH264Interlaced576));
  EXPECT_FALSE(sameSps(VideoCodec::kH265, kH265Main360, kH265Main1080));
  EXPECT_FALSE(sameSps(VideoCodec::kH265, kH265Main360, kH265Main10Odd));
  // Two bits before the VUI: max_num_ref_frames 4 -> 5 (ue 00101 -> 00110,
  // the last two bits at the top of byte 6), same size and profile.
  Bytes other = kH264High720;
  other[6] ^= 0xc0;
  ASSERT_EQ(parseSps(VideoCodec::kH264, other)->height, 720);
  EXPECT_FALSE(sameSps(VideoCodec::kH264, kH264High720, other));
  EXPECT_FALSE(sameSps(VideoCodec::kH264, kH264High720, Bytes{0x67, 0x64}));  // does not parse
}

TEST(ParameterSetId, ReadsIds) {
  EXPECT_EQ(parameterSetId(VideoCodec::kH264, kH264High720).value(), 0);
  EXPECT_EQ(parameterSetId(VideoCodec::kH264, Bytes{0x68, 0xeb, 0xe3, 0xcb, 0x22, 0xc0}).value(),
            0);
  EXPECT_EQ(parameterSetId(VideoCodec::kH264, Bytes{0x68, 0x40}).value(), 1);  // ue 010 -> 1
  EXPECT_EQ(parameterSetId(VideoCodec::kH265, kH265Vps360).value(), 0);
  EXPECT_EQ(parameterSetId(VideoCodec::kH265, kH265SubLayers720).value(), 0);
  EXPECT_EQ(parameterSetId(VideoCodec::kH265, kH265Pps).value(), 0);
  EXPECT_FALSE(parameterSetId(VideoCodec::kH264, Bytes{0x65, 0x88}).isOk());
  EXPECT_FALSE(parameterSetId(VideoCodec::kH264, Bytes{0x68}).isOk());
}

}  // namespace
}  // namespace vigil::media

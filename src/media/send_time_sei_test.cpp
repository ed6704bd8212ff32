#include "media/send_time_sei.h"

#include <gtest/gtest.h>

namespace vigil::media {
namespace {

TEST(SendTimeSei, RoundTripsForBothCodecs) {
  for (VideoCodec codec : {VideoCodec::kH264, VideoCodec::kH265}) {
    // A time whose bytes contain 00 00 0x, to exercise emulation prevention.
    const WallTime t = WallTime::fromUnixMicros(0x0000010000020003);
    const Bytes nal = makeSendTimeSei(codec, t);
    auto parsed = parseSendTimeSei(codec, nal);
    ASSERT_TRUE(parsed.has_value()) << codecName(codec);
    EXPECT_EQ(*parsed, t);
    // No start code may appear inside the NAL unit.
    for (size_t i = 0; i + 2 < nal.size(); ++i) {
      EXPECT_FALSE(nal[i] == 0 && nal[i + 1] == 0 && nal[i + 2] <= 1) << i;
    }
  }
}

TEST(SendTimeSei, IgnoresOtherNalUnits) {
  EXPECT_FALSE(parseSendTimeSei(VideoCodec::kH264, Bytes{0x65, 1, 2}).has_value());
  EXPECT_FALSE(parseSendTimeSei(VideoCodec::kH264, Bytes{0x06, 5, 24, 1, 2}).has_value());
  EXPECT_FALSE(parseSendTimeSei(VideoCodec::kH265, Bytes{}).has_value());
  Bytes nal = makeSendTimeSei(VideoCodec::kH264, WallTime::fromUnixMicros(5));
  nal[5] ^= 0xff;  // corrupt the UUID
  EXPECT_FALSE(parseSendTimeSei(VideoCodec::kH264, nal).has_value());
}

}  // namespace
}  // namespace vigil::media

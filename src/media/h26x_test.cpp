#include "media/h26x.h"

#include <gtest/gtest.h>

namespace vigil::media {
namespace {

TEST(AnnexB, SplitsOnThreeAndFourByteStartCodes) {
  const Bytes stream = {0, 0, 0, 1, 0x67, 1, 2, 0, 0, 1, 0x68, 3, 0, 0, 0, 1, 0x65, 4, 5, 0, 0};
  auto nals = splitAnnexB(stream);
  ASSERT_EQ(nals.size(), 3u);
  EXPECT_EQ(Bytes(nals[0].begin(), nals[0].end()), (Bytes{0x67, 1, 2}));
  EXPECT_EQ(Bytes(nals[1].begin(), nals[1].end()), (Bytes{0x68, 3}));
  EXPECT_EQ(Bytes(nals[2].begin(), nals[2].end()), (Bytes{0x65, 4, 5}));
}

TEST(AnnexB, IgnoresLeadingGarbageAndEmptyInput) {
  EXPECT_TRUE(splitAnnexB(Bytes{}).empty());
  EXPECT_TRUE(splitAnnexB(Bytes{1, 2, 3}).empty());
  EXPECT_EQ(splitAnnexB(Bytes{9, 9, 0, 0, 1, 0x41}).size(), 1u);
}

TEST(NalTypes, ClassifiesH264AndH265) {
  EXPECT_EQ(nalType(VideoCodec::kH264, 0x65), h264::kIdrSlice);
  EXPECT_TRUE(isKeyframeNal(VideoCodec::kH264, 5));
  EXPECT_FALSE(isKeyframeNal(VideoCodec::kH264, 1));
  EXPECT_TRUE(isParameterSet(VideoCodec::kH264, 7));
  EXPECT_EQ(nalType(VideoCodec::kH265, 0x40), h265::kVps);
  EXPECT_EQ(nalType(VideoCodec::kH265, 0x26), 19);  // IDR_W_RADL
  EXPECT_TRUE(isKeyframeNal(VideoCodec::kH265, 19));
  EXPECT_TRUE(isKeyframeNal(VideoCodec::kH265, h265::kCraNut));
  EXPECT_FALSE(isKeyframeNal(VideoCodec::kH265, 1));
  EXPECT_TRUE(isVcl(VideoCodec::kH265, 1));
  EXPECT_FALSE(isVcl(VideoCodec::kH265, h265::kPrefixSei));
}

TEST(EmulationPrevention, RoundTrips) {
  const Bytes rbsp = {0, 0, 0, 0, 0, 1, 0, 0, 2, 0, 0, 3, 0, 0, 4, 0, 0};
  const Bytes nal = addEmulationPrevention(rbsp);
  EXPECT_EQ(nal, (Bytes{0, 0, 3, 0, 0, 3, 0, 1, 0, 0, 3, 2, 0, 0, 3, 3, 0, 0, 4, 0, 0}));
  EXPECT_EQ(removeEmulationPrevention(nal), rbsp);
}

TEST(LengthPrefixed, RoundTripsAndRejectsTruncation) {
  Bytes data;
  appendLengthPrefixed(data, Bytes{0x65, 1});
  appendLengthPrefixed(data, Bytes{0x41});
  ASSERT_EQ(splitLengthPrefixed(data).size(), 2u);
  data.pop_back();
  EXPECT_TRUE(splitLengthPrefixed(data).empty());
}

}  // namespace
}  // namespace vigil::media

#include "storage/access_units.h"

#include <gtest/gtest.h>

#include "storage/test_frames.h"

namespace vigil::storage {
namespace {

using media::Bytes;
using testing::nal;

TEST(AccessUnits, FindsTheBoundariesOfWholeFrames) {
  auto params = testing::h264Params();
  Bytes data;
  std::vector<size_t> sizes;
  for (int i = 0; i < 10; ++i) {
    const media::Frame f = testing::frame(i, i % 5 == 0, 0, params);
    data.insert(data.end(), f.data.begin(), f.data.end());
    sizes.push_back(f.data.size());
  }
  const AccessUnitScan scan = scanAccessUnits(media::VideoCodec::kH264, data);
  ASSERT_EQ(scan.units.size(), 10u);
  size_t offset = 0;
  for (size_t i = 0; i < 10; ++i) {
    EXPECT_EQ(scan.units[i].offset, offset);
    EXPECT_EQ(scan.units[i].bytes, sizes[i]);
    EXPECT_EQ(scan.units[i].keyframe, i % 5 == 0);
    offset += sizes[i];
  }
  EXPECT_EQ(scan.wholeBytes, data.size());
}

TEST(AccessUnits, KeepsSlicesFillerAndSeiWithTheirPicture) {
  Bytes data;
  media::appendLengthPrefixed(data, nal(media::h264::kSei, 20));
  media::appendLengthPrefixed(data, nal(media::h264::kNonIdrSlice, 50));
  media::appendLengthPrefixed(data, nal(media::h264::kNonIdrSlice, 50, /*firstSlice=*/false));
  media::appendLengthPrefixed(data, nal(media::h264::kFiller, 30));
  const size_t first = data.size();
  media::appendLengthPrefixed(data, nal(media::h264::kSei, 20));
  media::appendLengthPrefixed(data, nal(media::h264::kNonIdrSlice, 50));
  const AccessUnitScan scan = scanAccessUnits(media::VideoCodec::kH264, data);
  ASSERT_EQ(scan.units.size(), 2u);
  EXPECT_EQ(scan.units[0].bytes, first);
  EXPECT_EQ(scan.units[1].offset, first);
}

TEST(AccessUnits, ATornTailDropsTheFrameItInterrupts) {
  auto params = testing::h264Params();
  Bytes data;
  for (int i = 0; i < 3; ++i) {
    const media::Frame f = testing::frame(i, i == 0, 0, params);
    data.insert(data.end(), f.data.begin(), f.data.end());
  }
  const size_t whole = data.size();
  // A two-slice picture whose second slice was cut short.
  media::appendLengthPrefixed(data, nal(media::h264::kNonIdrSlice, 50));
  media::appendLengthPrefixed(data, nal(media::h264::kNonIdrSlice, 50, false));
  data.resize(data.size() - 10);
  const AccessUnitScan scan = scanAccessUnits(media::VideoCodec::kH264, data);
  EXPECT_EQ(scan.units.size(), 3u);
  EXPECT_EQ(scan.wholeBytes, whole);
}

TEST(AccessUnits, ATornNalThatOpensTheNextFrameKeepsTheOneBefore) {
  auto params = testing::h264Params();
  const media::Frame f = testing::frame(0, true, 0, params);
  Bytes data = f.data;
  Bytes next;
  media::appendLengthPrefixed(next, nal(media::h264::kNonIdrSlice, 50));  // first_mb_in_slice == 0
  data.insert(data.end(), next.begin(), next.begin() + 8);
  const AccessUnitScan scan = scanAccessUnits(media::VideoCodec::kH264, data);
  ASSERT_EQ(scan.units.size(), 1u);
  EXPECT_EQ(scan.wholeBytes, f.data.size());
}

TEST(AccessUnits, H265FirstSliceSegmentFlagStartsAPicture) {
  auto h265Nal = [](uint8_t type, bool first) {
    Bytes n(40, 0x11);
    n[0] = static_cast<uint8_t>(type << 1);
    n[1] = 1;
    n[2] = first ? 0x80 : 0x00;
    return n;
  };
  Bytes data;
  media::appendLengthPrefixed(data, h265Nal(19, true));   // IDR_W_RADL
  media::appendLengthPrefixed(data, h265Nal(19, false));  // its second slice segment
  media::appendLengthPrefixed(data, h265Nal(1, true));    // TRAIL_R
  const AccessUnitScan scan = scanAccessUnits(media::VideoCodec::kH265, data);
  ASSERT_EQ(scan.units.size(), 2u);
  EXPECT_TRUE(scan.units[0].keyframe);
  EXPECT_EQ(scan.units[0].bytes, 88u);
  EXPECT_FALSE(scan.units[1].keyframe);
}

}  // namespace
}  // namespace vigil::storage

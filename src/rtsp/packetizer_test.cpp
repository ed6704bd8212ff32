#include "rtsp/packetizer.h"

#include <gtest/gtest.h>

#include "rtsp/server.h"

namespace vigil::rtsp {
namespace {

using media::VideoCodec;

TEST(Packetizer, SmallNalUnitsGoAsTheyAre) {
  const Bytes sps = {0x67, 1, 2}, slice = {0x65, 3, 4, 5};
  auto p = packetizeAccessUnit(VideoCodec::kH264, {sps, slice});
  ASSERT_EQ(p.size(), 2u);
  EXPECT_EQ(p[0].prefixSize, 0);
  EXPECT_EQ(p[1].body.size(), 4u);
}

TEST(Packetizer, FragmentsH264WithFuA) {
  Bytes nal(3000, 0xAB);
  nal[0] = 0x65;  // nal_ref_idc 3, IDR
  auto p = packetizeAccessUnit(VideoCodec::kH264, {nal}, 1000);
  ASSERT_EQ(p.size(), 4u);  // 2999 bytes after the header, 998 per fragment
  size_t total = 0;
  for (size_t i = 0; i < p.size(); ++i) {
    EXPECT_LE(p[i].size(), 1000u);
    EXPECT_EQ(p[i].prefixSize, 2);
    EXPECT_EQ(p[i].prefix[0], 0x60 | 28);
    EXPECT_EQ(p[i].prefix[1] & 0x1f, 5);
    EXPECT_EQ((p[i].prefix[1] & 0x80) != 0, i == 0);
    EXPECT_EQ((p[i].prefix[1] & 0x40) != 0, i + 1 == p.size());
    total += p[i].body.size();
  }
  EXPECT_EQ(total, nal.size() - 1);
}

TEST(Packetizer, FragmentsH265WithFu) {
  Bytes nal(2500, 0x11);
  nal[0] = 19 << 1;  // IDR_W_RADL
  nal[1] = 1;
  auto p = packetizeAccessUnit(VideoCodec::kH265, {nal}, 1400);
  ASSERT_EQ(p.size(), 2u);
  EXPECT_EQ(p[0].prefixSize, 3);
  EXPECT_EQ(p[0].prefix[0], 49 << 1);
  EXPECT_EQ(p[0].prefix[1], 1);
  EXPECT_EQ(p[0].prefix[2], 0x80 | 19);
  EXPECT_EQ(p[1].prefix[2], 0x40 | 19);
  EXPECT_EQ(p[0].body.size() + p[1].body.size(), nal.size() - 2);
}

TEST(PrepareAccessUnit, FindsKeyframeAndSeiSlot) {
  auto unit = prepareAccessUnit(VideoCodec::kH264, {{0x67, 1}, {0x68, 2}, {0x65, 3, 4}}, 3600);
  EXPECT_TRUE(unit->keyframe);
  EXPECT_EQ(unit->seiIndex, 2u);
  EXPECT_EQ(unit->duration, 3600u);
  auto p = prepareAccessUnit(VideoCodec::kH264, {{0x41, 1}}, 3600);
  EXPECT_FALSE(p->keyframe);
  EXPECT_EQ(p->seiIndex, 0u);
}

TEST(RtspUrl, PathOf) {
  EXPECT_EQ(rtspUrlPath("rtsp://127.0.0.1:8554/cam/0"), "/cam/0");
  EXPECT_EQ(rtspUrlPath("rtsp://u:p@h/cam/1/trackID=0?x=1"), "/cam/1/trackID=0");
  EXPECT_EQ(rtspUrlPath("rtsp://h"), "/");
  EXPECT_EQ(rtspUrlPath("*"), "*");
}

}  // namespace
}  // namespace vigil::rtsp

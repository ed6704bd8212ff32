#include "rtsp/rtp.h"

#include <gtest/gtest.h>

#include "rtsp/rtcp.h"

namespace vigil::rtsp {
namespace {

TEST(Rtp, HeaderRoundTrips) {
  Bytes packet(kRtpHeaderSize + 3);
  writeRtpHeader(packet.data(), RtpHeader{true, 96, 65535, 0xDEADBEEF, 0x01020304});
  packet[12] = 7;
  auto parsed = parseRtpPacket(packet);
  ASSERT_TRUE(parsed.isOk());
  EXPECT_TRUE(parsed->header.marker);
  EXPECT_EQ(parsed->header.payloadType, 96);
  EXPECT_EQ(parsed->header.sequence, 65535);
  EXPECT_EQ(parsed->header.timestamp, 0xDEADBEEFu);
  EXPECT_EQ(parsed->header.ssrc, 0x01020304u);
  EXPECT_EQ(parsed->payload.size(), 3u);
}

TEST(Rtp, SkipsCsrcExtensionAndPadding) {
  // V=2 P=1 X=1 CC=1, one CSRC, a one-word extension, 2 payload bytes, 2 padding bytes.
  const Bytes p = {0xB1, 96, 0, 1, 0, 0, 0, 1, 0, 0, 0, 2, 9, 9, 9, 9,
                   0xBE, 0xDE, 0, 1, 1, 2, 3, 4, 0xAA, 0xBB, 0, 2};
  auto parsed = parseRtpPacket(p);
  ASSERT_TRUE(parsed.isOk()) << parsed.status().toString();
  EXPECT_EQ(Bytes(parsed->payload.begin(), parsed->payload.end()), (Bytes{0xAA, 0xBB}));
}

TEST(Rtp, RejectsMalformed) {
  EXPECT_FALSE(parseRtpPacket(Bytes{0x80, 96}).isOk());
  EXPECT_FALSE(parseRtpPacket(Bytes(12, 0)).isOk());  // version 0
  Bytes csrc(12, 0);
  csrc[0] = 0x8F;  // 15 CSRCs but none present
  EXPECT_FALSE(parseRtpPacket(csrc).isOk());
  Bytes pad(13, 0);
  pad[0] = 0xA0;
  pad[12] = 200;  // padding longer than the packet
  EXPECT_FALSE(parseRtpPacket(pad).isOk());
}

TEST(Rtcp, SenderReportLayout) {
  const Bytes sr = makeSenderReport({0x11223344, WallTime::fromUnixMicros(0), 90000, 10, 1000}, "vigil");
  ASSERT_EQ(sr.size() % 4, 0u);
  EXPECT_EQ(sr[0], 0x80);
  EXPECT_EQ(sr[1], 200);
  EXPECT_EQ(sr[3], 6);  // 7 words
  EXPECT_EQ(sr[28], 0x81);
  EXPECT_EQ(sr[29], 202);
  EXPECT_EQ(size_t{sr[31]} * 4 + 4, sr.size() - 28);
  // NTP seconds of the Unix epoch.
  EXPECT_EQ((uint32_t{sr[8]} << 24) | (uint32_t{sr[9]} << 16) | (uint32_t{sr[10]} << 8) | sr[11],
            2208988800u);
}

}  // namespace
}  // namespace vigil::rtsp

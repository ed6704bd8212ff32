#include "rtsp/rtcp_parse.h"

#include <gtest/gtest.h>

namespace vigil::rtsp {
namespace {

using media::Bytes;

void put32(Bytes& b, uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) b.push_back(static_cast<uint8_t>(v >> s));
}

TEST(RtcpParse, ReadsOurOwnSenderReport) {
  SenderReport sr;
  sr.ssrc = 0x11223344;
  sr.wallTime = WallTime::fromUnixMicros(1'790'000'000'123'456);
  sr.rtpTimestamp = 0xfffffff0;
  sr.packetCount = 1234;
  sr.octetCount = 567890;
  const Bytes bytes = makeSenderReport(sr, "vigil@host");
  auto c = parseRtcp(bytes);
  ASSERT_TRUE(c.isOk()) << c.status().toString();
  ASSERT_EQ(c->senderReports.size(), 1u);
  const auto& r = c->senderReports[0];
  EXPECT_EQ(r.report.ssrc, sr.ssrc);
  EXPECT_EQ(r.report.rtpTimestamp, sr.rtpTimestamp);
  EXPECT_EQ(r.report.packetCount, 1234u);
  EXPECT_EQ(r.report.octetCount, 567890u);
  EXPECT_LE(std::abs((r.report.wallTime - sr.wallTime).count()), 1);
  EXPECT_EQ(r.ntpTimestamp, sr.wallTime.toNtp());
  EXPECT_TRUE(r.blocks.empty());
  EXPECT_EQ(c->skippedPackets, 1u);  // the SDES
  EXPECT_FALSE(c->malformedTail);
}

// A camera's compound: RR with one report block, SDES, BYE with a reason.
TEST(RtcpParse, ReceiverReportAndBye) {
  Bytes b = {0x81, 201, 0, 7};
  put32(b, 0xaabbccdd);                         // reporter
  put32(b, 0x01020304);                         // source
  b.insert(b.end(), {0x40, 0xff, 0xff, 0xfe});  // 25 % lost, cumulative -2
  put32(b, 0x00010005);
  put32(b, 77);
  put32(b, 0x12345678);
  put32(b, 0x00008000);
  b.insert(b.end(), {0x81, 202, 0, 2});  // SDES, skipped
  put32(b, 0xaabbccdd);
  b.insert(b.end(), {0, 0, 0, 0});
  b.insert(b.end(), {0x81, 203, 0, 3});  // BYE, 1 SSRC, reason "bye" padded
  put32(b, 0xaabbccdd);
  b.insert(b.end(), {3, 'b', 'y', 'e', 0, 0, 0, 0});
  auto c = parseRtcp(b);
  ASSERT_TRUE(c.isOk()) << c.status().toString();
  ASSERT_EQ(c->receiverReports.size(), 1u);
  const auto& rr = c->receiverReports[0];
  EXPECT_EQ(rr.ssrc, 0xaabbccddu);
  ASSERT_EQ(rr.blocks.size(), 1u);
  EXPECT_EQ(rr.blocks[0].ssrc, 0x01020304u);
  EXPECT_EQ(rr.blocks[0].fractionLost, 0x40);
  EXPECT_EQ(rr.blocks[0].cumulativeLost, -2);
  EXPECT_EQ(rr.blocks[0].extendedHighestSequence, 0x00010005u);
  EXPECT_EQ(rr.blocks[0].jitter, 77u);
  EXPECT_EQ(rr.blocks[0].lastSenderReport, 0x12345678u);
  EXPECT_EQ(rr.blocks[0].delaySinceLastSenderReport, 0x8000u);
  ASSERT_EQ(c->byes.size(), 1u);
  EXPECT_EQ(c->byes[0].ssrcs, std::vector<uint32_t>{0xaabbccdd});
  EXPECT_EQ(c->byes[0].reason, "bye");
  EXPECT_EQ(c->skippedPackets, 1u);
}

TEST(RtcpParse, SenderReportWithBlockAndPadding) {
  Bytes b = {0xa1, 200, 0, 13};  // padding bit, RC = 1
  put32(b, 1);
  put32(b, 0xe0000000);
  put32(b, 0x80000000);
  put32(b, 90000);
  put32(b, 10);
  put32(b, 1000);
  for (int i = 0; i < 6; ++i) put32(b, static_cast<uint32_t>(i));
  b.insert(b.end(), {0, 0, 0, 4});  // 4 bytes of padding
  auto c = parseRtcp(b);
  ASSERT_TRUE(c.isOk()) << c.status().toString();
  ASSERT_EQ(c->senderReports.size(), 1u);
  EXPECT_EQ(c->senderReports[0].ntpTimestamp, 0xe000000080000000ull);
  EXPECT_EQ(c->senderReports[0].blocks.size(), 1u);
}

TEST(RtcpParse, Malformed) {
  EXPECT_FALSE(parseRtcp(Bytes{}).isOk());
  EXPECT_FALSE(parseRtcp(Bytes{0x80, 200, 0}).isOk());
  EXPECT_FALSE(parseRtcp(Bytes{0x40, 200, 0, 0}).isOk());              // version 1
  EXPECT_FALSE(parseRtcp(Bytes{0x80, 200, 0, 6, 1, 2}).isOk());        // length past the end
  EXPECT_FALSE(parseRtcp(Bytes{0x80, 200, 0, 0}).isOk());              // SR without sender info
  EXPECT_FALSE(parseRtcp(Bytes{0x81, 201, 0, 1, 0, 0, 0, 1}).isOk());  // RC 1, no block
  EXPECT_FALSE(parseRtcp(Bytes{0xa0, 201, 0, 1, 0, 0, 0, 9}).isOk());  // padding > body
  EXPECT_FALSE(parseRtcp(Bytes{0x81, 203, 0, 0}).isOk());              // BYE without SSRC
}

TEST(RtcpParse, GoodPacketThenGarbage) {
  Bytes b = {0x80, 201, 0, 1};
  put32(b, 5);
  b.insert(b.end(), {0xff, 0xff});
  auto c = parseRtcp(b);
  ASSERT_TRUE(c.isOk());
  EXPECT_EQ(c->receiverReports.size(), 1u);
  EXPECT_TRUE(c->malformedTail);
}

}  // namespace
}  // namespace vigil::rtsp

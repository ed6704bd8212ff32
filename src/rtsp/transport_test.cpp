#include "rtsp/transport.h"

#include <gtest/gtest.h>

namespace vigil::rtsp {
namespace {

TEST(Transport, ParsesTcpAndUdpAlternatives) {
  auto specs = parseTransportHeader(
      "RTP/AVP/TCP;unicast;interleaved=2-3, RTP/AVP;unicast;client_port=5000-5001;ssrc=1A2B3C4D");
  ASSERT_TRUE(specs.isOk());
  ASSERT_EQ(specs->size(), 2u);
  EXPECT_TRUE((*specs)[0].tcp);
  EXPECT_EQ((*specs)[0].interleavedRtp, 2);
  EXPECT_EQ((*specs)[0].interleavedRtcp, 3);
  EXPECT_FALSE((*specs)[1].tcp);
  EXPECT_EQ((*specs)[1].clientRtpPort, 5000);
  EXPECT_EQ((*specs)[1].clientRtcpPort, 5001);
  EXPECT_EQ((*specs)[1].ssrc, 0x1A2B3C4Du);
}

TEST(Transport, FormatsWhatItParses) {
  TransportSpec s;
  s.clientRtpPort = 6000;
  s.clientRtcpPort = 6001;
  s.serverRtpPort = 7000;
  s.serverRtcpPort = 7001;
  s.ssrc = 0xAB;
  EXPECT_EQ(s.toString(), "RTP/AVP;unicast;client_port=6000-6001;server_port=7000-7001;ssrc=000000AB");
  auto back = parseTransportHeader(s.toString());
  ASSERT_TRUE(back.isOk());
  EXPECT_EQ((*back)[0].serverRtpPort, 7000);
}

TEST(Transport, RejectsBadValues) {
  EXPECT_FALSE(parseTransportHeader("RTP/AVP;client_port=99999-100000").isOk());
  EXPECT_FALSE(parseTransportHeader("RTP/AVP/TCP;interleaved=300-301").isOk());
  EXPECT_FALSE(parseTransportHeader("RAW/RAW/UDP;unicast").isOk());
  EXPECT_FALSE(parseTransportHeader("").isOk());
}

}  // namespace
}  // namespace vigil::rtsp

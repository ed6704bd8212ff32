#include "rtsp/sdp.h"

#include <gtest/gtest.h>

#include "media/parameter_sets.h"

namespace vigil::rtsp {
namespace {

using media::Bytes;
using media::VideoCodec;

// base64 of the libx264 1280x720 High SPS / PPS (see parameter_sets_test.cpp).
constexpr std::string_view kSps720 = "Z2QAH6zZQFAFuwEQAAADABAAAAMDIPGDGWA=";
constexpr std::string_view kPps = "aOvjyyLA";
// libx265 640x360 Main VPS / SPS / PPS.
constexpr std::string_view kVps360 = "QAEMAf//AWAAAAMAkAAAAwAAAwA/lZgJ";
constexpr std::string_view kSps360 = "QgEBAWAAAAMAkAAAAwAAAwA/oAUCAWlllZpJMrwFoCAAAAMAIAAAAwMh";
constexpr std::string_view kPps265 = "RAHBcrRiQA==";

std::string crlf(std::string_view lfText) {
  std::string out;
  for (char c : lfText) {
    if (c == '\n') out += '\r';
    out += c;
  }
  return out;
}

int spsWidth(VideoCodec codec, const Bytes& sps) {
  auto info = media::parseSps(codec, sps);
  return info ? info->width : -1;
}

// A Hikvision DS-2CD2xxx main stream: absolute control URLs with a query,
// PCMA audio with rtpmap, vendor attributes, spaces after ';' in fmtp.
TEST(Sdp, HikvisionH264WithPcma) {
  const std::string text = crlf(std::string(R"(v=0
o=- 1109162014219182 1109162014219192 IN IP4 192.168.1.64
s=Media Presentation
e=NONE
b=AS:5050
t=0 0
a=control:rtsp://192.168.1.64:554/Streaming/Channels/101/?transportmode=unicast
m=video 0 RTP/AVP 96
c=IN IP4 0.0.0.0
b=AS:5000
a=recvonly
a=x-dimensions:1280,720
a=control:rtsp://192.168.1.64:554/Streaming/Channels/101/trackID=1?transportmode=unicast
a=rtpmap:96 H264/90000
a=fmtp:96 profile-level-id=64001f; packetization-mode=1; sprop-parameter-sets=)") +
                                std::string(kSps720) + "," + std::string(kPps) + R"(
m=audio 0 RTP/AVP 8
c=IN IP4 0.0.0.0
b=AS:50
a=recvonly
a=control:rtsp://192.168.1.64:554/Streaming/Channels/101/trackID=2?transportmode=unicast
a=rtpmap:8 PCMA/8000
a=Media_header:MEDIAINFO=494D4B48010100000400010010710110401F000000FA000000000000000000000000000000000000;
a=appversion:1.0
)");
  auto sd = parseSdp(text);
  ASSERT_TRUE(sd.isOk()) << sd.status().toString();
  EXPECT_EQ(sd->sessionName, "Media Presentation");
  EXPECT_EQ(sd->control, "rtsp://192.168.1.64:554/Streaming/Channels/101/?transportmode=unicast");
  ASSERT_EQ(sd->media.size(), 2u);
  const SdpMedia& v = sd->media[0];
  EXPECT_EQ(v.type, "video");
  EXPECT_EQ(v.protocol, "RTP/AVP");
  EXPECT_EQ(v.payloadType, 96);
  EXPECT_EQ(v.encodingName, "H264");
  EXPECT_EQ(v.clockRate, 90000u);
  EXPECT_EQ(v.videoCodec, VideoCodec::kH264);
  EXPECT_EQ(v.fmtp.at("packetization-mode"), "1");
  EXPECT_EQ(v.fmtp.at("profile-level-id"), "64001f");
  ASSERT_EQ(v.sps.size(), 1u);
  ASSERT_EQ(v.pps.size(), 1u);
  EXPECT_EQ(spsWidth(VideoCodec::kH264, v.sps[0]), 1280);
  EXPECT_EQ(v.pps[0], (Bytes{0x68, 0xeb, 0xe3, 0xcb, 0x22, 0xc0}));
  EXPECT_EQ(v.connectionAddress, "0.0.0.0");
  const SdpMedia& a = sd->media[1];
  EXPECT_EQ(a.type, "audio");
  EXPECT_EQ(a.payloadType, 8);
  EXPECT_EQ(a.encodingName, "PCMA");
  EXPECT_EQ(a.clockRate, 8000u);
  EXPECT_EQ(a.channels, 1);
  EXPECT_FALSE(a.videoCodec.has_value());
  EXPECT_EQ(resolveControlUrl("rtsp://192.168.1.64:554/Streaming/Channels/101/", a.control),
            "rtsp://192.168.1.64:554/Streaming/Channels/101/trackID=2?transportmode=unicast");
}

TEST(Sdp, HikvisionH265) {
  const std::string text = crlf(R"(v=0
o=- 1 1 IN IP4 192.168.1.64
s=Media Presentation
t=0 0
m=video 0 RTP/AVP 96
a=rtpmap:96 H265/90000
a=fmtp:96 sprop-vps=QAEMAf//AWAAAAMAkAAAAwAAAwA/lZgJ; sprop-sps=QgEBAWAAAAMAkAAAAwAAAwA/oAUCAWlllZpJMrwFoCAAAAMAIAAAAwMh; sprop-pps=RAHBcrRiQA==
a=control:trackID=1
)");
  auto sd = parseSdp(text);
  ASSERT_TRUE(sd.isOk());
  const SdpMedia& v = sd->media.at(0);
  EXPECT_EQ(v.videoCodec, VideoCodec::kH265);
  ASSERT_EQ(v.vps.size(), 1u);
  ASSERT_EQ(v.sps.size(), 1u);
  ASSERT_EQ(v.pps.size(), 1u);
  EXPECT_EQ(spsWidth(VideoCodec::kH265, v.sps[0]), 640);
  EXPECT_EQ(v.pps[0], (Bytes{0x44, 0x01, 0xc1, 0x72, 0xb4, 0x62, 0x40}));
}

// Dahua: session "a=control:*", relative track controls, a=framerate with
// decimals, a Content-Base that ends in a query plus '/'.
TEST(Sdp, DahuaRelativeControlsAndFramerate) {
  const std::string text = crlf(std::string(R"(v=0
o=- 2252142342 2252142342 IN IP4 0.0.0.0
s=Media Server
c=IN IP4 0.0.0.0
t=0 0
a=control:*
a=packetization-supported:DH
a=rtppayload-supported:DH
a=range:npt=now-
m=video 0 RTP/AVP 96
a=control:trackID=0
a=framerate:25.000000
a=rtpmap:96 H264/90000
a=fmtp:96 packetization-mode=1;profile-level-id=64001F;sprop-parameter-sets=)") +
                                std::string(kSps720) + "," + std::string(kPps) + R"(
a=recvonly
m=audio 0 RTP/AVP 8
a=control:trackID=1
a=rtpmap:8 PCMA/8000
a=recvonly
)");
  auto sd = parseSdp(text);
  ASSERT_TRUE(sd.isOk());
  EXPECT_EQ(sd->control, "*");
  EXPECT_EQ(sd->range, "npt=now-");
  ASSERT_EQ(sd->media.size(), 2u);
  EXPECT_DOUBLE_EQ(sd->media[0].framerate.value_or(0), 25.0);
  EXPECT_EQ(sd->media[0].connectionAddress, "0.0.0.0");  // inherited from the session
  const std::string base =
      controlBaseUrl("rtsp://10.0.0.9:554/cam/realmonitor?channel=1&subtype=0/", std::nullopt,
                     "rtsp://10.0.0.9:554/cam/realmonitor?channel=1&subtype=0");
  EXPECT_EQ(resolveControlUrl(base, sd->control), base);
  EXPECT_EQ(resolveControlUrl(base, sd->media[0].control),
            "rtsp://10.0.0.9:554/cam/realmonitor?channel=1&subtype=0/trackID=0");
  EXPECT_EQ(resolveControlUrl(base, sd->media[1].control),
            "rtsp://10.0.0.9:554/cam/realmonitor?channel=1&subtype=0/trackID=1");
}

// GStreamer's rtsp-server (rtph265pay): fmtp after framerate, extra
// attributes, stream=N controls.
TEST(Sdp, GStreamerH265) {
  const std::string text = crlf(std::string(R"(v=0
o=- 1188340656180883 1 IN IP4 127.0.0.1
s=Session streamed with GStreamer
i=rtsp-server
t=0 0
a=tool:GStreamer
a=type:broadcast
a=control:*
a=range:npt=now-
m=video 0 RTP/AVP 96
c=IN IP4 0.0.0.0
b=AS:2000
a=rtpmap:96 H265/90000
a=framerate:30
a=fmtp:96 sprop-pps=)") + std::string(kPps265) +
                                ";sprop-sps=" + std::string(kSps360) +
                                ";sprop-vps=" + std::string(kVps360) +
                                R"(
a=control:stream=0
a=ts-refclk:local
a=mediaclk:sender
)");
  auto sd = parseSdp(text);
  ASSERT_TRUE(sd.isOk());
  EXPECT_EQ(sd->sessionName, "Session streamed with GStreamer");
  const SdpMedia& v = sd->media.at(0);
  EXPECT_EQ(v.videoCodec, VideoCodec::kH265);
  EXPECT_EQ(v.vps.size(), 1u);
  EXPECT_EQ(v.sps.size(), 1u);
  EXPECT_EQ(v.pps.size(), 1u);
  EXPECT_DOUBLE_EQ(v.framerate.value_or(0), 30.0);
  EXPECT_EQ(resolveControlUrl("rtsp://127.0.0.1:8554/test", v.control),
            "rtsp://127.0.0.1:8554/test/stream=0");
}

// VLC's RTSP output: AAC first with mixed-case fmtp keys and a trailing ';',
// the same payload type 96 in both sections, absolute controls.
TEST(Sdp, VlcAacAndH264) {
  const std::string text = std::string(R"(v=0
o=- 16036432797040577166 16036432797040577166 IN IP4 host
s=Unnamed
i=N/A
c=IN IP4 0.0.0.0
t=0 0
a=tool:vlc 3.0.18
a=recvonly
a=type:broadcast
a=charset:UTF-8
a=control:rtsp://127.0.0.1:8554/x
m=audio 0 RTP/AVP 96
b=RR:0
a=rtpmap:96 mpeg4-generic/48000/2
a=fmtp:96 streamtype=5; profile-level-id=15; mode=AAC-hbr; config=1190; SizeLength=13; IndexLength=3; IndexDeltaLength=3; Profile=1;
a=control:rtsp://127.0.0.1:8554/x/trackID=4
m=video 0 RTP/AVP 96
b=RR:0
a=rtpmap:96 H264/90000
a=fmtp:96 packetization-mode=1;profile-level-id=64001f;sprop-parameter-sets=)") +
                           std::string(kSps720) + "," + std::string(kPps) + R"(;
a=control:rtsp://127.0.0.1:8554/x/trackID=5
)";
  auto sd = parseSdp(text);
  ASSERT_TRUE(sd.isOk());
  ASSERT_EQ(sd->media.size(), 2u);
  const SdpMedia& a = sd->media[0];
  EXPECT_EQ(a.encodingName, "MPEG4-GENERIC");
  EXPECT_EQ(a.clockRate, 48000u);
  EXPECT_EQ(a.channels, 2);
  ASSERT_TRUE(a.aac.has_value());
  EXPECT_EQ(a.aac->mode, "AAC-hbr");
  EXPECT_EQ(a.aac->sizeLength, 13);
  EXPECT_EQ(a.aac->indexLength, 3);
  EXPECT_EQ(a.aac->indexDeltaLength, 3);
  EXPECT_EQ(a.aac->audioSpecificConfig, (Bytes{0x11, 0x90}));
  EXPECT_EQ(a.aac->sampleRate, 48000);
  EXPECT_EQ(a.aac->channels, 2);
  EXPECT_EQ(resolveControlUrl("rtsp://127.0.0.1:8554/x", a.control),
            "rtsp://127.0.0.1:8554/x/trackID=4");
  const SdpMedia& v = sd->media[1];
  EXPECT_EQ(v.videoCodec, VideoCodec::kH264);
  EXPECT_EQ(v.sps.size(), 1u);
  EXPECT_EQ(v.pps.size(), 1u);
}

// live555: "a=control:track1" relative to the request URL when there is no
// Content-Base.
TEST(Sdp, Live555) {
  const std::string text = crlf(std::string(R"(v=0
o=- 1606740620384706 1 IN IP4 192.168.1.10
s=H.264 Video, streamed by the LIVE555 Media Server
i=test.264
t=0 0
a=tool:LIVE555 Streaming Media v2020.08.19
a=type:broadcast
a=control:*
a=range:npt=0-
a=x-qt-text-nam:H.264 Video, streamed by the LIVE555 Media Server
m=video 0 RTP/AVP 96
c=IN IP4 0.0.0.0
b=AS:500
a=rtpmap:96 H264/90000
a=fmtp:96 packetization-mode=1;profile-level-id=64001F;sprop-parameter-sets=)") +
                                std::string(kSps720) + "," + std::string(kPps) + R"(
a=control:track1
)");
  auto sd = parseSdp(text);
  ASSERT_TRUE(sd.isOk());
  EXPECT_EQ(sd->sessionName, "H.264 Video, streamed by the LIVE555 Media Server");
  const std::string base =
      controlBaseUrl(std::nullopt, std::nullopt, "rtsp://192.168.1.10:8554/test.264");
  EXPECT_EQ(resolveControlUrl(base, sd->media.at(0).control),
            "rtsp://192.168.1.10:8554/test.264/track1");
}

TEST(Sdp, StaticPayloadTypesWithoutRtpmap) {
  auto sd = parseSdp("m=audio 0 RTP/AVP 0\nm=audio 0 RTP/AVP 8\nm=video 0 RTP/AVP 26\n");
  ASSERT_TRUE(sd.isOk());
  ASSERT_EQ(sd->media.size(), 3u);
  EXPECT_EQ(sd->media[0].encodingName, "PCMU");
  EXPECT_EQ(sd->media[0].clockRate, 8000u);
  EXPECT_EQ(sd->media[0].channels, 1);
  EXPECT_EQ(sd->media[1].encodingName, "PCMA");
  EXPECT_EQ(sd->media[2].encodingName, "JPEG");
  EXPECT_EQ(sd->media[2].clockRate, 90000u);
}

// What broken cameras send: no v=/o=/s=, trailing spaces and tabs, LF-only
// and CRLF lines mixed, a lower-case encoding, rtpmap without clock rate,
// fmtp for a payload type the m= line does not list, whitespace and garbage
// in sprop-parameter-sets, a blank line and lines without '='.
TEST(Sdp, ToleratesBrokenCameras) {
  const std::string text =
      std::string("m=video 0 RTP/AVP 96   \r\n") + "a=rtpmap:96 h264\t \n" +
      "this line is not sdp\n" + "\n" +
      "a=fmtp:97 packetization-mode=1; sprop-parameter-sets= " + std::string(kSps720) +
      " ,!!notbase64!!, " + std::string(kPps) + " ,,\r\n" + "a=control: trackID=1 \r\n" +
      "a=framerate:abc\n" + "m=\n" + "a=control:ignored\n";
  auto sd = parseSdp(text);
  ASSERT_TRUE(sd.isOk());
  ASSERT_EQ(sd->media.size(), 1u);
  EXPECT_EQ(sd->control, "");  // from the unreadable section: dropped
  const SdpMedia& v = sd->media[0];
  EXPECT_EQ(v.encodingName, "H264");
  EXPECT_EQ(v.clockRate, 90000u);  // the H.264 default
  EXPECT_EQ(v.control, "trackID=1");
  EXPECT_FALSE(v.framerate.has_value());
  EXPECT_EQ(v.sps.size(), 1u);
  EXPECT_EQ(v.pps.size(), 1u);
}

// A line for another payload type does not override the right one.
TEST(Sdp, OwnPayloadTypeWins) {
  auto sd = parseSdp(
      "m=video 0 RTP/AVP 96\na=rtpmap:96 H264/90000\na=rtpmap:97 H265/90000\n"
      "a=fmtp:96 packetization-mode=1\na=fmtp:98 packetization-mode=0\n");
  ASSERT_TRUE(sd.isOk());
  EXPECT_EQ(sd->media[0].encodingName, "H264");
  EXPECT_EQ(sd->media[0].fmtp.at("packetization-mode"), "1");
}

// Several formats on one m= line: the first is the one set up.
TEST(Sdp, FirstFormatOfTheMediaLine) {
  auto sd = parseSdp(
      "m=video 5000/2 RTP/AVP 97 96\nc=IN IP4 239.1.1.1/127\na=rtpmap:96 H264/90000\n"
      "a=rtpmap:97 H265/90000\n");
  ASSERT_TRUE(sd.isOk());
  const SdpMedia& v = sd->media[0];
  EXPECT_EQ(v.port, 5000);
  EXPECT_EQ(v.payloadType, 97);
  EXPECT_EQ(v.encodingName, "H265");
  EXPECT_EQ(v.connectionAddress, "239.1.1.1");
}

TEST(Sdp, AacWithoutHeadersParameters) {
  auto sd = parseSdp(
      "m=audio 0 RTP/AVP 97\na=rtpmap:97 MPEG4-GENERIC/16000\n"
      "a=fmtp:97 streamtype=5;mode=AAC-hbr;config=zz;sizeLength=x\n");
  ASSERT_TRUE(sd.isOk());
  const SdpMedia& a = sd->media[0];
  ASSERT_TRUE(a.aac.has_value());
  EXPECT_TRUE(a.aac->audioSpecificConfig.empty());
  EXPECT_EQ(a.aac->sizeLength, 0);
  EXPECT_EQ(a.channels, 1);
  EXPECT_EQ(a.aac->sampleRate, 0);
}

TEST(Sdp, FailsWithoutMedia) {
  EXPECT_FALSE(parseSdp("").isOk());
  EXPECT_FALSE(parseSdp("v=0\r\ns=nothing\r\n").isOk());
  EXPECT_FALSE(parseSdp("\0\0\0garbage").isOk());
}

TEST(ControlUrl, BaseSelection) {
  EXPECT_EQ(controlBaseUrl("rtsp://a/b/", "rtsp://c/d", "rtsp://e/f"), "rtsp://a/b/");
  EXPECT_EQ(controlBaseUrl("  ", "rtsp://c/d", "rtsp://e/f"), "rtsp://c/d");
  EXPECT_EQ(controlBaseUrl(std::nullopt, std::nullopt, "rtsp://e/f"), "rtsp://e/f");
}

TEST(ControlUrl, Resolution) {
  EXPECT_EQ(resolveControlUrl("rtsp://h/s/", "*"), "rtsp://h/s/");
  EXPECT_EQ(resolveControlUrl("rtsp://h/s/", ""), "rtsp://h/s/");
  EXPECT_EQ(resolveControlUrl("rtsp://h/s/", "trackID=1"), "rtsp://h/s/trackID=1");
  EXPECT_EQ(resolveControlUrl("rtsp://h/s", "trackID=1"), "rtsp://h/s/trackID=1");
  EXPECT_EQ(resolveControlUrl("rtsp://h/s", "rtsp://other:8554/t"), "rtsp://other:8554/t");
  EXPECT_EQ(resolveControlUrl("rtsp://h/s", "RTSPS://other/t"), "RTSPS://other/t");
  EXPECT_EQ(resolveControlUrl("rtsp://u:p@h:554/s/x", "/live/track2"),
            "rtsp://u:p@h:554/live/track2");
  EXPECT_EQ(resolveControlUrl("rtsp://h:554", "/t"), "rtsp://h:554/t");
  // A "://" inside a relative path is not a scheme.
  EXPECT_EQ(resolveControlUrl("rtsp://h/s", "a/b://c"), "rtsp://h/s/a/b://c");
}

}  // namespace
}  // namespace vigil::rtsp

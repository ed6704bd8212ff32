#include "rtsp/message.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <span>
#include <string>
#include <vector>

namespace vigil::rtsp {
namespace {

using namespace std::string_literals;

ByteView bytesOf(std::string_view s) { return {reinterpret_cast<const uint8_t*>(s.data()), s.size()}; }

TEST(RtspSplitter, FramesARequest) {
  RtspSplitter s;
  s.append(bytesOf("OPTIONS rtsp://h/cam/0 RTSP/1.0\r\nCSeq: 1\r\nUser-Agent: x\r\n\r\n"));
  ASSERT_EQ(s.next(), RtspSplitter::Item::kMessage);
  EXPECT_TRUE(s.message().isRequest);
  EXPECT_EQ(s.message().method, "OPTIONS");
  EXPECT_EQ(s.message().uri, "rtsp://h/cam/0");
  EXPECT_EQ(s.message().cseq(), 1u);
  EXPECT_EQ(s.message().header("user-agent"), "x");
  EXPECT_EQ(s.next(), RtspSplitter::Item::kNeedMore);
}

TEST(RtspSplitter, FramesByteByByteWithBodyAndInterleavedData) {
  const std::string wire =
      "RTSP/1.0 200 OK\r\nCSeq: 2\r\nContent-Length: 5\r\n\r\nv=0\r\n"
      "$\x01\x00\x03" "abc"
      "GET_PARAMETER * RTSP/1.0\nCSeq: 3\n\n"s;
  RtspSplitter s;
  std::vector<RtspSplitter::Item> items;
  for (char c : wire) {
    s.append(bytesOf(std::string_view(&c, 1)));
    for (auto item = s.next(); item != RtspSplitter::Item::kNeedMore; item = s.next()) {
      items.push_back(item);
      if (item == RtspSplitter::Item::kMessage && !s.message().isRequest) {
        EXPECT_EQ(s.message().statusCode, 200);
        EXPECT_EQ(s.message().body, "v=0\r\n");
      }
      if (item == RtspSplitter::Item::kInterleaved) {
        EXPECT_EQ(s.channel(), 1);
        EXPECT_EQ(std::string(s.payload().begin(), s.payload().end()), "abc");
      }
      if (item == RtspSplitter::Item::kMessage && s.message().isRequest) {
        EXPECT_EQ(s.message().method, "GET_PARAMETER");  // bare LF line ends are accepted
        EXPECT_EQ(s.message().cseq(), 3u);
      }
    }
  }
  EXPECT_EQ(items, (std::vector<RtspSplitter::Item>{RtspSplitter::Item::kMessage,
                                                    RtspSplitter::Item::kInterleaved,
                                                    RtspSplitter::Item::kMessage}));
}

TEST(RtspSplitter, RejectsGarbageAndOversizedHeads) {
  RtspSplitter garbage;
  garbage.append(bytesOf("\x16\x03\x01 TLS hello"));
  EXPECT_EQ(garbage.next(), RtspSplitter::Item::kError);

  RtspSplitter big(RtspSplitter::Limits{64, 64});
  big.append(bytesOf("OPTIONS * RTSP/1.0\r\nX: " + std::string(100, 'a')));
  EXPECT_EQ(big.next(), RtspSplitter::Item::kError);

  RtspSplitter body(RtspSplitter::Limits{1024, 4});
  body.append(bytesOf("ANNOUNCE * RTSP/1.0\r\nCSeq: 1\r\nContent-Length: 5\r\n\r\n"));
  EXPECT_EQ(body.next(), RtspSplitter::Item::kError);

  for (const char* bad : {"OPTIONS\r\n\r\n", "OPTIONS * HTTP/1.1\r\n\r\n", "RTSP/1.0 abc OK\r\n\r\n",
                          "OPTIONS * RTSP/1.0\r\nno colon\r\n\r\n",
                          "OPTIONS * RTSP/1.0\r\nContent-Length: -1\r\n\r\n"}) {
    RtspSplitter s;
    s.append(bytesOf(bad));
    EXPECT_EQ(s.next(), RtspSplitter::Item::kError) << bad;
    EXPECT_FALSE(s.error().isOk());
  }
}

// Reads straight into the splitter (prepare/commit) that end mid-packet:
// the unframed tail moves to the front of the buffer without being damaged.
TEST(RtspSplitter, FramesBytesReadIntoItsBuffer) {
  std::string wire;
  std::vector<std::string> sent;
  for (size_t i = 0; i < 200; ++i) {
    const size_t len = i % 7 == 0 ? 65535 : (i * 977) % 1500 + 1;
    std::string payload(len, '\0');
    for (size_t j = 0; j < len; ++j) payload[j] = static_cast<char>((i * 31 + j) & 0xff);
    wire += '$';
    wire += static_cast<char>(i % 2);
    wire += static_cast<char>(len >> 8);
    wire += static_cast<char>(len & 0xff);
    wire += payload;
    sent.push_back(std::move(payload));
  }
  RtspSplitter s;
  std::vector<std::string> received;
  for (size_t at = 0, read = 1; at < wire.size(); read = read * 7 % 90001 + 1) {
    const std::span<uint8_t> room = s.prepare(64 * 1024);
    ASSERT_GE(room.size(), 64u * 1024);
    const size_t n = std::min({read, room.size(), wire.size() - at});
    std::memcpy(room.data(), wire.data() + at, n);
    s.commit(n);
    at += n;
    for (auto item = s.next(); item != RtspSplitter::Item::kNeedMore; item = s.next()) {
      ASSERT_EQ(item, RtspSplitter::Item::kInterleaved);
      EXPECT_EQ(s.channel(), received.size() % 2);
      received.emplace_back(s.payload().begin(), s.payload().end());
    }
  }
  EXPECT_EQ(s.buffered(), 0u);
  ASSERT_EQ(received.size(), sent.size());
  for (size_t i = 0; i < sent.size(); ++i) EXPECT_EQ(received[i], sent[i]) << "packet " << i;
}

TEST(RtspMessage, SerializesWithContentLength) {
  RtspMessage m = RtspMessage::response(200, "OK", 7);
  m.body = "v=0\r\n";
  EXPECT_EQ(m.serialize(), "RTSP/1.0 200 OK\r\nCSeq: 7\r\nContent-Length: 5\r\n\r\nv=0\r\n");
}

}  // namespace
}  // namespace vigil::rtsp

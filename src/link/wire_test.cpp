#include "link/wire.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

namespace vigil::link {
namespace {

std::vector<uint8_t> bytes(std::initializer_list<int> list) {
  std::vector<uint8_t> out;
  for (int b : list) out.push_back(static_cast<uint8_t>(b));
  return out;
}

TEST(Wire, FrameHeaderIsVersionKindReservedChannelLength) {
  const auto f = encodeFrame(Kind::kData, 0x01020304, bytes({0xaa, 0xbb}));
  EXPECT_EQ(f, bytes({1, 0x80, 0, 0, 1, 2, 3, 4, 0, 0, 0, 2, 0xaa, 0xbb}));
  auto back = decodeFrame(f);
  ASSERT_TRUE(back) << back.status().toString();
  EXPECT_EQ(back->kind, Kind::kData);
  EXPECT_EQ(back->channel, 0x01020304u);
  EXPECT_EQ(back->payload, bytes({0xaa, 0xbb}));
}

TEST(Wire, BadFramesAreRefusedWithTheReason) {
  auto error = [](std::vector<uint8_t> f) {
    auto r = decodeFrame(f);
    return r ? std::string("ok") : r.status().message();
  };
  EXPECT_EQ(error(bytes({1, 6, 0})), "link frame: truncated");
  EXPECT_EQ(error(bytes({2, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})), "link frame: version 2, expected 1");
  EXPECT_EQ(error(bytes({1, 6, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0})), "link frame: reserved bits set");
  EXPECT_EQ(error(bytes({1, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})), "link frame: unknown kind 9");
  EXPECT_EQ(error(bytes({1, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 7})), "link frame: length 2 but 1 bytes follow");
  EXPECT_EQ(error(bytes({1, 6, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0})),
            "link frame: control frames go on channel 0, data frames off it");
  EXPECT_EQ(error(bytes({1, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})),
            "link frame: control frames go on channel 0, data frames off it");
  std::vector<uint8_t> big = encodeFrame(Kind::kData, 1, std::vector<uint8_t>(kMaxFrameBytes - kHeaderBytes + 1));
  EXPECT_EQ(error(big), "link frame: 65537 bytes, more than 65536");
  big.pop_back();
  big[11] -= 1;  // length one less, to match
  EXPECT_EQ(error(big), "ok");
}

TEST(Wire, MessagesRoundTrip) {
  Hello h{"house-7", {}};
  h.nonce.fill(7);
  auto hb = decodeHello(encode(h));
  ASSERT_TRUE(hb);
  EXPECT_EQ(hb->childId, "house-7");
  EXPECT_EQ(hb->nonce, h.nonce);

  Challenge c;
  c.nonce.fill(1);
  c.proof.fill(2);
  auto cb = decodeChallenge(encode(c));
  ASSERT_TRUE(cb);
  EXPECT_EQ(cb->nonce, c.nonce);
  EXPECT_EQ(cb->proof, c.proof);

  Auth a;
  a.proof.fill(3);
  EXPECT_EQ(decodeAuth(encode(a))->proof, a.proof);

  auto r = decodeRefuse(encode(Refuse{RefuseCode::kRemoved, "removed by the admin"}));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->code, RefuseCode::kRemoved);
  EXPECT_EQ(r->reason, "removed by the admin");

  EXPECT_EQ(decodePing(encode(Ping{0x0102030405060708}))->id, 0x0102030405060708u);
  EXPECT_TRUE(decodeWelcome({}).isOk());
}

TEST(Wire, BadMessagesAreRefused) {
  Hello h{"House 7", {}};  // not an id
  EXPECT_EQ(decodeHello(encode(h)).status().message(), "link hello: node id must be 1 to 64 of a-z, 0-9, '_' and '-'");
  auto hello = encode(Hello{"h", {}});
  hello.push_back(0);
  EXPECT_EQ(decodeHello(hello).status().message(), "link hello: trailing bytes");
  hello.resize(20);
  EXPECT_EQ(decodeHello(hello).status().message(), "link hello: truncated");
  EXPECT_FALSE(decodeAuth(std::vector<uint8_t>(63)));
  EXPECT_FALSE(decodeChallenge(std::vector<uint8_t>(97)));
  EXPECT_EQ(decodeRefuse(encode(Refuse{RefuseCode::kRemoved, "line\nforged"})).status().message(),
            "link refuse: reason is not printable ASCII");
  EXPECT_EQ(decodeRefuse(bytes({0, 99})).status().message(), "link refuse: unknown code 99");
  EXPECT_FALSE(decodePing(bytes({1, 2, 3})));
  EXPECT_FALSE(decodeWelcome(bytes({0})).isOk());
}

TEST(Wire, DeliveriesAndAcksRoundTripAndBadOnesAreRefusedWithTheReason) {
  const Delivery d{0x0102030405060708, 7, "audit.checkpoint", bytes({1, 2, 3})};
  const auto encoded = encode(d);
  EXPECT_EQ(encoded.size(), kDeliveryHeaderBytes + d.type.size() + 3);
  auto back = decodeDelivery(encoded);
  ASSERT_TRUE(back) << back.status().toString();
  EXPECT_EQ(back->stream, d.stream);
  EXPECT_EQ(back->seq, 7u);
  EXPECT_EQ(back->type, "audit.checkpoint");
  EXPECT_EQ(back->body, bytes({1, 2, 3}));
  auto ack = decodeAck(encode(Ack{9, 7}));
  ASSERT_TRUE(ack);
  EXPECT_EQ(ack->stream, 9u);
  EXPECT_EQ(ack->seq, 7u);

  auto deliveryError = [](const Delivery& m) {
    auto r = decodeDelivery(encode(m));
    return r ? std::string("ok") : r.status().message();
  };
  EXPECT_EQ(deliveryError({0, 1, "t", {}}), "link delivery: stream 0");
  EXPECT_EQ(deliveryError({1, 0, "t", {}}), "link delivery: sequence number 0 out of range");
  EXPECT_EQ(deliveryError({1, uint64_t{1} << 63, "t", {}}), "link delivery: sequence number 9223372036854775808 out of range");
  EXPECT_EQ(deliveryError({1, 1, "", {}}), "link delivery: message type must be 1 to 32 of a-z, 0-9, '.', '_' and '-'");
  EXPECT_EQ(deliveryError({1, 1, "Alarm", {}}), "link delivery: message type must be 1 to 32 of a-z, 0-9, '.', '_' and '-'");
  EXPECT_EQ(deliveryError({1, 1, "t", std::vector<uint8_t>(kMaxMessageBodyBytes + 1)}),
            fmt::format("link delivery: body of {} bytes, more than {}", kMaxMessageBodyBytes + 1, kMaxMessageBodyBytes));
  EXPECT_EQ(decodeDelivery(bytes({0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 5, 'a'})).status().message(),
            "link delivery: truncated");
  EXPECT_EQ(decodeAck(bytes({0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0})).status().message(), "link ack: truncated");
  EXPECT_EQ(decodeAck(bytes({0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0})).status().message(),
            "link ack: trailing bytes");
  // The largest body fits one frame.
  const Delivery largest{1, 1, std::string(kMaxMessageTypeBytes, 'a'), std::vector<uint8_t>(kMaxMessageBodyBytes)};
  EXPECT_EQ(encodeFrame(Kind::kDeliver, 0, encode(largest)).size(), kMaxFrameBytes);
}

}  // namespace
}  // namespace vigil::link

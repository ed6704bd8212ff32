#include "rtsp/depacketizer.h"

#include <gtest/gtest.h>

#include <list>

#include "rtsp/packetizer.h"

namespace vigil::rtsp {
namespace {

using media::Bytes;
using media::VideoCodec;

// libx264 1280x720 and 1920x1080 High SPS, and a PPS (parameter_sets_test.cpp).
const Bytes kSps720 = {0x67, 0x64, 0x00, 0x1f, 0xac, 0xd9, 0x40, 0x50, 0x05,
                       0xbb, 0x01, 0x10, 0x00, 0x00, 0x03, 0x00, 0x10, 0x00,
                       0x00, 0x03, 0x03, 0x20, 0xf1, 0x83, 0x19, 0x60};
const Bytes kSps1080 = {0x67, 0x64, 0x00, 0x28, 0xac, 0xd9, 0x40, 0x78, 0x02,
                        0x27, 0xe5, 0xc0, 0x44, 0x00, 0x00, 0x03, 0x00, 0x04,
                        0x00, 0x00, 0x03, 0x00, 0xc8, 0x3c, 0x60, 0xc6, 0x58};
const Bytes kPps = {0x68, 0xeb, 0xe3, 0xcb, 0x22, 0xc0};
// libx265 640x360 Main.
const Bytes kVps265 = {0x40, 0x01, 0x0c, 0x01, 0xff, 0xff, 0x01, 0x60, 0x00, 0x00, 0x03, 0x00,
                       0x90, 0x00, 0x00, 0x03, 0x00, 0x00, 0x03, 0x00, 0x3f, 0x95, 0x98, 0x09};
const Bytes kSps265 = {0x42, 0x01, 0x01, 0x01, 0x60, 0x00, 0x00, 0x03, 0x00, 0x90, 0x00,
                       0x00, 0x03, 0x00, 0x00, 0x03, 0x00, 0x3f, 0xa0, 0x05, 0x02, 0x01,
                       0x69, 0x65, 0x95, 0x9a, 0x49, 0x32, 0xbc, 0x05, 0xa0, 0x20, 0x00,
                       0x00, 0x03, 0x00, 0x20, 0x00, 0x00, 0x03, 0x03, 0x21};
const Bytes kPps265 = {0x44, 0x01, 0xc1, 0x72, 0xb4, 0x62, 0x40};

Bytes nalOf(std::initializer_list<uint8_t> header, size_t bodySize, uint8_t seed = 1) {
  Bytes n(header);
  for (size_t i = 0; i < bodySize; ++i) n.push_back(static_cast<uint8_t>(seed + i * 7));
  return n;
}

Bytes lengthPrefixed(std::initializer_list<const Bytes*> nals) {
  Bytes out;
  for (const Bytes* n : nals) media::appendLengthPrefixed(out, *n);
  return out;
}

// Builds packets whose payload bytes outlive the RtpPacket views.
class Packets {
 public:
  RtpPacket make(uint16_t seq, uint32_t ts, bool marker, Bytes payload) {
    store_.push_back(std::move(payload));
    RtpPacket p;
    p.header.sequence = seq;
    p.header.timestamp = ts;
    p.header.marker = marker;
    p.payload = store_.back();
    return p;
  }

 private:
  std::list<Bytes> store_;
};

Bytes stapA(std::initializer_list<const Bytes*> nals) {
  Bytes p{0x18};  // F=0, NRI=0, type 24
  for (const Bytes* n : nals) {
    p.push_back(static_cast<uint8_t>(n->size() >> 8));
    p.push_back(static_cast<uint8_t>(n->size()));
    p.insert(p.end(), n->begin(), n->end());
  }
  return p;
}

Bytes fuA(const Bytes& nal, size_t from, size_t to, bool start, bool end) {
  Bytes p{static_cast<uint8_t>((nal[0] & 0xe0) | 28),
          static_cast<uint8_t>((start ? 0x80 : 0) | (end ? 0x40 : 0) | (nal[0] & 0x1f))};
  p.insert(p.end(), nal.begin() + static_cast<long>(from), nal.begin() + static_cast<long>(to));
  return p;
}

TEST(VideoDepacketizer, H264StapAThenSingleNalLearnsParameterSets) {
  VideoDepacketizer d(VideoCodec::kH264, nullptr);
  Packets pk;
  const Bytes idr = nalOf({0x65}, 50);
  d.push(pk.make(100, 9000, false, stapA({&kSps720, &kPps})));
  EXPECT_FALSE(d.pop().has_value());
  d.push(pk.make(101, 9000, true, idr));
  auto au = d.pop();
  ASSERT_TRUE(au.has_value());
  EXPECT_EQ(au->rtpTimestamp, 9000u);
  EXPECT_TRUE(au->keyframe);
  EXPECT_FALSE(au->parametersChanged);
  EXPECT_FALSE(au->afterLoss);
  EXPECT_EQ(au->data, lengthPrefixed({&kSps720, &kPps, &idr}));
  ASSERT_TRUE(au->params);
  EXPECT_EQ(au->params->width, 1280);
  EXPECT_EQ(au->params->height, 720);
  EXPECT_EQ(au->params->sps, std::vector<Bytes>{kSps720});
  EXPECT_EQ(au->params->pps, std::vector<Bytes>{kPps});
  EXPECT_FALSE(d.pop().has_value());
  EXPECT_EQ(d.counters().accessUnits, 1u);
  EXPECT_EQ(d.counters().packets, 2u);
}

TEST(VideoDepacketizer, H264FuAReassembly) {
  VideoDepacketizer d(VideoCodec::kH264, nullptr);
  Packets pk;
  const Bytes slice = nalOf({0x41}, 3000);  // non-IDR, NRI 2
  d.push(pk.make(7, 100, false, fuA(slice, 1, 1000, true, false)));
  d.push(pk.make(8, 100, false, fuA(slice, 1000, 2000, false, false)));
  d.push(pk.make(9, 100, true, fuA(slice, 2000, slice.size(), false, true)));
  auto au = d.pop();
  ASSERT_TRUE(au.has_value());
  EXPECT_FALSE(au->keyframe);
  EXPECT_EQ(au->data, lengthPrefixed({&slice}));
  EXPECT_EQ(au->params, nullptr);
}

TEST(VideoDepacketizer, LossInsideFragmentDropsTheAccessUnit) {
  VideoDepacketizer d(VideoCodec::kH264, nullptr);
  Packets pk;
  const Bytes idr = nalOf({0x65}, 3000);
  const Bytes next = nalOf({0x41}, 20);
  d.push(pk.make(1, 100, false, fuA(idr, 1, 1000, true, false)));
  // seq 2 lost
  d.push(pk.make(3, 100, true, fuA(idr, 2000, idr.size(), false, true)));
  EXPECT_FALSE(d.pop().has_value());
  d.push(pk.make(4, 200, true, next));
  auto au = d.pop();
  ASSERT_TRUE(au.has_value());
  EXPECT_EQ(au->rtpTimestamp, 200u);
  EXPECT_TRUE(au->afterLoss);
  EXPECT_EQ(d.counters().packetsLost, 1u);
  EXPECT_EQ(d.counters().accessUnitsDropped, 1u);
  // The flag is cleared once reported.
  d.push(pk.make(5, 300, true, next));
  EXPECT_FALSE(d.pop()->afterLoss);
}

// A lost packet between access units may have been the head of the next
// one: that one is dropped as well.
TEST(VideoDepacketizer, LossBetweenAccessUnitsDropsTheNextOne) {
  VideoDepacketizer d(VideoCodec::kH264, nullptr);
  Packets pk;
  const Bytes slice = nalOf({0x41}, 20);
  d.push(pk.make(1, 100, true, slice));
  d.push(pk.make(3, 200, true, slice));  // 2 lost
  d.push(pk.make(4, 300, true, slice));
  EXPECT_EQ(d.pop()->rtpTimestamp, 100u);
  auto au = d.pop();
  ASSERT_TRUE(au.has_value());
  EXPECT_EQ(au->rtpTimestamp, 300u);
  EXPECT_TRUE(au->afterLoss);
  EXPECT_EQ(d.counters().accessUnitsDropped, 1u);
}

TEST(VideoDepacketizer, TimestampChangeEndsAnAccessUnitWithoutMarker) {
  VideoDepacketizer d(VideoCodec::kH264, nullptr);
  Packets pk;
  const Bytes a = nalOf({0x41}, 10, 1), b = nalOf({0x41}, 10, 2);
  d.push(pk.make(1, 100, false, a));
  EXPECT_FALSE(d.pop().has_value());
  d.push(pk.make(2, 200, false, b));
  auto au = d.pop();
  ASSERT_TRUE(au.has_value());
  EXPECT_EQ(au->rtpTimestamp, 100u);
  EXPECT_EQ(au->data, lengthPrefixed({&a}));
}

TEST(VideoDepacketizer, LateAndDuplicatePacketsAreIgnored) {
  VideoDepacketizer d(VideoCodec::kH264, nullptr);
  Packets pk;
  const Bytes a = nalOf({0x41}, 10);
  d.push(pk.make(10, 100, true, a));
  d.push(pk.make(10, 100, true, a));  // duplicate
  d.push(pk.make(5, 50, true, a));    // late
  d.push(pk.make(11, 200, true, a));
  EXPECT_EQ(d.pop()->rtpTimestamp, 100u);
  EXPECT_EQ(d.pop()->rtpTimestamp, 200u);
  EXPECT_FALSE(d.pop().has_value());
  EXPECT_EQ(d.counters().packetsLate, 2u);
  EXPECT_EQ(d.counters().packetsLost, 0u);
}

TEST(VideoDepacketizer, SequenceWrapsWithoutLoss) {
  VideoDepacketizer d(VideoCodec::kH264, nullptr);
  Packets pk;
  const Bytes a = nalOf({0x41}, 10);
  d.push(pk.make(65534, 100, true, a));
  d.push(pk.make(65535, 200, true, a));
  d.push(pk.make(0, 300, true, a));
  d.push(pk.make(1, 400, true, a));
  EXPECT_EQ(d.counters().packetsLost, 0u);
  EXPECT_EQ(d.counters().accessUnits, 4u);
}

TEST(VideoDepacketizer, MalformedPayloadsDropTheAccessUnit) {
  Packets pk;
  const Bytes good = nalOf({0x41}, 10);
  const std::vector<Bytes> bad = {
      {},                              // empty
      {0x18, 0x00, 0x40, 0x41},        // STAP-A size past the end
      {0x18, 0x00, 0x00},              // STAP-A zero-size NAL unit
      {0x18},                          // STAP-A with nothing
      {0x18, 0x00, 0x01, 0x41, 0x00},  // STAP-A trailing byte
      {0x1c},                          // FU-A without FU header
      {0x1c, 0x05, 0x01, 0x02},        // FU-A middle without start
      {0x1d, 0x85, 0x00, 0x00},        // FU-B
      {0x19, 0x00, 0x00, 0x01, 0x41},  // STAP-B
      {0x00, 0x01},                    // reserved type 0
  };
  for (size_t i = 0; i < bad.size(); ++i) {
    VideoDepacketizer d(VideoCodec::kH264, nullptr);
    d.push(pk.make(1, 100, false, good));
    d.push(pk.make(2, 100, true, bad[i]));
    EXPECT_FALSE(d.pop().has_value()) << i;
    EXPECT_EQ(d.counters().packetsMalformed, 1u) << i;
    EXPECT_EQ(d.counters().accessUnitsDropped, 1u) << i;
    d.push(pk.make(3, 200, true, good));
    EXPECT_TRUE(d.pop().has_value()) << i;
  }
}

TEST(VideoDepacketizer, FragmentCutShortByAnotherNal) {
  VideoDepacketizer d(VideoCodec::kH264, nullptr);
  Packets pk;
  const Bytes idr = nalOf({0x65}, 100);
  d.push(pk.make(1, 100, false, fuA(idr, 1, 50, true, false)));
  d.push(pk.make(2, 100, true, nalOf({0x41}, 10)));
  EXPECT_FALSE(d.pop().has_value());
  EXPECT_EQ(d.counters().accessUnitsDropped, 1u);
  // A start fragment, then the marker without the end fragment.
  d.push(pk.make(3, 200, true, fuA(idr, 1, 50, true, false)));
  EXPECT_FALSE(d.pop().has_value());
  EXPECT_EQ(d.counters().accessUnitsDropped, 2u);
}

TEST(VideoDepacketizer, ParameterSetsFromSdpAreNotAChange) {
  auto fromSdp = std::make_shared<media::VideoParameters>();
  fromSdp->codec = VideoCodec::kH264;
  fromSdp->sps = {kSps720};
  fromSdp->pps = {kPps};
  fromSdp->width = 1280;
  fromSdp->height = 720;
  VideoDepacketizer d(VideoCodec::kH264, fromSdp);
  Packets pk;
  const Bytes idr = nalOf({0x65}, 50), p = nalOf({0x41}, 10);
  d.push(pk.make(1, 100, true, p));  // before any keyframe: params from SDP
  auto first = d.pop();
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->params.get(), fromSdp.get());
  d.push(pk.make(2, 200, false, stapA({&kSps720, &kPps})));
  d.push(pk.make(3, 200, true, idr));
  auto au = d.pop();
  ASSERT_TRUE(au.has_value());
  EXPECT_FALSE(au->parametersChanged);
  EXPECT_EQ(au->params.get(), fromSdp.get());
}

TEST(VideoDepacketizer, NewSpsInBandSetsParametersChanged) {
  VideoDepacketizer d(VideoCodec::kH264, nullptr);
  Packets pk;
  const Bytes idr = nalOf({0x65}, 50), p = nalOf({0x41}, 10);
  d.push(pk.make(1, 100, false, stapA({&kSps720, &kPps})));
  d.push(pk.make(2, 100, true, idr));
  d.push(pk.make(3, 200, true, p));
  d.push(pk.make(4, 300, false, stapA({&kSps1080, &kPps})));
  d.push(pk.make(5, 300, true, idr));
  d.push(pk.make(6, 400, true, p));
  auto a = d.pop(), b = d.pop(), c = d.pop(), e = d.pop();
  ASSERT_TRUE(a && b && c && e);
  EXPECT_FALSE(a->parametersChanged);
  EXPECT_FALSE(b->parametersChanged);
  EXPECT_TRUE(c->parametersChanged);
  EXPECT_FALSE(e->parametersChanged);
  EXPECT_EQ(b->params->height, 720);
  EXPECT_EQ(c->params->height, 1080);
  EXPECT_EQ(c->params->sps, std::vector<Bytes>{kSps1080});  // same id 0: replaced
  EXPECT_EQ(b->params->sps, std::vector<Bytes>{kSps720});   // earlier units keep theirs
}

// The same SPS with another VUI (here timing for 30 fps instead of 25, as
// x264 writes it) and parameter sets in another order: no new segment.
TEST(VideoDepacketizer, SpsRepeatedWithAnotherVuiIsNoChange) {
  const Bytes sps720at30 = {0x67, 0x64, 0x00, 0x1f, 0xac, 0xd9, 0x40, 0x50, 0x05, 0xbb, 0x01, 0x10, 0x00,
                            0x00, 0x03, 0x00, 0x10, 0x00, 0x00, 0x03, 0x03, 0xc0, 0xf1, 0x83, 0x19, 0x60};
  VideoDepacketizer d(VideoCodec::kH264, nullptr);
  Packets pk;
  const Bytes idr = nalOf({0x65}, 50);
  d.push(pk.make(1, 100, false, stapA({&kSps720, &kPps})));
  d.push(pk.make(2, 100, true, idr));
  d.push(pk.make(3, 200, false, stapA({&kPps, &sps720at30})));
  d.push(pk.make(4, 200, true, idr));
  auto a = d.pop(), b = d.pop();
  ASSERT_TRUE(a && b);
  EXPECT_FALSE(b->parametersChanged);
  EXPECT_EQ(b->params.get(), a->params.get());
  EXPECT_EQ(b->params->sps, std::vector<Bytes>{kSps720});
}

// Some cameras send SPS and PPS as packets of their own, with the marker bit
// or another timestamp: they go before the next picture.
TEST(VideoDepacketizer, ParameterSetsWithTheirOwnMarkerAreCarried) {
  VideoDepacketizer d(VideoCodec::kH264, nullptr);
  Packets pk;
  const Bytes idr = nalOf({0x65}, 50);
  d.push(pk.make(1, 90, true, kSps720));
  d.push(pk.make(2, 95, true, kPps));
  EXPECT_FALSE(d.pop().has_value());
  d.push(pk.make(3, 100, true, idr));
  auto au = d.pop();
  ASSERT_TRUE(au.has_value());
  EXPECT_EQ(au->rtpTimestamp, 100u);
  EXPECT_EQ(au->data, lengthPrefixed({&kSps720, &kPps, &idr}));
  EXPECT_EQ(d.counters().accessUnitsDropped, 0u);
}

// Filler is kept: vigil records what the camera sent (and a benchmark
// compares bytes on disk with what was sent).
TEST(VideoDepacketizer, FillerDataIsKept) {
  VideoDepacketizer d(VideoCodec::kH264, nullptr);
  Packets pk;
  const Bytes slice = nalOf({0x41}, 10), filler = nalOf({0x0c}, 30);
  d.push(pk.make(1, 100, true, stapA({&slice, &filler})));
  EXPECT_EQ(d.pop()->data, lengthPrefixed({&slice, &filler}));
}

TEST(VideoDepacketizer, OversizedAccessUnitIsDropped) {
  VideoDepacketizer d(VideoCodec::kH264, nullptr);
  Packets pk;
  const Bytes big = nalOf({0x41}, 60000);
  uint16_t seq = 0;
  for (size_t sent = 0; sent <= VideoDepacketizer::kMaxAccessUnitBytes; sent += big.size()) {
    d.push(pk.make(seq++, 100, false, big));
  }
  d.push(pk.make(seq++, 100, true, big));
  EXPECT_FALSE(d.pop().has_value());
  EXPECT_EQ(d.counters().accessUnitsDropped, 1u);
}

// What vigil's own packetizer produces comes back unchanged.
TEST(VideoDepacketizer, RoundTripThroughPacketizer) {
  for (VideoCodec codec : {VideoCodec::kH264, VideoCodec::kH265}) {
    std::vector<Bytes> nals;
    if (codec == VideoCodec::kH264) {
      nals = {kSps720, kPps, nalOf({0x65}, 5000, 3), nalOf({0x65}, 700, 9)};
    } else {
      nals = {kVps265, kSps265, kPps265, nalOf({0x26, 0x01}, 5000, 3), nalOf({0x26, 0x01}, 900, 5)};
    }
    std::vector<media::ByteView> views(nals.begin(), nals.end());
    const auto payloads = packetizeAccessUnit(codec, views, 1200);
    VideoDepacketizer d(codec, nullptr);
    Packets pk;
    for (size_t i = 0; i < payloads.size(); ++i) {
      Bytes p(payloads[i].prefix.begin(), payloads[i].prefix.begin() + payloads[i].prefixSize);
      p.insert(p.end(), payloads[i].body.begin(), payloads[i].body.end());
      d.push(pk.make(static_cast<uint16_t>(i), 3600, i + 1 == payloads.size(), std::move(p)));
    }
    auto au = d.pop();
    ASSERT_TRUE(au.has_value()) << media::codecName(codec);
    Bytes expected;
    for (const auto& n : nals) media::appendLengthPrefixed(expected, n);
    EXPECT_EQ(au->data, expected);
    EXPECT_TRUE(au->keyframe);
    ASSERT_TRUE(au->params);
    EXPECT_EQ(au->params->width, codec == VideoCodec::kH264 ? 1280 : 640);
    EXPECT_EQ(d.counters().packetsMalformed, 0u);
  }
}

TEST(VideoDepacketizer, H265AggregationAndFragmentation) {
  VideoDepacketizer d(VideoCodec::kH265, nullptr);
  Packets pk;
  // AP (type 48) with VPS, SPS, PPS.
  Bytes ap{0x60, 0x01};
  for (const Bytes* n : {&kVps265, &kSps265, &kPps265}) {
    ap.push_back(static_cast<uint8_t>(n->size() >> 8));
    ap.push_back(static_cast<uint8_t>(n->size()));
    ap.insert(ap.end(), n->begin(), n->end());
  }
  d.push(pk.make(1, 100, false, ap));
  // FU (type 49) of an IDR_W_RADL (19) with nuh_temporal_id_plus1 = 1.
  const Bytes idr = nalOf({0x26, 0x01}, 2000);
  auto fu = [&](size_t from, size_t to, bool s, bool e) {
    Bytes p{static_cast<uint8_t>((idr[0] & 0x81) | (49 << 1)), idr[1],
            static_cast<uint8_t>((s ? 0x80 : 0) | (e ? 0x40 : 0) | 19)};
    p.insert(p.end(), idr.begin() + static_cast<long>(from), idr.begin() + static_cast<long>(to));
    return p;
  };
  d.push(pk.make(2, 100, false, fu(2, 1000, true, false)));
  d.push(pk.make(3, 100, true, fu(1000, idr.size(), false, true)));
  auto au = d.pop();
  ASSERT_TRUE(au.has_value());
  EXPECT_TRUE(au->keyframe);
  EXPECT_EQ(au->data, lengthPrefixed({&kVps265, &kSps265, &kPps265, &idr}));
  ASSERT_TRUE(au->params);
  EXPECT_EQ(au->params->vps.size(), 1u);
  EXPECT_EQ(au->params->width, 640);
  EXPECT_EQ(au->params->height, 360);
  // PACI (50) is not supported: dropped and counted.
  d.push(pk.make(4, 200, true, Bytes{0x64, 0x01, 0x00, 0x00}));
  EXPECT_FALSE(d.pop().has_value());
  EXPECT_EQ(d.counters().packetsMalformed, 1u);
}

// --- audio -----------------------------------------------------------------

AacParameters aacHbr() {
  AacParameters p;
  p.mode = "AAC-hbr";
  p.sizeLength = 13;
  p.indexLength = 3;
  p.indexDeltaLength = 3;
  return p;
}

// AU-headers-length, then one 16-bit header (13-bit size, 3-bit index) per AU.
Bytes aacPacket(const std::vector<Bytes>& aus, std::optional<size_t> declaredSize = {}) {
  Bytes p;
  const size_t bits = 16 * aus.size();
  p.push_back(static_cast<uint8_t>(bits >> 8));
  p.push_back(static_cast<uint8_t>(bits));
  for (const Bytes& au : aus) {
    const size_t size = declaredSize.value_or(au.size());
    p.push_back(static_cast<uint8_t>(size >> 5));
    p.push_back(static_cast<uint8_t>((size & 0x1f) << 3));
  }
  for (const Bytes& au : aus) p.insert(p.end(), au.begin(), au.end());
  return p;
}

TEST(AudioDepacketizer, AacSeveralAccessUnitsPerPacket) {
  AudioDepacketizer d(AudioCodec::kAac, aacHbr());
  Packets pk;
  const Bytes a = nalOf({0x21}, 200, 1), b = nalOf({0x21}, 300, 2), c = nalOf({0x21}, 5, 3);
  d.push(pk.make(1, 48000, true, aacPacket({a, b, c})));
  auto f1 = d.pop(), f2 = d.pop(), f3 = d.pop();
  ASSERT_TRUE(f1 && f2 && f3);
  EXPECT_EQ(f1->data, a);
  EXPECT_EQ(f2->data, b);
  EXPECT_EQ(f3->data, c);
  EXPECT_EQ(f1->rtpTimestamp, 48000u);
  EXPECT_EQ(f2->rtpTimestamp, 48000u + 1024);
  EXPECT_EQ(f3->rtpTimestamp, 48000u + 2048);
  EXPECT_FALSE(d.pop().has_value());
}

TEST(AudioDepacketizer, AacFragmentedAccessUnit) {
  AudioDepacketizer d(AudioCodec::kAac, aacHbr());
  Packets pk;
  const Bytes big = nalOf({0x21}, 2999);
  const size_t n = big.size();
  auto part = [&](size_t from, size_t to) {
    return Bytes(big.begin() + static_cast<long>(from), big.begin() + static_cast<long>(to));
  };
  d.push(pk.make(1, 1000, false, aacPacket({part(0, 1200)}, n)));
  d.push(pk.make(2, 1000, false, aacPacket({part(1200, 2400)}, n)));
  EXPECT_FALSE(d.pop().has_value());
  d.push(pk.make(3, 1000, true, aacPacket({part(2400, n)}, n)));
  auto f = d.pop();
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->data, big);
  EXPECT_EQ(f->rtpTimestamp, 1000u);

  // The same with the middle fragment lost: dropped, counted.
  d.push(pk.make(4, 2024, false, aacPacket({part(0, 1200)}, n)));
  d.push(pk.make(6, 2024, true, aacPacket({part(2400, n)}, n)));
  EXPECT_FALSE(d.pop().has_value());
  EXPECT_EQ(d.counters().packetsLost, 1u);
  EXPECT_GE(d.counters().accessUnitsDropped, 1u);
  const Bytes small = nalOf({0x21}, 10);
  d.push(pk.make(7, 3048, true, aacPacket({small})));
  auto g = d.pop();
  ASSERT_TRUE(g.has_value());
  EXPECT_TRUE(g->afterLoss);
}

TEST(AudioDepacketizer, AacMalformedHeaders) {
  Packets pk;
  const std::vector<Bytes> bad = {
      {},                                    // empty
      {0x00},                                // no room for AU-headers-length
      {0x00, 0x00},                          // zero-length header section
      {0x00, 0x40, 0x01},                    // headers past the end
      {0x00, 0x20, 0x00, 0x80, 0x01, 0x02},  // two AUs of 16 bytes declared, 2 present
  };
  for (size_t i = 0; i < bad.size(); ++i) {
    AudioDepacketizer d(AudioCodec::kAac, aacHbr());
    d.push(pk.make(1, 0, true, bad[i]));
    EXPECT_FALSE(d.pop().has_value()) << i;
    EXPECT_EQ(d.counters().packetsMalformed, 1u) << i;
  }
}

TEST(AudioDepacketizer, G711PayloadAsIs) {
  AudioDepacketizer d(AudioCodec::kPcma, {});
  Packets pk;
  const Bytes samples(160, 0xd5);
  d.push(pk.make(1, 160, false, samples));
  d.push(pk.make(3, 480, false, samples));  // 2 lost
  auto a = d.pop(), b = d.pop();
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->data, samples);
  EXPECT_FALSE(a->afterLoss);
  EXPECT_EQ(b->rtpTimestamp, 480u);
  EXPECT_TRUE(b->afterLoss);
  EXPECT_EQ(d.counters().packetsLost, 1u);
}

TEST(SdpToDepacketizer, CodecsAndParameters) {
  auto sd = parseSdp(
      "m=audio 0 RTP/AVP 0\n"
      "m=audio 0 RTP/AVP 97\na=rtpmap:97 MPEG4-GENERIC/16000/1\n"
      "a=fmtp:97 mode=AAC-hbr;sizelength=13;indexlength=3;indexdeltalength=3;config=1408\n"
      "m=video 0 RTP/AVP 96\na=rtpmap:96 H264/90000\n"
      "a=fmtp:96 sprop-parameter-sets=Z2QAH6zZQFAFuwEQAAADABAAAAMDIPGDGWA=,aOvjyyLA\n");
  ASSERT_TRUE(sd.isOk());
  EXPECT_EQ(audioCodecOf(sd->media[0]), AudioCodec::kPcmu);
  EXPECT_EQ(audioCodecOf(sd->media[1]), AudioCodec::kAac);
  EXPECT_FALSE(audioCodecOf(sd->media[2]).has_value());
  EXPECT_EQ(videoParametersOf(sd->media[0]), nullptr);
  auto params = videoParametersOf(sd->media[2]);
  ASSERT_TRUE(params);
  EXPECT_EQ(params->width, 1280);
  EXPECT_EQ(params->sps, std::vector<Bytes>{kSps720});
  EXPECT_EQ(params->pps, std::vector<Bytes>{kPps});
}

TEST(SdpToDepacketizer, AudioParameters) {
  auto sd = parseSdp(
      "m=audio 0 RTP/AVP 8\n"
      "m=audio 0 RTP/AVP 97\na=rtpmap:97 MPEG4-GENERIC/16000/1\n"
      "a=fmtp:97 mode=AAC-hbr;sizelength=13;indexlength=3;indexdeltalength=3;config=1408\n"
      "m=audio 0 RTP/AVP 97\na=rtpmap:97 MPEG4-GENERIC/48000/1\n"
      "a=fmtp:97 mode=AAC-hbr;sizelength=13;indexlength=3;indexdeltalength=3;config=1408\n"
      "m=audio 0 RTP/AVP 97\na=rtpmap:97 MPEG4-GENERIC/16000/1\n"
      "a=fmtp:97 mode=AAC-lbr;sizelength=6;indexlength=2;indexdeltalength=2;config=1408\n"
      "m=audio 0 RTP/AVP 98\na=rtpmap:98 PCMU/1000\n");
  ASSERT_TRUE(sd.isOk());
  auto pcma = audioParametersOf(sd->media[0]);
  ASSERT_TRUE(pcma);
  EXPECT_EQ(*pcma, (media::AudioParameters{AudioCodec::kPcma, 8000, 1, {}}));
  auto aac = audioParametersOf(sd->media[1]);
  ASSERT_TRUE(aac);
  EXPECT_EQ(*aac, (media::AudioParameters{AudioCodec::kAac, 16000, 1, {0x14, 0x08}}));
  EXPECT_EQ(aac->config, media::aacLcAudioSpecificConfig(16000, 1));
  EXPECT_EQ(audioParametersOf(sd->media[2]), nullptr) << "RTP clock is not the config's rate";
  EXPECT_TRUE(audioParametersOf(sd->media[3])) << "AAC-lbr headers are read too";
  EXPECT_EQ(audioParametersOf(sd->media[4]), nullptr) << "implausible rate";
}

}  // namespace
}  // namespace vigil::rtsp

#include "link/stream_frames.h"

#include <gtest/gtest.h>

#include <limits>

#include "link/look_messages.h"
#include "link/wire.h"

namespace vigil::link {
namespace {

media::Frame frameOf(size_t size, bool key, int64_t pts, std::shared_ptr<const media::VideoParameters> params) {
  media::Frame f;
  f.pts = MediaTime(pts);
  f.captureTime = WallTime::fromUnixMicros(1'700'000'000'000'000 + pts);
  f.keyframe = key;
  f.data.resize(size);
  for (size_t i = 0; i < size; ++i) f.data[i] = static_cast<uint8_t>(i * 7 + pts);
  f.params = std::move(params);
  return f;
}

std::shared_ptr<const media::VideoParameters> params() {
  auto p = std::make_shared<media::VideoParameters>();
  p->sps = {{0x67, 0x42, 0x00, 0x1e}};
  p->pps = {{0x68, 0xce}};
  p->width = 640;
  p->height = 360;
  return p;
}

TEST(StreamFramesTest, AFrameLargerThanALinkFrameCrossesInChunksAndComesOutWhole) {
  StreamEncoder encoder;
  StreamDecoder decoder;
  const auto p = params();
  std::vector<std::vector<uint8_t>> payloads;
  encoder.encode(frameOf(200'000, true, 0, p), true, payloads);
  encoder.encode(frameOf(3'000, false, 3600, p), false, payloads);
  ASSERT_EQ(payloads.size(), 5u);  // 200 kB in 4 chunks, then one
  std::vector<StreamDecoder::Output> out;
  for (const auto& payload : payloads) {
    ASSERT_LE(payload.size() + kHeaderBytes, kMaxFrameBytes);
    auto r = decoder.push(payload);
    ASSERT_TRUE(r.isOk()) << r.status().toString();
    if (*r) out.push_back(**r);
  }
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].frame->data, frameOf(200'000, true, 0, p).data);
  EXPECT_TRUE(out[0].frame->keyframe);
  EXPECT_TRUE(out[0].newSegment);
  EXPECT_EQ(*out[0].frame->params, *p);
  EXPECT_EQ(out[1].frame->pts, MediaTime(3600));
  EXPECT_EQ(out[1].frame->captureTime, frameOf(1, false, 3600, p).captureTime);
  EXPECT_FALSE(out[1].newSegment);
  EXPECT_EQ(out[1].frame->params, out[0].frame->params);  // the same parameters, not a copy
}

TEST(StreamFramesTest, AfterADroppedChunkFramesWaitForTheNextKeyframeAndStartANewSegment) {
  StreamEncoder encoder;
  StreamDecoder decoder;
  const auto p = params();
  std::vector<std::vector<uint8_t>> payloads;
  encoder.encode(frameOf(100, true, 0, p), false, payloads);
  encoder.encode(frameOf(100'000, false, 3600, p), false, payloads);  // two chunks: the first is lost
  encoder.encode(frameOf(100, false, 7200, p), false, payloads);
  encoder.encode(frameOf(100, true, 10800, p), false, payloads);
  payloads.erase(payloads.begin() + 1);
  std::vector<StreamDecoder::Output> out;
  for (const auto& payload : payloads) {
    auto r = decoder.push(payload);
    ASSERT_TRUE(r.isOk()) << r.status().toString();
    if (*r) out.push_back(**r);
  }
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[1].frame->pts, MediaTime(10800));
  EXPECT_TRUE(out[1].newSegment);
}

TEST(StreamFramesTest, FramesBeforeTheFirstKeyframeAreSkippedAndBadFieldsRefused) {
  StreamEncoder encoder;
  StreamDecoder decoder;
  std::vector<std::vector<uint8_t>> payloads;
  encoder.encode(frameOf(100, false, 0, params()), false, payloads);
  auto r = decoder.push(payloads[0]);
  ASSERT_TRUE(r.isOk());
  EXPECT_FALSE(*r);
  auto bad = payloads[0];
  bad[4] = 0x80;  // an unknown flag
  EXPECT_EQ(decoder.push(bad).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(decoder.push(std::vector<uint8_t>{0, 0}).status().code(), StatusCode::kInvalidArgument);
}

media::Frame soundOf(int64_t pts, std::shared_ptr<const media::AudioParameters> audio) {
  media::Frame f;
  f.pts = MediaTime(pts);
  f.captureTime = WallTime::fromUnixMicros(1'700'000'000'000'000 + pts);
  f.keyframe = true;
  f.data = {0x21, 0x10, static_cast<uint8_t>(pts)};
  f.audio = std::move(audio);
  return f;
}

// A camera's sound crosses on its pictures' channel with its parameters
// in every frame; a lost chunk of a picture makes the pictures wait for a
// keyframe, not the sound, each frame of which is whole on its own.
TEST(StreamFramesTest, SoundCrossesBesideThePicturesWithItsParametersAndOutlivesAGap) {
  StreamEncoder encoder;
  StreamDecoder decoder;
  const auto p = params();
  const auto aac = std::make_shared<const media::AudioParameters>(
      media::AudioParameters{media::AudioCodec::kAac, 16000, 1, media::aacLcAudioSpecificConfig(16000, 1)});
  const auto alaw = std::make_shared<const media::AudioParameters>(media::AudioParameters{media::AudioCodec::kPcma, 8000, 1, {}});
  std::vector<std::vector<uint8_t>> payloads;
  encoder.encode(soundOf(100, aac), true, payloads);  // before the first picture: out at once
  encoder.encode(frameOf(100, true, 200, p), true, payloads);
  encoder.encode(soundOf(300, aac), false, payloads);
  encoder.encode(frameOf(100'000, false, 3800, p), false, payloads);  // two chunks: the first is lost
  encoder.encode(soundOf(4000, alaw), false, payloads);
  encoder.encode(frameOf(100, false, 7400, p), false, payloads);  // waits for a keyframe
  encoder.encode(frameOf(100, true, 11000, p), false, payloads);
  ASSERT_EQ(payloads.size(), 8u);
  payloads.erase(payloads.begin() + 3);
  std::vector<StreamDecoder::Output> out;
  for (const auto& payload : payloads) {
    auto r = decoder.push(payload);
    ASSERT_TRUE(r.isOk()) << r.status().toString();
    if (*r) out.push_back(**r);
  }
  ASSERT_EQ(out.size(), 5u);
  ASSERT_TRUE(out[0].frame->audio);
  EXPECT_EQ(*out[0].frame->audio, *aac);
  EXPECT_EQ(out[0].frame->data, soundOf(100, aac).data);
  EXPECT_EQ(out[0].frame->captureTime, soundOf(100, aac).captureTime);
  EXPECT_TRUE(out[0].newSegment);
  EXPECT_FALSE(out[0].frame->params);
  EXPECT_EQ(out[1].frame->pts, MediaTime(200));
  EXPECT_FALSE(out[1].frame->audio);
  ASSERT_TRUE(out[2].frame->audio);
  EXPECT_EQ(out[2].frame->audio, out[0].frame->audio);  // the same parameters, not a copy
  EXPECT_FALSE(out[2].newSegment);
  ASSERT_TRUE(out[3].frame->audio);  // after the gap, before the pictures come back
  EXPECT_EQ(*out[3].frame->audio, *alaw);
  EXPECT_EQ(out[3].frame->pts, MediaTime(4000));
  EXPECT_EQ(out[4].frame->pts, MediaTime(11000));
  EXPECT_TRUE(out[4].newSegment);

  // Audio parameters out of their bounds end the stream.
  auto refused = [&](size_t at, uint8_t value) {
    StreamEncoder e;
    std::vector<std::vector<uint8_t>> one;
    e.encode(soundOf(100, aac), false, one);
    one[0][at] = value;
    StreamDecoder d;
    return d.push(one[0]).status().code() == StatusCode::kInvalidArgument;
  };
  const size_t params = 5 + 8 + 8 + 4;  // seq, flags, pts, capture time, size
  EXPECT_TRUE(refused(4, 1 | 2 | 32));           // audio without its parameters
  EXPECT_TRUE(refused(params, 3));               // an unknown codec
  EXPECT_TRUE(refused(params + 1, 0xff));        // a rate past 96 kHz
  EXPECT_TRUE(refused(params + 5, 0));           // no channel
  EXPECT_TRUE(refused(params + 6, 200));         // a config longer than the payload
  EXPECT_FALSE(refused(params + 5, 2));          // two channels are fine
}

// A child's audio frame is a moment of sound, not 16 MB of G.711 (half
// an hour at 8 kHz) for the node above to transcode on its HTTP loop for
// each listener: one past the bound ends the stream, and the owner never
// sends one.
TEST(StreamFramesTest, AnAudioFrameOverItsBoundIsRefusedAndNeverSent) {
  const auto alaw = std::make_shared<const media::AudioParameters>(media::AudioParameters{media::AudioCodec::kPcma, 8000, 1, {}});
  media::Frame big = soundOf(100, alaw);
  big.data.assign(StreamDecoder::kMaxAudioFrameBytes + 1, 0xd5);
  StreamEncoder encoder;
  std::vector<std::vector<uint8_t>> payloads;
  encoder.encode(big, false, payloads);
  EXPECT_TRUE(payloads.empty());
  big.data.resize(StreamDecoder::kMaxAudioFrameBytes);
  encoder.encode(big, false, payloads);
  StreamDecoder decoder;
  std::optional<StreamDecoder::Output> heard;
  for (const auto& payload : payloads) {
    auto r = decoder.push(payload);
    ASSERT_TRUE(r.isOk()) << r.status().toString();
    if (*r) heard = **r;
  }
  ASSERT_TRUE(heard);
  EXPECT_EQ(heard->frame->data.size(), StreamDecoder::kMaxAudioFrameBytes);

  // A hostile child's: the size field says one byte more (the first chunk
  // is refused before anything is kept).
  std::vector<uint8_t> first = payloads[0];
  const size_t size = 5 + 8 + 8;  // seq, flags, pts, capture time
  const uint32_t claimed = StreamDecoder::kMaxAudioFrameBytes + 1;
  for (int i = 0; i < 4; ++i) first[size + i] = static_cast<uint8_t>(claimed >> (8 * (3 - i)));
  StreamDecoder hostile;
  EXPECT_EQ(hostile.push(first).status().code(), StatusCode::kInvalidArgument);
}

// A pts is a camera's clock, not any 64 bits: one the node above could
// not take differences of (fMP4 durations, the transcoder's count of
// samples overflowed: the sanitized build aborted) ends the stream.
TEST(StreamFramesTest, APtsFarFromZeroEndsTheStream) {
  const auto alaw = std::make_shared<const media::AudioParameters>(media::AudioParameters{media::AudioCodec::kPcma, 8000, 1, {}});
  for (int64_t pts : {std::numeric_limits<int64_t>::max(), std::numeric_limits<int64_t>::min(), (int64_t{1} << 61) + 1}) {
    for (bool sound : {true, false}) {
      StreamEncoder encoder;
      std::vector<std::vector<uint8_t>> payloads;
      media::Frame f = sound ? soundOf(0, alaw) : frameOf(10, true, 0, params());
      f.pts = MediaTime(pts);
      encoder.encode(f, false, payloads);
      StreamDecoder decoder;
      EXPECT_EQ(decoder.push(payloads[0]).status().code(), StatusCode::kInvalidArgument) << pts << " " << sound;
    }
  }
  StreamEncoder encoder;
  std::vector<std::vector<uint8_t>> payloads;
  media::Frame early = soundOf(0, alaw);
  early.pts = MediaTime(-(int64_t{1} << 61));
  encoder.encode(early, false, payloads);
  StreamDecoder decoder;
  EXPECT_TRUE(decoder.push(payloads[0]).isOk());
}

TEST(LookMessagesTest, RoundTripAndRefusals) {
  LookOpen open{7, "house7.door", access::ShareRight::kSnapshot, "desk", {"county1", "township1"}, Tier::kCounty};
  auto back = decodeLookOpen(encode(open));
  ASSERT_TRUE(back.isOk()) << back.status().toString();
  EXPECT_EQ(back->look, 7u);
  EXPECT_EQ(back->camera, "house7.door");
  EXPECT_EQ(back->right, access::ShareRight::kSnapshot);
  EXPECT_EQ(back->via, open.via);
  EXPECT_EQ(back->tier, Tier::kCounty);

  auto answer = decodeLookAnswer(encode(LookAnswer{7, true, "", 3}));
  ASSERT_TRUE(answer.isOk());
  EXPECT_EQ(answer->channel, 3u);
  auto end = decodeLookEnd(encode(LookEnd{7, "revoked: not shared with the county"}));
  ASSERT_TRUE(end.isOk());
  EXPECT_EQ(end->reason, "revoked: not shared with the county");

  auto refused = [](std::string text) {
    auto r = decodeLookOpen(std::vector<uint8_t>(text.begin(), text.end()));
    return r.isOk() ? std::string("accepted") : r.status().message();
  };
  const std::string good = R"("look":1,"right":"live","user":"u","via":["c1"],"tier":"county")";
  EXPECT_EQ(refused(R"({"camera":"../door",)" + good + "}"), "camera: must be up to four ids of [a-z0-9_-]{1,64} joined by dots");
  EXPECT_EQ(refused(R"({"camera":"a..b",)" + good + "}"), "camera: must be up to four ids of [a-z0-9_-]{1,64} joined by dots");
  EXPECT_EQ(refused(R"({"camera":"door","look":1,"right":"live","user":"u","via":["c1"],"tier":"household"})"),
            "tier: must be village, township or county");
  EXPECT_EQ(refused(R"({"camera":"door","look":-1,"right":"live","user":"u","via":["c1"],"tier":"county"})"),
            "look: required, an unsigned integer");
  EXPECT_EQ(refused(R"({"camera":"door","look":1,"right":"live","user":"u","via":[],"tier":"county"})"),
            "via: must name the node that asked");
  EXPECT_EQ(refused("[[[[[[[[[]]]]]]]]]"), "body: nested too deeply");
}

}  // namespace
}  // namespace vigil::link

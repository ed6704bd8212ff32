#include "audio/g711_to_aac.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <numbers>

#include "detect/libav.h"

extern "C" {
#include <libavutil/channel_layout.h>
}

namespace vigil::audio {
namespace {

constexpr int kRate = 8000;
constexpr int64_t kTicks = MediaDuration::kTicksPerSecond;

// `seconds` of G.711 at 8 kHz in 20 ms frames from pts `start`: silence,
// and a 1 kHz beep from `beepAt` seconds on, encoded by libavcodec.
std::vector<media::Frame> g711Frames(media::AudioCodec codec, double seconds, double beepAt, int64_t start) {
  const AVCodec* encoder =
      avcodec_find_encoder(codec == media::AudioCodec::kPcma ? AV_CODEC_ID_PCM_ALAW : AV_CODEC_ID_PCM_MULAW);
  detect::AvCodecContextPtr ctx(avcodec_alloc_context3(encoder));
  ctx->sample_rate = kRate;
  ctx->time_base = AVRational{1, kRate};
  ctx->sample_fmt = AV_SAMPLE_FMT_S16;
  av_channel_layout_default(&ctx->ch_layout, 1);
  EXPECT_GE(avcodec_open2(ctx.get(), encoder, nullptr), 0);
  detect::AvFramePtr frame(av_frame_alloc());
  detect::AvPacketPtr packet(av_packet_alloc());
  std::vector<media::Frame> out;
  const int perFrame = kRate / 50;
  for (int n = 0; n < static_cast<int>(seconds * kRate); n += perFrame) {
    frame->nb_samples = perFrame;
    frame->format = AV_SAMPLE_FMT_S16;
    frame->sample_rate = kRate;
    av_channel_layout_default(&frame->ch_layout, 1);
    EXPECT_GE(av_frame_get_buffer(frame.get(), 0), 0);
    for (int i = 0; i < perFrame; ++i) {
      const double t = static_cast<double>(n + i) / kRate;
      reinterpret_cast<int16_t*>(frame->data[0])[i] =
          t >= beepAt ? static_cast<int16_t>(16000 * std::sin(2 * std::numbers::pi * 1000 * t)) : 0;
    }
    EXPECT_GE(avcodec_send_frame(ctx.get(), frame.get()), 0);
    av_frame_unref(frame.get());
    while (avcodec_receive_packet(ctx.get(), packet.get()) == 0) {
      media::Frame f;
      f.pts = MediaTime(start + static_cast<int64_t>(n) * kTicks / kRate);
      f.keyframe = true;
      f.data.assign(packet->data, packet->data + packet->size);
      out.push_back(std::move(f));
      av_packet_unref(packet.get());
    }
  }
  return out;
}

// The AAC frames decoded: (pts of each decoded sample's frame, samples).
struct Decoded {
  std::vector<float> samples;
  int64_t firstPts = 0;
};

Decoded decodeAac(const media::AudioParameters& params, const std::vector<media::SharedFrame>& frames) {
  const AVCodec* aac = avcodec_find_decoder(AV_CODEC_ID_AAC);
  detect::AvCodecContextPtr ctx(avcodec_alloc_context3(aac));
  ctx->extradata = static_cast<uint8_t*>(av_mallocz(params.config.size() + AV_INPUT_BUFFER_PADDING_SIZE));
  std::copy(params.config.begin(), params.config.end(), ctx->extradata);
  ctx->extradata_size = static_cast<int>(params.config.size());
  EXPECT_GE(avcodec_open2(ctx.get(), aac, nullptr), 0);
  detect::AvFramePtr frame(av_frame_alloc());
  detect::AvPacketPtr packet(av_packet_alloc());
  Decoded d;
  d.firstPts = frames.front()->pts.ticks();
  for (const auto& f : frames) {
    EXPECT_GE(av_new_packet(packet.get(), static_cast<int>(f->data.size())), 0);
    std::copy(f->data.begin(), f->data.end(), packet->data);
    EXPECT_GE(avcodec_send_packet(ctx.get(), packet.get()), 0);
    av_packet_unref(packet.get());
    while (avcodec_receive_frame(ctx.get(), frame.get()) == 0) {
      const auto* plane = reinterpret_cast<const float*>(frame->data[0]);
      d.samples.insert(d.samples.end(), plane, plane + frame->nb_samples);
      av_frame_unref(frame.get());
    }
  }
  return d;
}

std::vector<media::SharedFrame> transcode(G711ToAac& t, const std::vector<media::Frame>& in) {
  std::vector<media::SharedFrame> out;
  for (const auto& f : in) {
    auto aac = t.push(f);
    EXPECT_TRUE(aac.isOk()) << aac.status().message();
    if (aac) out.insert(out.end(), aac->begin(), aac->end());
  }
  return out;
}

class G711ToAacTest : public testing::TestWithParam<media::AudioCodec> {};

TEST_P(G711ToAacTest, ABeepComesOutAsAacAtItsTime) {
  const media::AudioParameters g711{GetParam(), kRate, 1, {}};
  auto t = G711ToAac::create(g711);
  ASSERT_TRUE(t.isOk()) << t.status().message();
  const auto& out = (*t)->output();
  EXPECT_EQ(out->codec, media::AudioCodec::kAac);
  EXPECT_EQ(out->sampleRate, kRate);
  EXPECT_EQ(out->config, media::aacLcAudioSpecificConfig(kRate, 1));

  const int64_t start = 900000;  // 10 s on the video's clock
  auto frames = transcode(**t, g711Frames(GetParam(), 2.0, 0.5, start));
  ASSERT_GT(frames.size(), 10u);
  // 1024 samples a frame, pts back to back on the 90 kHz clock.
  for (size_t i = 1; i < frames.size(); ++i) {
    EXPECT_EQ(frames[i]->pts.ticks() - frames[i - 1]->pts.ticks(), 1024 * kTicks / kRate);
    EXPECT_EQ(frames[i]->audio, out);
    EXPECT_TRUE(frames[i]->keyframe);
  }
  // The beep starts 0.5 s after `start` in the decoded AAC, the encoder's
  // delay included in the pts (within 2 ms).
  Decoded d = decodeAac(*out, frames);
  size_t loud = 0;
  while (loud < d.samples.size() && std::fabs(d.samples[loud]) < 0.1f) ++loud;
  ASSERT_LT(loud, d.samples.size());
  const double beepSeconds = static_cast<double>(d.firstPts - start) / kTicks + static_cast<double>(loud) / kRate;
  EXPECT_NEAR(beepSeconds, 0.5, 0.002);
}

INSTANTIATE_TEST_SUITE_P(Codecs, G711ToAacTest, testing::Values(media::AudioCodec::kPcma, media::AudioCodec::kPcmu));

TEST(G711ToAac, AGapStartsTheCountAgain) {
  auto t = G711ToAac::create({media::AudioCodec::kPcma, kRate, 1, {}});
  ASSERT_TRUE(t.isOk());
  auto first = transcode(**t, g711Frames(media::AudioCodec::kPcma, 1.0, 0, 0));
  auto second = transcode(**t, g711Frames(media::AudioCodec::kPcma, 1.0, 0, 5 * kTicks));
  ASSERT_FALSE(first.empty());
  ASSERT_FALSE(second.empty());
  // The frames after the gap are timed from their own input, not the count.
  EXPECT_NEAR(static_cast<double>(second.front()->pts.ticks()), 5.0 * kTicks, 1024.0 * kTicks / kRate);
}

// Playback of a recording (design/STORAGE.md, "Audio"): stored G.711 as
// AAC frames from its first sample, the beep where it was.
TEST(G711ToAac, AStretchOfStoredG711BecomesAacFramesFromItsFirstSample) {
  const media::AudioParameters g711{media::AudioCodec::kPcma, kRate, 1, {}};
  media::Bytes stored;
  for (const auto& f : g711Frames(g711.codec, 2.0, 0.5, 0)) stored.insert(stored.end(), f.data.begin(), f.data.end());
  ASSERT_EQ(stored.size(), 2u * kRate);
  auto aac = g711ToAacFrames(g711, stored);
  ASSERT_TRUE(aac.isOk()) << aac.status().message();
  // 1024 samples a frame, the last padded: no priming frame left.
  ASSERT_EQ(aac->size(), (stored.size() + 1023) / 1024);
  std::vector<media::SharedFrame> frames;
  for (size_t k = 0; k < aac->size(); ++k) {
    auto f = std::make_shared<media::Frame>();
    f->pts = MediaTime(static_cast<int64_t>(k) * 1024 * kTicks / kRate);
    f->data = (*aac)[k];
    frames.push_back(std::move(f));
  }
  Decoded d = decodeAac({media::AudioCodec::kAac, kRate, 1, media::aacLcAudioSpecificConfig(kRate, 1)}, frames);
  size_t loud = 0;
  while (loud < d.samples.size() && std::fabs(d.samples[loud]) < 0.1f) ++loud;
  ASSERT_LT(loud, d.samples.size());
  EXPECT_NEAR(static_cast<double>(loud) / kRate, 0.5, 0.002);
  EXPECT_FALSE(g711ToAacFrames({media::AudioCodec::kPcma, 4000, 1, {}}, stored).isOk());
}

TEST(G711ToAac, RefusesAacAndOddRates) {
  EXPECT_FALSE(G711ToAac::create({media::AudioCodec::kAac, 16000, 1, {}}).isOk());
  EXPECT_FALSE(G711ToAac::create({media::AudioCodec::kPcmu, 4000, 1, {}}).isOk());
  EXPECT_FALSE(G711ToAac::create({media::AudioCodec::kPcmu, 8000, 3, {}}).isOk());
}

}  // namespace
}  // namespace vigil::audio

namespace vigil::audio {
namespace {
// A node below may send any pts (the link carries 64 bits): one too far
// from 0 for the count of samples from it is refused, not overflowed.
TEST(G711ToAac, PtsAtTheEndsOfTheClockAreTakenWithoutOverflow) {
  auto t = G711ToAac::create({media::AudioCodec::kPcma, 8000, 1, {}});
  ASSERT_TRUE(t.isOk());
  for (int64_t pts : {std::numeric_limits<int64_t>::max() - 10, std::numeric_limits<int64_t>::min() + 10,
                      std::numeric_limits<int64_t>::max() - 10}) {
    media::Frame f;
    f.pts = MediaTime(pts);
    f.keyframe = true;
    f.data.assign(4000, 0xd5);
    auto out = (*t)->push(f);
    EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument);
  }
  // Within the range, a stream goes on as usual.
  media::Frame f;
  f.pts = MediaTime(int64_t{1} << 62);
  f.keyframe = true;
  f.data.assign(8000, 0xd5);
  auto out = (*t)->push(f);
  ASSERT_TRUE(out.isOk()) << out.status().toString();
  EXPECT_FALSE(out->empty());
}
}  // namespace
}  // namespace vigil::audio

#include "app/test_tone.h"

#include <fmt/format.h>

#include <cmath>
#include <numbers>

#include "detect/libav.h"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavutil/channel_layout.h>
}

namespace vigil::app {
namespace {

// One loop of the tone, as samples in [-1, 1].
std::vector<float> toneLoop(int rate, int offsetMs) {
  std::vector<float> pcm(static_cast<size_t>(rate * kToneLoopSeconds));
  const int offset = rate * offsetMs / 1000;
  const int beep = rate * kBeepMs / 1000;
  for (size_t n = 0; n < pcm.size(); ++n) {
    const int inSecond = static_cast<int>(n % static_cast<size_t>(rate)) - offset;
    if (inSecond >= 0 && inSecond < beep) {
      pcm[n] = 0.5f * static_cast<float>(std::sin(2 * std::numbers::pi * kToneHz * static_cast<double>(n) / rate));
    }
  }
  return pcm;
}

}  // namespace

Result<std::shared_ptr<const rtsp::LoopedAudio>> encodeTestTone(media::AudioCodec codec, int offsetMs) {
  if (offsetMs < 0 || offsetMs > 900) return Status::invalidArgument("--audio-offset-ms must be 0-900");
  const bool aac = codec == media::AudioCodec::kAac;
  const int rate = aac ? 16000 : 8000;
  const AVCodec* encoder = avcodec_find_encoder(
      aac ? AV_CODEC_ID_AAC : codec == media::AudioCodec::kPcma ? AV_CODEC_ID_PCM_ALAW : AV_CODEC_ID_PCM_MULAW);
  if (encoder == nullptr) return Status::unimplemented("this libavcodec has no encoder for the test tone");
  detect::AvCodecContextPtr ctx(avcodec_alloc_context3(encoder));
  ctx->sample_rate = rate;
  ctx->time_base = AVRational{1, rate};
  ctx->sample_fmt = aac ? AV_SAMPLE_FMT_FLTP : AV_SAMPLE_FMT_S16;
  ctx->bit_rate = aac ? 32000 : 64000;
  av_channel_layout_default(&ctx->ch_layout, 1);
  if (int err = avcodec_open2(ctx.get(), encoder, nullptr); err < 0) {
    return Status::internal(fmt::format("cannot open the audio encoder ({})", err));
  }
  // AAC frames are 1024 samples; G.711 goes in 20 ms packets.
  const int frameSize = aac ? ctx->frame_size : rate / 50;
  const std::vector<float> loop = toneLoop(rate, offsetMs);
  const int64_t loopSamples = static_cast<int64_t>(loop.size());
  if (loopSamples % frameSize != 0) return Status::internal("the tone loop is not whole frames");

  auto out = std::make_shared<rtsp::LoopedAudio>();
  out->params.codec = codec;
  out->params.sampleRate = rate;
  out->params.channels = 1;
  if (aac) out->params.config = media::aacLcAudioSpecificConfig(rate, 1);
  out->samplesPerFrame = frameSize;

  detect::AvFramePtr frame(av_frame_alloc());
  detect::AvPacketPtr packet(av_packet_alloc());
  // The loop is encoded twice and the second pass kept: AAC frames depend
  // on the samples before them, so the kept loop joins itself seamlessly.
  auto drain = [&]() -> Status {
    while (true) {
      const int err = avcodec_receive_packet(ctx.get(), packet.get());
      if (err == AVERROR(EAGAIN) || err == AVERROR_EOF) return Status::ok();
      if (err < 0) return Status::internal(fmt::format("audio encoder failed ({})", err));
      if (packet->pts >= loopSamples && packet->pts < 2 * loopSamples) {
        out->frames.emplace_back(packet->data, packet->data + packet->size);
      }
      av_packet_unref(packet.get());
    }
  };
  for (int64_t start = 0; start < 3 * loopSamples; start += frameSize) {
    frame->nb_samples = frameSize;
    frame->format = ctx->sample_fmt;
    frame->sample_rate = rate;
    av_channel_layout_default(&frame->ch_layout, 1);
    if (int err = av_frame_get_buffer(frame.get(), 0); err < 0) return Status::internal("no audio frame buffer");
    for (int i = 0; i < frameSize; ++i) {
      const float v = loop[static_cast<size_t>((start + i) % loopSamples)];
      if (aac) {
        reinterpret_cast<float*>(frame->data[0])[i] = v;
      } else {
        reinterpret_cast<int16_t*>(frame->data[0])[i] = static_cast<int16_t>(v * 32767);
      }
    }
    frame->pts = start;
    if (int err = avcodec_send_frame(ctx.get(), frame.get()); err < 0) return Status::internal("audio encoder refused a frame");
    av_frame_unref(frame.get());
    VIGIL_RETURN_IF_ERROR(drain());
  }
  if (static_cast<int64_t>(out->frames.size()) * frameSize != loopSamples) {
    return Status::internal(fmt::format("the tone loop came out as {} frames", out->frames.size()));
  }
  return std::shared_ptr<const rtsp::LoopedAudio>(std::move(out));
}

}  // namespace vigil::app

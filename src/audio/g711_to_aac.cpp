#include "audio/g711_to_aac.h"

#include <fmt/format.h>

#include <cstdlib>

#include "detect/libav.h"

extern "C" {
#include <libavutil/channel_layout.h>
}

namespace vigil::audio {
namespace {

using detect::AvCodecContextPtr;
using detect::AvFramePtr;
using detect::AvPacketPtr;
using detect::avErrorText;

constexpr int64_t kTicksPerSecond = MediaDuration::kTicksPerSecond;
// An input frame this far from where the count of samples puts it starts
// the count again.
constexpr int64_t kMaxDriftTicks = kTicksPerSecond / 10;
// No camera's pts is this far from 0, but a node below may send any 64
// bits (design/LINK.md, "Sound"): a frame beyond is refused, so that the
// count of samples from it cannot overflow.
constexpr int64_t kMaxPtsTicks = int64_t{1} << 62;

Result<AvCodecContextPtr> openCodec(const AVCodec* codec, int rate, int channels, AVSampleFormat format) {
  AvCodecContextPtr ctx(avcodec_alloc_context3(codec));
  if (!ctx) return Status::internal("cannot allocate an audio codec context");
  ctx->sample_rate = rate;
  ctx->time_base = AVRational{1, rate};
  ctx->sample_fmt = format;
  ctx->bit_rate = 32000 * channels;
  av_channel_layout_default(&ctx->ch_layout, channels);
  if (int err = avcodec_open2(ctx.get(), codec, nullptr); err < 0) {
    return Status::internal(fmt::format("cannot open {}: {}", codec->name, avErrorText(err)));
  }
  return ctx;
}

}  // namespace

struct G711ToAac::Codecs {
  AvCodecContextPtr decoder;
  AvCodecContextPtr encoder;
  const AVCodec* aac = nullptr;
  int rate = 0;
  int channels = 0;
  AvPacketPtr packet{av_packet_alloc()};
  AvFramePtr frame{av_frame_alloc()};
};

Result<std::unique_ptr<G711ToAac>> G711ToAac::create(const media::AudioParameters& g711) {
  if (g711.codec == media::AudioCodec::kAac) return Status::invalidArgument("the input is AAC already");
  if (g711.sampleRate < 8000 || g711.sampleRate > 48000 || g711.channels < 1 || g711.channels > 2) {
    return Status::invalidArgument(
        fmt::format("G.711 at {} Hz, {} channels: only 8-48 kHz, 1 or 2", g711.sampleRate, g711.channels));
  }
  auto codecs = std::make_unique<Codecs>();
  codecs->rate = g711.sampleRate;
  codecs->channels = g711.channels;
  const AVCodec* decoder =
      avcodec_find_decoder(g711.codec == media::AudioCodec::kPcma ? AV_CODEC_ID_PCM_ALAW : AV_CODEC_ID_PCM_MULAW);
  codecs->aac = avcodec_find_encoder(AV_CODEC_ID_AAC);
  if (decoder == nullptr || codecs->aac == nullptr) return Status::unimplemented("libavcodec lacks G.711 or AAC");
  auto opened = openCodec(decoder, g711.sampleRate, g711.channels, AV_SAMPLE_FMT_S16);
  if (!opened) return opened.status();
  codecs->decoder = std::move(*opened);
  opened = openCodec(codecs->aac, g711.sampleRate, g711.channels, AV_SAMPLE_FMT_FLTP);
  if (!opened) return opened.status();
  codecs->encoder = std::move(*opened);
  if (!codecs->packet || !codecs->frame) return Status::internal("cannot allocate libav frames");
  auto output = std::make_shared<media::AudioParameters>();
  output->codec = media::AudioCodec::kAac;
  output->sampleRate = g711.sampleRate;
  output->channels = g711.channels;
  output->config = media::aacLcAudioSpecificConfig(g711.sampleRate, g711.channels);
  return std::unique_ptr<G711ToAac>(new G711ToAac(std::move(codecs), std::move(output)));
}

G711ToAac::G711ToAac(std::unique_ptr<Codecs> codecs, std::shared_ptr<const media::AudioParameters> output)
    : codecs_(std::move(codecs)), output_(std::move(output)) {}

G711ToAac::~G711ToAac() = default;

Status G711ToAac::restart() {
  // libavcodec's AAC encoder cannot be flushed and reused: a new one.
  auto encoder = openCodec(codecs_->aac, codecs_->rate, codecs_->channels, AV_SAMPLE_FMT_FLTP);
  if (!encoder) return encoder.status();
  codecs_->encoder = std::move(*encoder);
  samplesIn_ = 0;
  pending_.clear();
  pendingStart_ = 0;
  return Status::ok();
}

Result<std::vector<media::SharedFrame>> G711ToAac::push(const media::Frame& g711) {
  if (g711.pts.ticks() > kMaxPtsTicks || g711.pts.ticks() < -kMaxPtsTicks) {
    return Status::invalidArgument("G.711 frame: pts out of range");
  }
  Codecs& c = *codecs_;
  const int64_t expected = origin_ ? *origin_ + samplesIn_ * kTicksPerSecond / c.rate : 0;
  if (!origin_ || std::llabs(g711.pts.ticks() - expected) > kMaxDriftTicks) {
    if (origin_) VIGIL_RETURN_IF_ERROR(restart());
    origin_ = g711.pts.ticks();
  }
  // G.711 is one byte a sample: the decoder gives as many S16 samples.
  AVPacket* packet = c.packet.get();
  if (int err = av_new_packet(packet, static_cast<int>(g711.data.size())); err < 0) {
    return Status::internal("cannot allocate a packet");
  }
  std::copy(g711.data.begin(), g711.data.end(), packet->data);
  const int sent = avcodec_send_packet(c.decoder.get(), packet);
  av_packet_unref(packet);
  if (sent < 0) return Status::invalidArgument(fmt::format("G.711 decoder: {}", avErrorText(sent)));
  while (avcodec_receive_frame(c.decoder.get(), c.frame.get()) == 0) {
    const auto* s16 = reinterpret_cast<const int16_t*>(c.frame->data[0]);
    const int count = c.frame->nb_samples * c.channels;
    for (int i = 0; i < count; ++i) pending_.push_back(static_cast<float>(s16[i]) / 32768.0f);
    samplesIn_ += c.frame->nb_samples;
    av_frame_unref(c.frame.get());
  }
  latestCapture_ = g711.captureTime;
  std::vector<media::SharedFrame> out;
  VIGIL_RETURN_IF_ERROR(encodePending(g711.captureTime, out));
  return out;
}

Status G711ToAac::encodePending(WallTime captureTime, std::vector<media::SharedFrame>& out) {
  Codecs& c = *codecs_;
  const int frameSize = c.encoder->frame_size;
  const size_t step = static_cast<size_t>(frameSize * c.channels);
  size_t used = 0;
  for (; pending_.size() - used >= step; used += step) {
    AVFrame* frame = c.frame.get();
    frame->nb_samples = frameSize;
    frame->format = AV_SAMPLE_FMT_FLTP;
    frame->sample_rate = c.rate;
    av_channel_layout_default(&frame->ch_layout, c.channels);
    if (av_frame_get_buffer(frame, 0) < 0) return Status::internal("cannot allocate an audio frame");
    for (int ch = 0; ch < c.channels; ++ch) {
      auto* plane = reinterpret_cast<float*>(frame->data[ch]);
      for (int i = 0; i < frameSize; ++i) plane[i] = pending_[used + static_cast<size_t>(i * c.channels + ch)];
    }
    frame->pts = pendingStart_;
    pendingStart_ += frameSize;
    const int sent = avcodec_send_frame(c.encoder.get(), frame);
    av_frame_unref(frame);
    if (sent < 0) return Status::internal(fmt::format("AAC encoder: {}", avErrorText(sent)));
    takePackets(captureTime, out);
  }
  pending_.erase(pending_.begin(), pending_.begin() + static_cast<ptrdiff_t>(used));
  return Status::ok();
}

void G711ToAac::takePackets(WallTime captureTime, std::vector<media::SharedFrame>& out) {
  Codecs& c = *codecs_;
  while (avcodec_receive_packet(c.encoder.get(), c.packet.get()) == 0) {
    auto aac = std::make_shared<media::Frame>();
    // The packet's pts counts its first sample after the encoder's delay.
    aac->pts = MediaTime(*origin_ + c.packet->pts * kTicksPerSecond / c.rate);
    aac->captureTime = captureTime;
    aac->keyframe = true;
    aac->data.assign(c.packet->data, c.packet->data + c.packet->size);
    aac->audio = output_;
    out.push_back(std::move(aac));
    av_packet_unref(c.packet.get());
  }
}

Result<std::vector<media::SharedFrame>> G711ToAac::finish() {
  std::vector<media::SharedFrame> out;
  if (!origin_) return out;
  Codecs& c = *codecs_;
  const size_t step = static_cast<size_t>(c.encoder->frame_size * c.channels);
  if (const size_t partial = pending_.size() % step; partial != 0) pending_.resize(pending_.size() + step - partial, 0.0f);
  VIGIL_RETURN_IF_ERROR(encodePending(latestCapture_, out));
  if (int err = avcodec_send_frame(c.encoder.get(), nullptr); err < 0) {
    return Status::internal(fmt::format("AAC encoder: {}", avErrorText(err)));
  }
  takePackets(latestCapture_, out);
  VIGIL_RETURN_IF_ERROR(restart());
  origin_.reset();
  return out;
}

Result<std::vector<media::Bytes>> g711ToAacFrames(const media::AudioParameters& g711, media::ByteView samples) {
  auto transcoder = G711ToAac::create(g711);
  if (!transcoder) return transcoder.status();
  if (samples.empty()) return std::vector<media::Bytes>{};  // (an empty packet would flush the decoder)
  media::Frame in;
  in.pts = MediaTime(0);
  in.keyframe = true;
  in.data.assign(samples.begin(), samples.end());
  auto frames = (*transcoder)->push(in);
  if (!frames) return frames.status();
  auto tail = (*transcoder)->finish();
  if (!tail) return tail.status();
  frames->insert(frames->end(), tail->begin(), tail->end());
  std::vector<media::Bytes> out;
  out.reserve(frames->size());
  // The first frame (pts before 0) is the encoder's priming.
  for (const auto& f : *frames) {
    if (f->pts.ticks() >= 0) out.push_back(f->data);
  }
  return out;
}

}  // namespace vigil::audio

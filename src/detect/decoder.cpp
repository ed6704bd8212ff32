#include "detect/decoder.h"

namespace vigil::detect {

media::Bytes annexB(const media::VideoParameters* params, media::ByteView accessUnit) {
  static constexpr uint8_t kStartCode[] = {0, 0, 0, 1};
  media::Bytes out;
  out.reserve(accessUnit.size() + 128 + AV_INPUT_BUFFER_PADDING_SIZE);
  auto add = [&out](media::ByteView nal) {
    out.insert(out.end(), std::begin(kStartCode), std::end(kStartCode));
    out.insert(out.end(), nal.begin(), nal.end());
  };
  if (params != nullptr) {
    for (const auto* sets : {&params->vps, &params->sps, &params->pps}) {
      for (const media::Bytes& nal : *sets) add(nal);
    }
  }
  for (media::ByteView nal : media::splitLengthPrefixed(accessUnit)) add(nal);
  out.resize(out.size() + AV_INPUT_BUFFER_PADDING_SIZE, 0);
  return out;
}

Result<VideoDecoder> VideoDecoder::open(const media::VideoParameters& params) {
  const AVCodec* codec =
      avcodec_find_decoder(params.codec == media::VideoCodec::kH264 ? AV_CODEC_ID_H264 : AV_CODEC_ID_HEVC);
  if (!codec) return Status::unimplemented("no decoder for " + std::string(media::codecName(params.codec)));
  VideoDecoder decoder;
  decoder.params_ = params;
  decoder.context_.reset(avcodec_alloc_context3(codec));
  // The pool's parallelism is across cameras; frame threads would only
  // add latency and memory.
  decoder.context_->thread_count = 1;
  // Non-reference pictures are never anyone's reference: skipping their
  // loop filter costs no later picture any quality.
  decoder.context_->skip_loop_filter = AVDISCARD_NONREF;
  if (int err = avcodec_open2(decoder.context_.get(), codec, nullptr); err < 0) {
    return Status::internal("opening the decoder: " + avErrorText(err));
  }
  decoder.packet_.reset(av_packet_alloc());
  decoder.picture_.reset(av_frame_alloc());
  return decoder;
}

Status VideoDecoder::send(const media::Frame& frame, bool wanted) {
  context_->skip_frame = wanted ? AVDISCARD_DEFAULT : AVDISCARD_NONREF;
  media::Bytes stream = annexB(frame.keyframe ? &params_ : nullptr, frame.data);
  packet_->data = stream.data();
  packet_->size = static_cast<int>(stream.size() - AV_INPUT_BUFFER_PADDING_SIZE);
  packet_->pts = frame.pts.ticks();
  packet_->flags = frame.keyframe ? AV_PKT_FLAG_KEY : 0;
  const int err = avcodec_send_packet(context_.get(), packet_.get());
  packet_->data = nullptr;
  packet_->size = 0;
  if (err < 0 && err != AVERROR(EAGAIN)) return Status::invalidArgument("the frame does not decode: " + avErrorText(err));
  return Status::ok();
}

void VideoDecoder::flush() { avcodec_send_packet(context_.get(), nullptr); }

const AVFrame* VideoDecoder::receive() {
  return avcodec_receive_frame(context_.get(), picture_.get()) < 0 ? nullptr : picture_.get();
}

}  // namespace vigil::detect

#include "detect/snapshot.h"

#include <fmt/format.h>

extern "C" {
#include <libavutil/imgutils.h>
}

#include "detect/decoder.h"
#include "detect/libav.h"

namespace vigil::detect {

namespace {

Result<AvFramePtr> decode(const media::VideoParameters& params, const media::Bytes& keyframe) {
  auto decoder = VideoDecoder::open(params);
  if (!decoder) return decoder.status();
  const media::Frame frame{.keyframe = true, .data = keyframe};
  VIGIL_RETURN_IF_ERROR(decoder->send(frame, /*wanted=*/true));
  decoder->flush();  // a lone picture may sit in the reorder buffer
  const AVFrame* picture = decoder->receive();
  if (picture == nullptr) return Status::invalidArgument("the keyframe does not decode");
  return AvFramePtr(av_frame_clone(picture));
}

}  // namespace

Result<std::string> keyframeToJpeg(const media::VideoParameters& params, const media::Bytes& keyframe,
                                   int maxWidth) {
  auto decoded = decode(params, keyframe);
  if (!decoded) return decoded.status();
  AvFramePtr picture = std::move(*decoded);
  int width = picture->width;
  int height = picture->height;
  if (maxWidth > 0 && width > maxWidth) {
    height = std::max(2, static_cast<int>(int64_t{height} * maxWidth / width) & ~1);
    width = maxWidth & ~1;
  }
  // JPEG is full-range 4:2:0; cameras send limited-range 4:2:0 (or other
  // layouts), so every picture goes through swscale.
  SwsContextPtr scaler(
      sws_getContext(picture->width, picture->height, static_cast<AVPixelFormat>(picture->format), width, height,
                     AV_PIX_FMT_YUV420P, SWS_BILINEAR, nullptr, nullptr, nullptr));
  if (!scaler) return Status::internal("no scaler for this picture format");
  const int* coefficients = sws_getCoefficients(SWS_CS_ITU601);
  sws_setColorspaceDetails(scaler.get(), coefficients, picture->color_range == AVCOL_RANGE_JPEG, coefficients,
                           /*dstRange=full*/ 1, 0, 1 << 16, 1 << 16);
  AvFramePtr scaled(av_frame_alloc());
  scaled->format = AV_PIX_FMT_YUV420P;
  scaled->width = width;
  scaled->height = height;
  if (int err = av_frame_get_buffer(scaled.get(), 0); err < 0) return Status::internal(avErrorText(err));
  sws_scale(scaler.get(), picture->data, picture->linesize, 0, picture->height, scaled->data, scaled->linesize);

  const AVCodec* jpeg = avcodec_find_encoder(AV_CODEC_ID_MJPEG);
  if (!jpeg) return Status::unimplemented("no JPEG encoder");
  AvCodecContextPtr enc(avcodec_alloc_context3(jpeg));
  enc->width = width;
  enc->height = height;
  enc->pix_fmt = AV_PIX_FMT_YUV420P;
  enc->color_range = AVCOL_RANGE_JPEG;
  enc->time_base = {1, 25};
  enc->flags |= AV_CODEC_FLAG_QSCALE;
  enc->global_quality = FF_QP2LAMBDA * 4;  // visually clean, about 1/10 of the raw size
  if (int err = avcodec_open2(enc.get(), jpeg, nullptr); err < 0) {
    return Status::internal("opening the JPEG encoder: " + avErrorText(err));
  }
  scaled->quality = enc->global_quality;
  scaled->pts = 0;
  if (int err = avcodec_send_frame(enc.get(), scaled.get()); err < 0) return Status::internal(avErrorText(err));
  AvPacketPtr out(av_packet_alloc());
  if (int err = avcodec_receive_packet(enc.get(), out.get()); err < 0) return Status::internal(avErrorText(err));
  return std::string(reinterpret_cast<const char*>(out->data), static_cast<size_t>(out->size));
}

}  // namespace vigil::detect

#include "detect/snapshot.h"

#include <fmt/format.h>

#include <algorithm>

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

// A picture as JPEG, scaled to width x height: through swscale to
// full-range 4:2:0 (what JPEG is), then libavcodec's MJPEG encoder.
Result<std::string> encodeJpeg(const uint8_t* const data[], const int linesize[], int sourceWidth, int sourceHeight,
                               AVPixelFormat format, bool fullRange, int width, int height) {
  SwsContextPtr scaler(sws_getContext(sourceWidth, sourceHeight, format, width, height, AV_PIX_FMT_YUV420P,
                                      SWS_BILINEAR, nullptr, nullptr, nullptr));
  if (!scaler) return Status::internal("no scaler for this picture format");
  const int* coefficients = sws_getCoefficients(SWS_CS_ITU601);
  sws_setColorspaceDetails(scaler.get(), coefficients, fullRange, coefficients,
                           /*dstRange=full*/ 1, 0, 1 << 16, 1 << 16);
  AvFramePtr scaled(av_frame_alloc());
  scaled->format = AV_PIX_FMT_YUV420P;
  scaled->width = width;
  scaled->height = height;
  if (int err = av_frame_get_buffer(scaled.get(), 0); err < 0) return Status::internal(avErrorText(err));
  sws_scale(scaler.get(), data, linesize, 0, sourceHeight, scaled->data, scaled->linesize);

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

// A frame of `color` (B, G, R) `thickness` pixels wide along `box`'s edges, clipped to the picture.
void drawBox(BgrImage& picture, const Box& box, const uint8_t color[3], int thickness) {
  const int x0 = std::clamp(box.x, 0, picture.width), x1 = std::clamp(box.x + box.width, 0, picture.width);
  const int y0 = std::clamp(box.y, 0, picture.height), y1 = std::clamp(box.y + box.height, 0, picture.height);
  for (int y = y0; y < y1; ++y) {
    for (int x = x0; x < x1; ++x) {
      if (x - x0 >= thickness && x1 - 1 - x >= thickness && y - y0 >= thickness && y1 - 1 - y >= thickness) continue;
      std::copy(color, color + 3, picture.pixels.begin() + (size_t(y) * picture.width + x) * 3);
    }
  }
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
  // Cameras send limited-range 4:2:0 (or other layouts).
  return encodeJpeg(picture->data, picture->linesize, picture->width, picture->height,
                    static_cast<AVPixelFormat>(picture->format), picture->color_range == AVCOL_RANGE_JPEG, width,
                    height);
}

Result<std::string> boxedPictureToJpeg(const BgrImage& picture, const Box& box) {
  if (picture.width < 2 || picture.height < 2 || picture.pixels.size() != size_t(picture.width) * picture.height * 3) {
    return Status::invalidArgument("not a packed BGR picture");
  }
  BgrImage boxed = picture;
  static constexpr uint8_t kGreen[3] = {0, 255, 0};
  drawBox(boxed, box, kGreen, std::max(2, picture.width / 320));
  const uint8_t* data[1] = {boxed.pixels.data()};
  const int linesize[1] = {boxed.width * 3};
  return encodeJpeg(data, linesize, boxed.width, boxed.height, AV_PIX_FMT_BGR24, /*fullRange=*/true,
                    boxed.width & ~1, boxed.height & ~1);
}

}  // namespace vigil::detect

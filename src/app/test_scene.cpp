#include "app/test_scene.h"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <iterator>

#include "detect/libav.h"

namespace vigil::app {

Result<TestScene> loadTestScene(const std::string& jpegPath, int frameWidth, int frameHeight) {
  const auto bad = [&](std::string_view why) {
    return Status::invalidArgument(fmt::format("scene {}: {}", jpegPath, why));
  };
  std::ifstream in(jpegPath, std::ios::binary);
  if (!in) return bad("cannot be read");
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const AVCodec* codec = avcodec_find_decoder(AV_CODEC_ID_MJPEG);
  if (codec == nullptr) return bad("this libavcodec has no JPEG decoder");
  detect::AvCodecContextPtr ctx(avcodec_alloc_context3(codec));
  if (avcodec_open2(ctx.get(), codec, nullptr) < 0) return bad("the JPEG decoder does not open");
  detect::AvPacketPtr packet(av_packet_alloc());
  packet->data = bytes.data();
  packet->size = static_cast<int>(bytes.size());
  detect::AvFramePtr photo(av_frame_alloc());
  if (int err = avcodec_send_packet(ctx.get(), packet.get()); err < 0) return bad(detect::avErrorText(err));
  if (int err = avcodec_receive_frame(ctx.get(), photo.get()); err < 0) return bad(detect::avErrorText(err));

  // Fit 3/4 of the height and half the width, aspect kept, even sizes.
  const double scale = std::min(0.75 * frameHeight / photo->height, 0.5 * frameWidth / photo->width);
  TestScene s;
  s.width = std::max(2, static_cast<int>(photo->width * scale) & ~1);
  s.height = std::max(2, static_cast<int>(photo->height * scale) & ~1);
  s.y.resize(static_cast<size_t>(s.width) * s.height);
  s.u.resize(s.y.size() / 4);
  s.v.resize(s.y.size() / 4);
  // swscale reads the decoder's full-range (yuvj) picture as full range
  // and writes the encoder's limited range.
  detect::SwsContextPtr sws(sws_getContext(photo->width, photo->height, static_cast<AVPixelFormat>(photo->format),
                                           s.width, s.height, AV_PIX_FMT_YUV420P, SWS_BICUBIC, nullptr, nullptr,
                                           nullptr));
  if (!sws) return bad("cannot be scaled");
  uint8_t* planes[3] = {s.y.data(), s.u.data(), s.v.data()};
  const int strides[3] = {s.width, s.width / 2, s.width / 2};
  sws_scale(sws.get(), photo->data, photo->linesize, 0, photo->height, planes, strides);
  return s;
}

void drawTestScene(const YuvImage& image, const TestScene& scene, int64_t frameIndex, int64_t loopFrames) {
  // A still background: a soft vertical gradient, neutral colour.
  for (int row = 0; row < image.height; ++row) {
    std::fill_n(image.y.begin() + static_cast<ptrdiff_t>(row) * image.yStride, image.width,
                static_cast<uint8_t>(90 + 40 * row / image.height));
  }
  for (int row = 0; row < image.height / 2; ++row) {
    std::fill_n(image.u.begin() + static_cast<ptrdiff_t>(row) * image.uvStride, image.width / 2, uint8_t{128});
    std::fill_n(image.v.begin() + static_cast<ptrdiff_t>(row) * image.uvStride, image.width / 2, uint8_t{128});
  }
  // Where the photo's left edge is: off the frame, sliding in, still, out.
  const double t = static_cast<double>(frameIndex % loopFrames) / static_cast<double>(loopFrames);
  const int centre = (image.width - scene.width) / 2;
  int left;
  if (t < 0.2) return;
  if (t < 0.4) {
    left = static_cast<int>(-scene.width + (centre + scene.width) * (t - 0.2) / 0.2);
  } else if (t < 0.8) {
    left = centre;
  } else {
    left = static_cast<int>(centre + (image.width - centre) * (t - 0.8) / 0.2);
  }
  left &= ~1;  // chroma samples cover two columns
  const int top = ((image.height - scene.height) / 2) & ~1;
  for (int row = 0; row < scene.height; ++row) {
    for (int col = std::max(0, -left); col < scene.width && left + col < image.width; ++col) {
      image.y[static_cast<size_t>(top + row) * image.yStride + left + col] = scene.y[static_cast<size_t>(row) * scene.width + col];
    }
  }
  for (int row = 0; row < scene.height / 2; ++row) {
    for (int col = std::max(0, -left / 2); col < scene.width / 2 && left / 2 + col < image.width / 2; ++col) {
      const size_t at = static_cast<size_t>(top / 2 + row) * image.uvStride + left / 2 + col;
      const size_t from = static_cast<size_t>(row) * (scene.width / 2) + col;
      image.u[at] = scene.u[from];
      image.v[at] = scene.v[from];
    }
  }
}

}  // namespace vigil::app

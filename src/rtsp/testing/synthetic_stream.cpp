#include "rtsp/testing/synthetic_stream.h"

#include <random>

#include "base/encoding.h"

namespace vigil::rtsp::testing {

std::shared_ptr<const LoopedStream> makeSyntheticH264(int frames, int gop) {
  // libx264's SPS for 1280x720 High profile level 3.1.
  const Bytes sps = {0x67, 0x64, 0x00, 0x1f, 0xac, 0xd9, 0x40, 0x50, 0x05, 0xbb, 0x01, 0x10, 0x00,
                     0x00, 0x03, 0x00, 0x10, 0x00, 0x00, 0x03, 0x03, 0x20, 0xf1, 0x83, 0x19, 0x60};
  const Bytes pps = {0x68, 0xeb, 0xe3, 0xcb, 0x22, 0xc0};
  std::mt19937 rng(42);
  auto slice = [&](uint8_t header, size_t size) {
    Bytes nal(size);
    nal[0] = header;
    for (size_t i = 1; i < size; ++i) nal[i] = static_cast<uint8_t>(rng() | 1);  // never 00 00
    return nal;
  };
  auto stream = std::make_shared<LoopedStream>();
  stream->codec = media::VideoCodec::kH264;
  stream->width = 1280;
  stream->height = 720;
  stream->fps = 25;
  stream->fmtp = "packetization-mode=1;profile-level-id=64001f;sprop-parameter-sets=" + base64Encode(sps) +
                 "," + base64Encode(pps);
  for (int i = 0; i < frames; ++i) {
    std::vector<Bytes> nals;
    if (i % gop == 0) {
      nals = {sps, pps, slice(0x65, 6000)};
    } else {
      nals = {slice(0x41, 1500)};
    }
    stream->units.push_back(prepareAccessUnit(media::VideoCodec::kH264, nals, 3600));
  }
  return stream;
}

}  // namespace vigil::rtsp::testing

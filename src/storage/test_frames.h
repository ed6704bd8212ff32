#pragma once
// Synthetic H.264 access units for the storage tests: a real SPS/PPS
// (160x120, High profile) and slices with plausible headers. Not
// decodable, but every structural property storage relies on holds.

#include <memory>

#include "media/frame.h"

namespace vigil::storage::testing {

inline std::shared_ptr<const media::VideoParameters> h264Params(int variant = 0) {
  auto p = std::make_shared<media::VideoParameters>();
  p->codec = media::VideoCodec::kH264;
  p->sps = {{0x67, 0x64, 0x00, 0x0b, 0xac, 0xd9, 0x42, 0x84, 0x7e, 0x5c, 0x04, 0x40, 0x00, 0x00,
             0x03, 0x00, 0x40, 0x00, 0x00, 0x0c, 0x83, 0xc5, 0x0a, 0x65, 0x80}};
  p->pps = {{0x68, 0xef, 0x8f, 0xcb, static_cast<uint8_t>(variant)}};
  p->width = 160;
  p->height = 120;
  return p;
}

// A NAL unit of `type` with `size` bytes in all; the byte after the header
// has its top bit set (first_mb_in_slice == 0) unless `firstSlice` is false.
inline media::Bytes nal(uint8_t type, size_t size, bool firstSlice = true) {
  media::Bytes n(size, 0x5a);
  n[0] = static_cast<uint8_t>(0x60 | type);
  if (size > 1) n[1] = firstSlice ? 0x88 : 0x08;
  return n;
}

inline media::Frame frame(int64_t index, bool key, int64_t startMicros,
                          std::shared_ptr<const media::VideoParameters> params, int fps = 25) {
  media::Frame f;
  f.pts = MediaTime(1000 + index * 90000 / fps);
  f.captureTime = WallTime::fromUnixMicros(startMicros + index * 1000000 / fps);
  f.keyframe = key;
  if (key) {
    media::appendLengthPrefixed(f.data, params->sps[0]);
    media::appendLengthPrefixed(f.data, params->pps[0]);
    media::appendLengthPrefixed(f.data, nal(media::h264::kIdrSlice, 900 + static_cast<size_t>(index % 7)));
  } else {
    media::appendLengthPrefixed(f.data, nal(media::h264::kNonIdrSlice, 200 + static_cast<size_t>(index % 11)));
  }
  f.params = std::move(params);
  return f;
}

// Audio (design/STORAGE.md, "Audio"): 16 kHz AAC frames of 1024 samples
// (5760 ticks), their pts on the clock of frame() above, `shift` seconds
// later.
inline media::Frame audioFrame(int64_t index, int64_t startMicros, std::shared_ptr<const media::AudioParameters> params,
                               double shift = 0) {
  media::Frame f;
  f.pts = MediaTime(1000 + index * 5760 + static_cast<int64_t>(shift * 90000));
  f.captureTime = WallTime::fromUnixMicros(startMicros + static_cast<int64_t>(shift * 1e6) + index * 64000);
  f.keyframe = true;
  f.data.assign(40 + static_cast<size_t>(index % 5), static_cast<uint8_t>(index));
  f.audio = std::move(params);
  return f;
}

inline std::shared_ptr<const media::AudioParameters> aacParams() {
  return std::make_shared<const media::AudioParameters>(
      media::AudioParameters{media::AudioCodec::kAac, 16000, 1, media::aacLcAudioSpecificConfig(16000, 1)});
}

}  // namespace vigil::storage::testing

#include "media/audio.h"

#include <array>

namespace vigil::media {

std::string_view audioCodecName(AudioCodec codec) {
  switch (codec) {
    case AudioCodec::kAac: return "aac";
    case AudioCodec::kPcmu: return "ulaw";
    case AudioCodec::kPcma: return "alaw";
  }
  return "?";
}

std::optional<AudioCodec> audioCodecFromName(std::string_view name) {
  for (AudioCodec c : {AudioCodec::kAac, AudioCodec::kPcmu, AudioCodec::kPcma}) {
    if (audioCodecName(c) == name) return c;
  }
  return std::nullopt;
}

Bytes aacLcAudioSpecificConfig(int sampleRate, int channels) {
  static constexpr std::array<int, 13> kRates = {96000, 88200, 64000, 48000, 44100, 32000, 24000,
                                                 22050, 16000, 12000, 11025, 8000,  7350};
  constexpr uint32_t kAacLc = 2;
  uint32_t index = 15;  // explicit rate
  for (size_t i = 0; i < kRates.size(); ++i) {
    if (kRates[i] == sampleRate) index = static_cast<uint32_t>(i);
  }
  const uint32_t ch = static_cast<uint32_t>(channels) & 0xF;
  if (index != 15) {
    const uint32_t bits = kAacLc << 11 | index << 7 | ch << 3;
    return {static_cast<uint8_t>(bits >> 8), static_cast<uint8_t>(bits)};
  }
  // 5 + 4 + 24 + 4 + 3 (GASpecificConfig zeros) = 40 bits.
  const uint64_t bits = uint64_t{kAacLc} << 35 | uint64_t{15} << 31 |
                        (uint64_t(sampleRate) & 0xFFFFFF) << 7 | uint64_t{ch} << 3;
  return {static_cast<uint8_t>(bits >> 32), static_cast<uint8_t>(bits >> 24), static_cast<uint8_t>(bits >> 16),
          static_cast<uint8_t>(bits >> 8), static_cast<uint8_t>(bits)};
}

}  // namespace vigil::media

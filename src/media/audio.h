#pragma once
// The audio codecs cameras send (AAC, G.711 A-law and µ-law) and what a
// decoder needs to start on them (design/DECISIONS.md 87).

#include <optional>
#include <string_view>

#include "media/h26x.h"

namespace vigil::media {

enum class AudioCodec { kAac, kPcmu, kPcma };
std::string_view audioCodecName(AudioCodec codec);  // "aac" | "ulaw" | "alaw"
std::optional<AudioCodec> audioCodecFromName(std::string_view name);

struct AudioParameters {
  AudioCodec codec = AudioCodec::kAac;
  int sampleRate = 0;
  int channels = 1;
  Bytes config;  // AAC only: the AudioSpecificConfig (ISO 14496-3 1.6.2.1)

  friend bool operator==(const AudioParameters&, const AudioParameters&) = default;
};

// An AAC-LC AudioSpecificConfig for the rate and channels (two bytes; the
// rate must be one of the table's, else an explicit 24-bit rate is written).
Bytes aacLcAudioSpecificConfig(int sampleRate, int channels);

}  // namespace vigil::media

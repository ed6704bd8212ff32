// Fuzzes the SDP parser (what any camera answers to DESCRIBE), control URL
// resolution, the SPS parser on the parameter sets the SDP carries, and
// the audio parameters (AAC config, rates) the client sets audio up with.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "media/parameter_sets.h"
#include "rtsp/depacketizer.h"
#include "rtsp/sdp.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace vigil;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto sd = rtsp::parseSdp(text);
  if (!sd) return 0;
  const std::string base =
      rtsp::controlBaseUrl(std::nullopt, sd->control, "rtsp://127.0.0.1:554/x");
  (void)rtsp::resolveControlUrl(base, sd->control);
  for (const auto& m : sd->media) {
    (void)rtsp::resolveControlUrl(base, m.control);
    if (auto audio = rtsp::audioParametersOf(m)) {
      // What the client builds from it must be sane to set up a stream.
      if (audio->sampleRate < 8000 || audio->sampleRate > 96000 || audio->channels < 1) std::abort();
      rtsp::AudioDepacketizer depacketizer(audio->codec, m.aac.value_or(rtsp::AacParameters{}));
      (void)depacketizer;
    }
    if (auto params = rtsp::videoParametersOf(m)) {
      for (const auto& sps : params->sps) (void)media::parseSps(params->codec, sps);
      for (const auto& set : {params->vps, params->sps, params->pps}) {
        for (const auto& nal : set) (void)media::parameterSetId(params->codec, nal);
      }
    }
  }
  return 0;
}

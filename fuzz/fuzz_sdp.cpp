// Fuzzes the SDP parser (what any camera answers to DESCRIBE), control URL
// resolution, and the SPS parser on the parameter sets the SDP carries.
#include <cstddef>
#include <cstdint>
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
    (void)rtsp::audioCodecOf(m);
    if (auto params = rtsp::videoParametersOf(m)) {
      for (const auto& sps : params->sps) (void)media::parseSps(params->codec, sps);
      for (const auto& set : {params->vps, params->sps, params->pps}) {
        for (const auto& nal : set) (void)media::parameterSetId(params->codec, nal);
      }
    }
  }
  return 0;
}

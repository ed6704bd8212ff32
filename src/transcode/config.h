#pragma once
// [transcode]: live video encoded again as H.264 for browsers that cannot
// play a camera's codec (transcode/browser_transcodes.h).

#include <string_view>

#include "base/config.h"

namespace vigil::transcode {

struct TranscodeConfig {
  // Cameras transcoded at once on this node (each takes about a core at
  // 1080p); a browser asking beyond is refused with a message it shows.
  int maxConcurrent = 2;
  // Pictures wider are scaled down to this width (aspect kept).
  int maxWidth = 1280;
};

inline constexpr std::string_view kTranscodeConfigKeys[] = {"max_concurrent", "max_width"};
Status readTranscodeConfig(const ConfigTable& table, TranscodeConfig& out);

}  // namespace vigil::transcode

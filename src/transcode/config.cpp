#include "transcode/config.h"

namespace vigil::transcode {

Status readTranscodeConfig(const ConfigTable& t, TranscodeConfig& out) {
  // 0 turns transcoding off: browsers that cannot play a camera get the
  // message instead.
  VIGIL_RETURN_IF_ERROR(t.readInt("max_concurrent", 0, 64, out.maxConcurrent));
  return t.readInt("max_width", 160, 7680, out.maxWidth);
}

}  // namespace vigil::transcode

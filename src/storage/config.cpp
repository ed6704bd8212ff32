#include "storage/config.h"

namespace vigil::storage {

Status readRecordingConfig(const ConfigTable& t, RecordingConfig& out) {
  VIGIL_RETURN_IF_ERROR(t.readEnum<RecordMode>("record",
                                               {{"continuous", RecordMode::kContinuous},
                                                {"events", RecordMode::kEvents},
                                                {"off", RecordMode::kOff}},
                                               out.record));
  VIGIL_RETURN_IF_ERROR(t.readInt("retain_days", 1, 3650, out.retainDays));
  // The pre-roll is held in memory (a minute at 8 Mbit/s is 60 MB).
  VIGIL_RETURN_IF_ERROR(t.readInt("pre_roll_s", 0, 60, out.preRollSeconds));
  // The sub stream: "continuous" or "off" (room for "events" later).
  VIGIL_RETURN_IF_ERROR(t.readEnum<bool>("record_sub", {{"continuous", true}, {"off", false}}, out.recordSub));
  return t.readInt("post_roll_s", 0, 3600, out.postRollSeconds);
}

}  // namespace vigil::storage

#include "alarm/config.h"

namespace vigil::alarm {

Status readAlarmConfig(const ConfigTable& t, AlarmConfig& out) {
  int seconds = static_cast<int>(out.escalateAfter.count());
  VIGIL_RETURN_IF_ERROR(t.readInt("escalate_after", 1, 86400, seconds));
  out.escalateAfter = std::chrono::seconds(seconds);
  int tail = static_cast<int>(out.accessTail.count());
  VIGIL_RETURN_IF_ERROR(t.readInt("access_tail", 0, 86400, tail));
  out.accessTail = std::chrono::seconds(tail);
  return Status::ok();
}

}  // namespace vigil::alarm

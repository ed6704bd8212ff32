#pragma once
// [alarm]: one-key alarms (design/ALARMS.md).

#include <chrono>
#include <string_view>

#include "base/config.h"

namespace vigil::alarm {

struct AlarmConfig {
  // A desk that received an alarm from below and has not acknowledged it
  // within this long forwards it to its own parent (escalation).
  std::chrono::seconds escalateAfter{120};
  // Cameras shared "only during an alarm" stay visible this long after the
  // household's alarm closed.
  std::chrono::seconds accessTail{300};
};

inline constexpr std::string_view kAlarmConfigKeys[] = {"escalate_after", "access_tail"};
Status readAlarmConfig(const ConfigTable& table, AlarmConfig& out);

}  // namespace vigil::alarm

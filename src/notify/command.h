#pragma once
// The MQTT command that raises an alarm, as a button or Home Assistant
// sends it on <prefix>/<node>/alarm/raise: a kind word ("fire") or JSON
// {"kind": "fire", "note"?: "..."}. Network input: parsed strictly, fuzzed
// (fuzz/fuzz_notify_command.cpp). Whether the kind is one an alarm has is
// the caller's to say (notify does not know alarms).

#include <span>
#include <string>

#include "base/status.h"

namespace vigil::notify {

inline constexpr size_t kMaxCommandBytes = 4096;
inline constexpr size_t kMaxKindBytes = 32;

struct RaiseCommand {
  std::string kind;  // 1 to 32 of [a-z]
  std::string note;  // may be empty; the alarm checks its length and characters
};

// InvalidArgument saying what is wrong (without echoing the payload).
Result<RaiseCommand> parseRaiseCommand(std::span<const uint8_t> payload);

}  // namespace vigil::notify

#pragma once
// A camera's recording options: the keys of a [[camera]] table that say
// what is recorded and kept (design/STORAGE.md).

#include <string_view>

#include "base/config.h"

namespace vigil::storage {

enum class RecordMode { kContinuous, kEvents, kOff };

struct RecordingConfig {
  RecordMode record = RecordMode::kContinuous;
  int retainDays = 30;
  // record = "events": recorded before an event opens and after it closes.
  int preRollSeconds = 5;
  int postRollSeconds = 5;
  // record_sub = "continuous": the camera's sub stream is recorded too
  // (with record = "continuous" only), as the stream "<id>~sub"
  // (camera::subStreamId); "off", the default: it is not.
  bool recordSub = false;
};

inline constexpr std::string_view kRecordingConfigKeys[] = {"record", "retain_days", "pre_roll_s", "post_roll_s",
                                                            "record_sub"};
Status readRecordingConfig(const ConfigTable& table, RecordingConfig& out);

}  // namespace vigil::storage

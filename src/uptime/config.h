#pragma once
// [alerts]: alerts for the owner and the desk (design/UPTIME.md, "Alerts").

#include <chrono>
#include <string_view>

#include "base/config.h"

namespace vigil::uptime {

struct AlertConfig {
  std::chrono::seconds cameraOfflineAfter{300};  // camera_offline_after (s)
  std::chrono::seconds linkDownAfter{120};       // link_down_after (s)
  std::chrono::seconds remindEvery{6 * 3600};    // remind_every (s)
  int diskFreePercent = 5;                       // disk_free_percent: below it, a disk is about to fill
};

inline constexpr std::string_view kAlertConfigKeys[] = {"camera_offline_after", "link_down_after", "remind_every",
                                                        "disk_free_percent"};
Status readAlertConfig(const ConfigTable& table, AlertConfig& out);

}  // namespace vigil::uptime

#include "uptime/config.h"

#include <tuple>

namespace vigil::uptime {

Status readAlertConfig(const ConfigTable& t, AlertConfig& out) {
  for (auto [key, value, min] : {std::tuple{"camera_offline_after", &out.cameraOfflineAfter, 1},
                                 std::tuple{"link_down_after", &out.linkDownAfter, 1},
                                 std::tuple{"remind_every", &out.remindEvery, 60}}) {
    int seconds = static_cast<int>(value->count());
    VIGIL_RETURN_IF_ERROR(t.readInt(key, min, 30 * 86400, seconds));
    *value = std::chrono::seconds(seconds);
  }
  return t.readInt("disk_free_percent", 0, 50, out.diskFreePercent);
}

}  // namespace vigil::uptime

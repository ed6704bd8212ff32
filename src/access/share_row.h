#pragma once
// How both stores keep a share: one row of table camera_share per camera
// and tier, in plain columns (SQLite and PostgreSQL alike).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "access/shares.h"
#include "base/status.h"

namespace vigil::access {

// The columns of a ShareRow, in its order, and the order of a camera's rows.
inline constexpr const char* kShareColumns = "tier, rights, only_during_alarm, hours, expires_at";
inline constexpr const char* kSharesByTier =
    "ORDER BY CASE tier WHEN 'village' THEN 0 WHEN 'township' THEN 1 ELSE 2 END";

struct ShareRow {
  std::string tier;
  std::string rights;  // "live,playback,export,snapshot"
  bool onlyDuringAlarm = false;
  std::string hours;                     // "08:00-20:00"; empty: all day
  std::optional<int64_t> expiresAtMicros;  // none: never
};

ShareRow toShareRow(const Share& share);
// DataLoss naming the camera when a column holds what no share can.
Result<Share> fromShareRow(std::string_view camera, const ShareRow& row);

}  // namespace vigil::access

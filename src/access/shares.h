#pragma once
// What the owner of a camera shares with the tiers above its node (BRIEF,
// "What makes it ours"; issue 14): per camera at most one share per tier,
// each naming its rights and, optionally, only while an alarm of this
// household is open, hours of the owner's day and an expiry. Nothing is
// shared by default: a camera without shares, or a tier without one, is
// refused everything. The owner's node enforces them (decideShare()) on
// every look that comes down the link; camera_shares.h stores them.

#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/config.h"
#include "base/status.h"
#include "base/time.h"

namespace vigil::access {

// A share names a tier above a household (base/config.h's Tier, never
// kHousehold): a camera is shared only upward.
enum class ShareRight { kLive, kPlayback, kExport, kSnapshot };
std::string_view shareRightName(ShareRight right);  // "live"...
std::optional<ShareRight> parseShareRight(std::string_view name);

// Minutes [start, end) of the owner node's local day; end < start wraps
// midnight ("20:00-08:00"), end 1440 is "24:00".
struct DailyHours {
  int start = 0;  // 0..1439
  int end = 0;    // 1..1440, never start
  bool contains(int minuteOfDay) const;
  std::string text() const;  // "08:00-20:00"
  bool operator==(const DailyHours&) const = default;
};
// "HH:MM-HH:MM": InvalidArgument saying what is wrong (no field name).
Result<DailyHours> parseDailyHours(std::string_view text);

struct Share {
  Tier tier = Tier::kVillage;
  std::set<ShareRight> rights;  // never empty
  bool onlyDuringAlarm = false;
  std::optional<DailyHours> hours;   // none: all day
  std::optional<WallTime> expiresAt;  // none: never
  bool operator==(const Share&) const = default;
};

// The API's list, [{"tier": "village", "rights": ["live", ...],
// "only_during_alarm"?: false, "hours"?: "08:00-20:00", "expires_at"?:
// "2027-01-01T00:00:00Z"}], a key left out being no such restriction:
// InvalidArgument naming the field ("shares[1].hours: ..."). A tier may
// appear once.
Result<std::vector<Share>> parseShares(std::string_view json);
// The same form, every key present (null for no hours or expiry).
std::string sharesJson(const std::vector<Share>& shares);

// One look asked for from a tier above.
struct ShareAsk {
  Tier tier;
  ShareRight right;
  WallTime at;         // for the expiry
  int localMinute;     // minute of the owner node's local day at `at` (localMinuteOfDay), for the hours
  bool alarmOpen;      // an alarm of this household is open
};
// OK, or PermissionDenied saying why ("not shared with the village",
// "export not shared with the village", "expired", "only during an alarm",
// "outside hours 08:00-20:00"). Pure.
Status decideShare(const std::vector<Share>& shares, const ShareAsk& ask);
// The minute of the day at `at` in this process's time zone (TZ).
int localMinuteOfDay(WallTime at);

}  // namespace vigil::access

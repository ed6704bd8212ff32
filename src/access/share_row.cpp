#include "access/share_row.h"

#include <fmt/format.h>

namespace vigil::access {

ShareRow toShareRow(const Share& share) {
  ShareRow row{std::string(tierName(share.tier)), "", share.onlyDuringAlarm, share.hours ? share.hours->text() : "",
               share.expiresAt ? std::optional(share.expiresAt->unixMicros()) : std::nullopt};
  for (ShareRight r : share.rights) {
    if (!row.rights.empty()) row.rights += ',';
    row.rights += shareRightName(r);
  }
  return row;
}

Result<Share> fromShareRow(std::string_view camera, const ShareRow& row) {
  auto bad = [&](std::string_view column) {
    return Status::dataLoss(fmt::format("camera \"{}\": a share's {} is not valid", camera, column));
  };
  Share share;
  const auto tier = parseTier(row.tier);
  if (!tier || *tier == Tier::kHousehold) return bad("tier");
  share.tier = *tier;
  for (std::string_view rest = row.rights; !rest.empty();) {
    const size_t comma = rest.find(',');
    const std::optional<ShareRight> right = parseShareRight(rest.substr(0, comma));
    if (!right) return bad("rights");
    share.rights.insert(*right);
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
  }
  if (share.rights.empty()) return bad("rights");
  share.onlyDuringAlarm = row.onlyDuringAlarm;
  if (!row.hours.empty()) {
    auto hours = parseDailyHours(row.hours);
    if (!hours) return bad("hours");
    share.hours = *hours;
  }
  if (row.expiresAtMicros) share.expiresAt = WallTime::fromUnixMicros(*row.expiresAtMicros);
  return share;
}

}  // namespace vigil::access

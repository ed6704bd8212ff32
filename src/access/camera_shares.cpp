#include "access/camera_shares.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "base/config.h"
#include "base/log.h"

namespace vigil::access {

Status CameraShares::replace(const Actor& actor, const std::string& camera, const std::vector<Share>& shares) {
  if (!isValidId(camera)) return Status::invalidArgument("camera: must match [a-z0-9_-]{1,64}");
  for (size_t i = 0; i < shares.size(); ++i) {
    if (shares[i].rights.empty()) return Status::invalidArgument(fmt::format("shares[{}].rights: must not be empty", i));
    for (size_t j = 0; j < i; ++j) {
      if (shares[j].tier == shares[i].tier) {
        return Status::invalidArgument(fmt::format("shares[{}].tier: {} is given twice", i, tierName(shares[i].tier)));
      }
    }
  }
  const std::string list = sharesJson(shares);
  AuditEvent event{actor.user, audit_kind::kShareChange, camera, actor.client,
                   nlohmann::json{{"shares", nlohmann::json::parse(list)}}.dump()};
  VIGIL_RETURN_IF_ERROR(audit_.recordWith(std::move(event), [&](const AuditRowBuilder& auditRow) {
    return store_.replaceShares(camera, shares, auditRow);
  }));
  log::info("access.shares_changed", {{"camera", camera}, {"shares", list}, {"by", actor.user}});
  std::lock_guard lock(listenerMutex_);
  for (const auto& listener : listeners_) listener(camera);
  return Status::ok();
}

Status CameraShares::decide(const std::string& camera, Tier tier, ShareRight right, bool alarmOpen) {
  auto shares = store_.shares(camera);
  if (!shares) return shares.status();
  const WallTime now = clock_.now();
  return decideShare(*shares, {tier, right, now, localMinuteOfDay(now), alarmOpen});
}

void CameraShares::addChangeListener(std::function<void(const std::string& camera)> listener) {
  std::lock_guard lock(listenerMutex_);
  listeners_.push_back(std::move(listener));
}

}  // namespace vigil::access

#include "link/at_source.h"

#include <fmt/format.h>

#include "base/log.h"

namespace vigil::link {

namespace {
// The count of refusals a row stands for, in its detail (AuditTally).
constexpr const char* kRefusedCounter = "refused";
constexpr size_t kRefusalKeys = 100;

std::optional<std::string> openAlarm(const LooksContext& context) {
  return context.openAlarm ? context.openAlarm() : std::nullopt;
}

}  // namespace

std::pair<std::string, std::string> firstHop(std::string_view camera) {
  const size_t dot = camera.find('.');
  return {std::string(camera.substr(0, dot)), std::string(camera.substr(dot + 1))};
}

std::optional<std::string> implausibleAsk(const LooksContext& context, Tier tier, const std::vector<std::string>& via) {
  if (context.parentTier && tier < *context.parentTier) return "an ask cannot come from below this node's parent";
  if (!context.parentId.empty() && (via.empty() || via.back() != context.parentId)) {
    return "an ask's path must end at this node's parent";
  }
  return std::nullopt;
}

std::string remoteUser(const AskFromAbove& ask) { return ask.user + "@" + ask.via.front(); }

nlohmann::json remoteDetail(const LooksContext& context, const AskFromAbove& ask) {
  nlohmann::json detail = {
      {"remote", true}, {"tier", tierName(ask.tier)}, {"via", ask.via}, {"right", access::shareRightName(ask.right)}};
  if (auto alarm = openAlarm(context)) detail["alarm"] = *alarm;
  return detail;
}

bool isMasked(const LooksContext& context, std::string_view camera) {
  return context.masked && context.masked(camera);
}

Status shareAllows(const LooksContext& context, const AskFromAbove& ask) {
  if (!context.shares || !context.cameraExists || !context.cameraExists(ask.camera)) {
    return Status::permissionDenied(fmt::format("not shared with the {}", tierName(ask.tier)));
  }
  return context.shares->decide(ask.camera, ask.tier, ask.right, openAlarm(context).has_value());
}

Status decideAtSource(const LooksContext& context, const AskFromAbove& ask, bool unmaskedPictures) {
  Status decision = shareAllows(context, ask);
  if (decision.isOk() && unmaskedPictures && isMasked(context, ask.camera)) {
    decision = Status::permissionDenied(std::string(kMaskedNotShared));
  }
  if (decision.isOk()) return decision;
  nlohmann::json detail = remoteDetail(context, ask);
  detail["reason"] = decision.message();
  Status written = context.refusals ? context.refusals->count({remoteUser(ask), access::audit_kind::kRefused,
                                                               ask.camera, "link", detail.dump()},
                                                              kRefusedCounter)
                                    : Status::unavailable("no audit log");
  if (!written.isOk()) log::warn("link.refusal_not_audited", {{"camera", ask.camera}, {"status", written}});
  return decision;
}

LooksContext withRefusalTally(LooksContext context) {
  if (context.audit && !context.refusals) {
    context.refusals = std::make_shared<access::AuditTally>(
        *context.audit, *context.clock,
        access::AuditTallyOptions{.maxKeys = kRefusalKeys, .overflowDetail = R"({"remote":true})"});
  }
  return context;
}

}  // namespace vigil::link

#include "link/at_source.h"

#include <fmt/format.h>
#include <sodium.h>

#include <algorithm>

#include "base/encoding.h"
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

Status shareAllows(const LooksContext& context, const AskFromAbove& ask) {
  if (!context.shares || !context.cameraExists || !context.cameraExists(ask.camera)) {
    return Status::permissionDenied(fmt::format("not shared with the {}", tierName(ask.tier)));
  }
  return context.shares->decide(ask.camera, ask.tier, ask.right, openAlarm(context).has_value());
}

namespace {

// The terms the asking node signed, as this node reads them from the ask:
// the camera as the asker named it runs down `via` past it, then here.
AskTerms termsOf(const LooksContext& context, const AskFromAbove& ask, uint64_t atMs, const AskNonce& nonce) {
  std::string camera;
  for (size_t i = 1; i < ask.via.size(); ++i) camera += ask.via[i] + ".";
  camera += context.selfId + "." + ask.camera;
  const AskSigned& w = ask.signedAs;
  return AskTerms{ask.via.front(), ask.tier, camera, ask.user, std::string(w.kind), std::string(w.what),
                  std::string(w.query), std::string(w.range), std::string(w.ifRange), atMs, nonce};
}

int64_t nowMs(const LooksContext& context) { return context.clock->now().unixMicros() / 1000; }

}  // namespace

std::optional<AskProof> proveAsk(const LooksContext& context, const std::string& camera, const std::string& user,
                                 const AskSigned& what) {
  if (!context.key) return std::nullopt;
  AskProof proof;
  proof.atMs = static_cast<uint64_t>(nowMs(context));
  randombytes_buf(proof.nonce.data(), proof.nonce.size());
  const AskTerms terms{context.selfId,       context.selfTier,      camera,
                       user,                 std::string(what.kind), std::string(what.what),
                       std::string(what.query), std::string(what.range), std::string(what.ifRange),
                       proof.atMs,           proof.nonce};
  const auto signature = context.key->sign(askStatement(terms));
  std::copy(signature.begin(), signature.end(), proof.signature.begin());
  return proof;
}

Status checkAsker(const LooksContext& context, const AskFromAbove& ask) {
  const std::string& asker = ask.via.front();
  if (!ask.proof || !*ask.proof) return Status::permissionDenied(fmt::format("the ask is not signed by {}", asker));
  const AskProof& proof = **ask.proof;
  const std::optional<PinnedAsker> pinned = context.askers ? context.askers(asker, ask.tier) : std::nullopt;
  if (!pinned) {
    return Status::permissionDenied(fmt::format("no node {} of the {} tier is pinned above this node", asker,
                                                tierName(ask.tier)));
  }
  if (pinned->path != ask.via) {
    return Status::permissionDenied(fmt::format("the ask did not come down the path pinned from {}", asker));
  }
  if (!access::NodeKey::verify(pinned->key, askStatement(termsOf(context, ask, proof.atMs, proof.nonce)),
                               std::span<const uint8_t, kSignatureBytes>(proof.signature))) {
    return Status::permissionDenied(fmt::format("the ask's signature is not {}'s", asker));
  }
  const int64_t now = nowMs(context);
  const int64_t skew = std::chrono::duration_cast<std::chrono::milliseconds>(kAskSkew).count();
  const auto at = static_cast<int64_t>(std::min<uint64_t>(proof.atMs, INT64_MAX / 2));
  if (at < now - skew || at > now + skew) {
    return Status::permissionDenied(fmt::format("the ask was made {} s away from this node's clock", (at - now) / 1000));
  }
  if (!context.seenAsks || !context.seenAsks->admit(asker, proof.nonce, at + skew, now)) {
    return Status::permissionDenied("the ask was taken before (replayed)");
  }
  return Status::ok();
}

bool SeenAsks::admit(const std::string& asker, const AskNonce& nonce, int64_t forgetAtMs, int64_t nowMs) {
  MutexLock lock(mutex_);
  while (!byTime_.empty() && byTime_.begin()->first <= nowMs) {
    seen_.erase(byTime_.begin()->second);
    byTime_.erase(byTime_.begin());
  }
  std::string key = asker + "/" + hexEncode(nonce);
  if (seen_.count(key) || seen_.size() >= kMaxRemembered) return false;
  seen_.emplace(key, forgetAtMs);
  byTime_.emplace(forgetAtMs, std::move(key));
  return true;
}

Status decideAtSource(const LooksContext& context, const AskFromAbove& ask) {
  Status decision = checkAsker(context, ask);
  if (decision.isOk()) decision = shareAllows(context, ask);
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

LooksContext withSourceState(LooksContext context) {
  if (!context.seenAsks) context.seenAsks = std::make_shared<SeenAsks>();
  if (context.audit && !context.refusals) {
    context.refusals = std::make_shared<access::AuditTally>(
        *context.audit, *context.clock,
        access::AuditTallyOptions{.maxKeys = kRefusalKeys, .overflowDetail = R"({"remote":true})"});
  }
  return context;
}

}  // namespace vigil::link

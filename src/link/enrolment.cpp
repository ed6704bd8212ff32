#include "link/enrolment.h"

#include <fmt/format.h>
#include <sodium.h>

#include <cstring>
#include <nlohmann/json.hpp>

#include "base/log.h"
#include "link/invite_code.h"

namespace vigil::link {

namespace {

// Joins are throttled per address, and node-wide by the throttle's
// ceiling on checks per second, each a hash of a guessed secret with
// Argon2id: a guesser spread over many addresses is slowed too
// (design/LINK.md, "Enrolment").
constexpr std::string_view kJoinAccount = "(link join)";

access::ThrottleOptions joinThrottle() {
  access::ThrottleOptions o;
  o.freeFailuresPerAccountAddress = 5;
  o.freeFailuresPerAddress = 5;
  return o;
}

std::optional<ChannelBinding> bindingFrom(std::string_view binding) {
  ChannelBinding b{};
  if (binding.size() != b.size()) return std::nullopt;
  std::memcpy(b.data(), binding.data(), b.size());
  return b;
}

const Status kNoBinding = Status::failedPrecondition(
    "enrolment needs TLS 1.3 straight to this node: serve HTTPS ([http] tls_cert, tls_key), with no TLS proxy in between");

}  // namespace

Result<std::chrono::seconds> parseInviteLifetime(std::string_view text) {
  auto bad = Status::invalidArgument("expires: a number and a unit, like 90m, 24h or 7d (5 s to 30 days)");
  if (text.size() < 2 || text.size() > 8) return bad;
  int64_t n = 0;
  for (char c : text.substr(0, text.size() - 1)) {
    if (c < '0' || c > '9') return bad;
    n = n * 10 + (c - '0');
  }
  int64_t unit = 0;
  switch (text.back()) {
    case 's': unit = 1; break;
    case 'm': unit = 60; break;
    case 'h': unit = 3600; break;
    case 'd': unit = 86400; break;
    default: return bad;
  }
  const std::chrono::seconds lifetime(n * unit);
  if (lifetime < std::chrono::seconds(5) || lifetime > std::chrono::hours(24 * 30)) return bad;
  return lifetime;
}

Enrolment::Enrolment(LinkStore& store, const access::NodeKey& key, NodeIdentity self, const Clock& clock,
                     access::AuditLog& audit)
    : store_(store), key_(key), self_(std::move(self)), clock_(clock), audit_(audit), throttle_(clock, joinThrottle()) {}

Status Enrolment::checkCanInvite() const {
  if (self_.id.empty()) return Status::failedPrecondition("set [node] id in this node's config before inviting children");
  if (self_.tier == Tier::kHousehold) return Status::failedPrecondition("a household has no tier below it to invite");
  return Status::ok();
}

std::chrono::seconds Enrolment::budgetWait() {
  std::lock_guard lock(budgetMutex_);
  const auto now = clock_.steadyNow();
  while (!failures_.empty() && now - failures_.front() >= std::chrono::hours(1)) failures_.pop_front();
  if (failures_.size() < kFailedJoinsPerHour) return std::chrono::seconds(0);
  return std::chrono::ceil<std::chrono::seconds>(failures_.front() + std::chrono::hours(1) - now);
}

void Enrolment::failedJoin() {
  std::lock_guard lock(budgetMutex_);
  failures_.push_back(clock_.steadyNow());
  if (failures_.size() > kFailedJoinsPerHour) failures_.pop_front();
  if (failures_.size() == kFailedJoinsPerHour) {
    log::warn("link.joins_closed", {{"failures", kFailedJoinsPerHour}, {"reason", "too many failed joins in an hour"}});
  }
}

Result<std::vector<uint8_t>> Enrolment::hashSecret(std::string_view secret) {
  auto salt = store_.inviteSalt();
  if (!salt) return salt.status();
  // Argon2id: the secret has 40 bits, too few for a fast hash to protect
  // it in a copy of link.db. One salt per node, so a code is found by its
  // hash (design/LINK.md, "Enrolment").
  std::vector<uint8_t> hash(32);
  if (crypto_pwhash(hash.data(), hash.size(), secret.data(), secret.size(), salt->data(),
                    crypto_pwhash_OPSLIMIT_INTERACTIVE, crypto_pwhash_MEMLIMIT_INTERACTIVE,
                    crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return Status::resourceExhausted("out of memory hashing an invitation code");
  }
  return hash;
}

Result<NewInvite> Enrolment::createInvite(const access::Actor& by, const std::string& name,
                                          std::chrono::seconds lifetime, std::optional<Tier> tier,
                                          const std::string& childId) {
  VIGIL_RETURN_IF_ERROR(checkCanInvite());
  if (!isValidNodeName(name)) {
    return Status::invalidArgument(fmt::format("name: 1 to {} bytes of UTF-8, no control characters", kMaxNodeNameBytes));
  }
  // The tier just below this node's, unless the admin says otherwise.
  const InviteFor bound{tier.value_or(static_cast<Tier>(static_cast<int>(self_.tier) - 1)), childId};
  if (bound.tier >= self_.tier) {
    return Status::invalidArgument(
        fmt::format("tier: a {} invites only tiers below it, not a {}", tierName(self_.tier), tierName(bound.tier)));
  }
  if (!childId.empty() && !isValidId(childId)) return Status::invalidArgument("id: a-z, 0-9, '_' and '-', 1 to 64 of them");
  const InviteCode code = newInviteCode(key_.publicKey());
  auto hash = hashSecret(code.secret);
  if (!hash) return hash.status();
  const WallTime now = clock_.now();
  const WallTime expires = now + std::chrono::duration_cast<std::chrono::microseconds>(lifetime);
  auto id = store_.addInvite(name, bound, *hash, now, expires);
  if (!id) return id.status();
  // Unaudited, the invitation is revoked before anyone sees its code.
  if (Status s = audit_.record({by.user, access::audit_kind::kLinkInvite, "", by.client,
                                nlohmann::json{{"invite", *id},
                                               {"name", name},
                                               {"tier", tierName(bound.tier)},
                                               {"child_id", childId},
                                               {"expires_at", expires.toRfc3339()}}
                                    .dump()});
      !s.isOk()) {
    (void)store_.revokeInvite(*id, now);
    return s;
  }  log::info("link.invite", {{"id", *id}, {"name", name}, {"tier", tierName(bound.tier)}, {"child", childId},
                            {"expires", expires.toRfc3339()}});
  return NewInvite{Invite{*id, name, bound, now, expires, std::nullopt, "", std::nullopt}, code.toString()};
}

Status Enrolment::revokeInvite(const access::Actor& by, int64_t id) {
  VIGIL_RETURN_IF_ERROR(store_.revokeInvite(id, clock_.now()));
  log::info("link.invite_revoked", {{"id", id}});
  return audit_.record({by.user, access::audit_kind::kLinkInviteRevoke, "", by.client,
                        nlohmann::json{{"invite", id}}.dump()});
}

Status Enrolment::removeChild(const access::Actor& by, const std::string& id) {
  VIGIL_RETURN_IF_ERROR(store_.removeChild(id, clock_.now()));
  log::info("link.child_removed", {{"child", id}});
  return audit_.record({by.user, access::audit_kind::kLinkRemove, "", by.client, nlohmann::json{{"child", id}}.dump()});
}

Result<JoinHelloAnswer> Enrolment::hello(std::string_view binding, const JoinHello& request) const {
  VIGIL_RETURN_IF_ERROR(checkCanInvite());
  const auto b = bindingFrom(binding);
  if (!b) return kNoBinding;
  JoinHelloAnswer answer{self_, {}};
  const auto proof = key_.sign(joinParentStatement(*b, request.nonce));
  std::copy(proof.begin(), proof.end(), answer.proof.begin());
  return answer;
}

Result<ChildRecord> Enrolment::join(std::string_view binding, const JoinRequest& request, const std::string& client) {
  VIGIL_RETURN_IF_ERROR(checkCanInvite());
  const auto b = bindingFrom(binding);
  if (!b) return kNoBinding;
  // Every way out but enrolment counts as a failed join, per address and
  // node-wide (a guesser with many addresses).
  if (const auto wait = budgetWait(); wait.count() > 0) {
    return Status::resourceExhausted(
        fmt::format("too many failed joins on this node: joins are closed, try again in {} s", wait.count()));
  }
  access::LoginAdmission admission = throttle_.admit(kJoinAccount, client);
  if (!admission.attempt) {
    return Status::resourceExhausted(
        fmt::format("too many failed joins: try again in {} s", admission.retryAfter.count()));
  }
  auto refuse = [&](Status why) -> Result<ChildRecord> {
    log::warn("link.join_refused", {{"child", request.child.id}, {"client", client}, {"reason", why.message()}});
    failedJoin();
    return why;
  };
  const NodeIdentity& child = request.child;
  if (!access::NodeKey::verify(child.key, joinChildStatement(*b, request.nonce, child.id, child.tier, child.key),
                               std::span<const uint8_t, kSignatureBytes>(request.proof))) {
    return refuse(Status::permissionDenied("the child's proof of its key does not verify on this connection"));
  }
  if (child.tier >= self_.tier) {
    return refuse(Status::failedPrecondition(fmt::format("a {} cannot be the child of a {}: a child's tier must be below its parent's",
                                                         tierName(child.tier), tierName(self_.tier))));
  }
  auto code = parseInviteCode(request.code);
  if (!code) return refuse(code.status());
  if (code->fingerprint != keyFingerprint(key_.publicKey())) {
    return refuse(Status::permissionDenied("this invitation code is for another parent (its key fingerprint differs)"));
  }
  auto hash = hashSecret(code->secret);
  if (!hash) return hash.status();
  auto invite = store_.findInvite(*hash);
  if (!invite) return invite.status();
  if (!*invite) return refuse(Status::permissionDenied("unknown invitation code (mistyped, or not from this parent)"));
  const std::string_view state = (*invite)->state(clock_.now());
  if (state == "used") return refuse(Status::permissionDenied("this invitation code was already used"));
  if (state == "revoked") return refuse(Status::permissionDenied("this invitation code was revoked"));
  if (state == "expired") {
    return refuse(Status::permissionDenied(
        fmt::format("this invitation code expired at {}", (*invite)->expiresAt.toRfc3339())));
  }
  // The admin chose who the invitation is for, not the one who holds it
  // (design/LINK.md, "Trust model").
  const std::optional<InviteFor>& bound = (*invite)->bound;
  if (!bound || bound->tier != child.tier) {
    return refuse(Status::permissionDenied(fmt::format("this invitation is for a {}, not a {}",
                                                       bound ? tierName(bound->tier) : "node of another tier",
                                                       tierName(child.tier))));
  }
  if (!bound->childId.empty() && bound->childId != child.id) {
    return refuse(Status::permissionDenied(
        fmt::format("this invitation is for node id \"{}\", not \"{}\"", bound->childId, child.id)));
  }
  ChildRecord record{child.id, child.name, child.tier, child.key, clock_.now(), std::nullopt};
  if (Status s = store_.enrolChild((*invite)->id, record, record.enrolledAt); !s.isOk()) {
    if (s.code() == StatusCode::kAlreadyExists || s.code() == StatusCode::kFailedPrecondition) return refuse(s);
    return s;
  }
  admission.attempt->succeeded();
  log::info("link.enrolled", {{"child", child.id}, {"tier", tierName(child.tier)}, {"invite", (*invite)->id},
                              {"client", client}});
  // The child is enrolled (its own transaction in link.db); an audit
  // failure is the answer, so the admin sees it.
  VIGIL_RETURN_IF_ERROR(audit_.record({"", access::audit_kind::kLinkEnrol, "", client,
                                       nlohmann::json{{"child", child.id},
                                                      {"tier", tierName(child.tier)},
                                                      {"name", child.name},
                                                      {"invite", (*invite)->id},
                                                      {"fingerprint", keyFingerprint(child.key)}}
                                           .dump()}));
  return record;
}

}  // namespace vigil::link

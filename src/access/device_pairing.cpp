#include "access/device_pairing.h"

#include <fmt/format.h>
#include <sodium.h>

#include <algorithm>
#include <utility>
#include <nlohmann/json.hpp>

#include "access/crypto.h"
#include "base/log.h"

namespace vigil::access {

namespace {

// No vowel (no word), none of I L O S U (1, 0, 5, V).
constexpr std::string_view kCodeLetters = "BCDFGHJKMNPQRTVWXZ";
constexpr size_t kCodeLength = 8;

std::string newCode() {
  std::string code;
  for (size_t i = 0; i < kCodeLength; ++i) code += kCodeLetters[randombytes_uniform(kCodeLetters.size())];
  return code;
}

// "KXTRMPWD" -> "KXTR-MPWD"
std::string shown(const std::string& code) { return code.substr(0, 4) + "-" + code.substr(4); }

std::chrono::seconds wholeSeconds(std::chrono::microseconds d) {
  return std::chrono::ceil<std::chrono::seconds>(std::max(d, std::chrono::microseconds(0)));
}

}  // namespace

std::optional<std::string> normalizeCode(std::string_view typed) {
  if (typed.size() > 32) return std::nullopt;
  std::string code;
  for (char c : typed) {
    if (c == ' ' || c == '-') continue;
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    if (kCodeLetters.find(c) == std::string_view::npos) return std::nullopt;
    code += c;
  }
  if (code.size() != kCodeLength) return std::nullopt;
  return code;
}

DevicePairing::DevicePairing(Accounts& accounts, AuditLog& audit, const Clock& clock, DevicePairingOptions options)
    : accounts_(accounts), audit_(audit), clock_(clock), options_(options), tally_(audit, clock, options.tally) {}

void DevicePairing::prune(WallTime now) {
  for (auto it = bySecretHash_.begin(); it != bySecretHash_.end();) {
    Pairing& p = it->second;
    if (p.session && now >= p.expiresAt) {
      // Confirmed, but the TV never came for it: nothing may hold it.
      if (Status s = accounts_.logout(p.session->token, p.client); !s.isOk()) {
        log::warn("access.device_pair_unfetched", {{"session", p.session->principal.sessionId}, {"error", s.toString()}});
      }
      p.session.reset();
    }
    if (now < p.expiresAt + options_.codeLifetime) {
      ++it;
      continue;
    }
    byCode_.erase(p.code);
    it = bySecretHash_.erase(it);
  }
  std::erase_if(wrong_, [&](const auto& entry) { return now - entry.second.windowStart >= options_.wrongCodeWindow; });
}

Result<PairingCode> DevicePairing::start(const std::string& client, std::string_view userAgent) {
  const WallTime now = clock_.now();
  PairingCode made;
  {
    MutexLock lock(mutex_);
    prune(now);
    const auto waiting = [&](const Pairing& p) { return now < p.expiresAt && !p.used; };
    size_t all = 0;
    size_t fromClient = 0;
    for (const auto& [hash, p] : bySecretHash_) {
      if (!waiting(p)) continue;
      ++all;
      if (p.client == client) ++fromClient;
    }
    if (fromClient >= options_.maxWaitingPerAddress) {
      return Status::resourceExhausted(
          fmt::format("{} codes already wait from this address: use one, or wait until they expire", fromClient));
    }
    // Expired codes kept to be told apart count too: they are memory.
    if (all >= options_.maxWaiting || bySecretHash_.size() >= 2 * options_.maxWaiting) {
      return Status::resourceExhausted("too many codes wait on this node; try again in a few minutes");
    }
    std::string code = newCode();
    while (byCode_.contains(code)) code = newCode();
    made = {shown(code), generateSessionToken(), now + options_.codeLifetime};
    const std::string hash = sha256Hex(made.secret);
    byCode_[code] = hash;
    bySecretHash_[hash] = {.code = code, .client = client, .userAgent = std::string(userAgent.substr(0, 200)), .expiresAt = made.expiresAt};
  }
  // Anyone can ask: one row per address and minute, counted.
  VIGIL_RETURN_IF_ERROR(tally_.count({kAnyone, audit_kind::kDeviceCode, "", client, "{}"}, "codes"));
  return made;
}

Result<PairingWait> DevicePairing::wait(std::string_view secret) {
  const WallTime now = clock_.now();
  MutexLock lock(mutex_);
  prune(now);
  auto it = bySecretHash_.find(sha256Hex(secret));
  if (it == bySecretHash_.end() || it->second.fetched) return Status::notFound("no such pairing: ask for a new code");
  Pairing& p = it->second;
  if (p.session) {
    // Kept until forgotten, so the code still reads as used.
    p.fetched = true;
    return PairingWait{PairingWait::State::kPaired, p.expiresAt, std::exchange(p.session, std::nullopt)};
  }
  return PairingWait{now >= p.expiresAt ? PairingWait::State::kExpired : PairingWait::State::kWaiting, p.expiresAt,
                     std::nullopt};
}

std::chrono::seconds DevicePairing::waitFor(const std::string& key, WallTime now) const {
  auto it = wrong_.find(key);
  const int limit = key.starts_with("user:") ? options_.wrongCodesPerUser : options_.wrongCodesPerAddress;
  if (it == wrong_.end() || it->second.count < limit) return std::chrono::seconds(0);
  return wholeSeconds(it->second.windowStart + options_.wrongCodeWindow - now);
}

std::chrono::seconds DevicePairing::retryAfter(const std::string& user, const std::string& client) {
  const WallTime now = clock_.now();
  MutexLock lock(mutex_);
  prune(now);
  return std::max(waitFor("user:" + user, now), waitFor("address:" + client, now));
}

Status DevicePairing::refuse(const Actor& actor, std::string_view reason, Status why) {
  const WallTime now = clock_.now();
  for (const std::string& key : {"user:" + actor.user, "address:" + actor.client}) {
    WrongCodes& w = wrong_[key];
    if (w.count == 0) w.windowStart = now;
    ++w.count;
  }
  VIGIL_RETURN_IF_ERROR(
      tally_.count({actor.user, audit_kind::kDevicePairFailed, "", actor.client, nlohmann::json{{"reason", reason}}.dump()},
                   "codes"));
  return why;
}

Result<SessionRecord> DevicePairing::confirm(const Actor& actor, std::string_view code, std::string_view device) {
  auto normal = normalizeCode(code);
  if (!normal) return Status::invalidArgument("code: 8 letters, as the TV shows them");
  const WallTime now = clock_.now();
  MutexLock lock(mutex_);
  prune(now);
  if (const auto wait = std::max(waitFor("user:" + actor.user, now), waitFor("address:" + actor.client, now));
      wait.count() > 0) {
    // Counted (not written one by one): a flood of them is one row a minute.
    VIGIL_RETURN_IF_ERROR(tally_.count({actor.user, audit_kind::kDevicePairFailed, "", actor.client,
                                        nlohmann::json{{"reason", "throttled"}}.dump()},
                                       "codes"));
    return Status::resourceExhausted(fmt::format("too many wrong codes; retry after {} s", wait.count()));
  }
  auto found = byCode_.find(*normal);
  if (found == byCode_.end()) {
    return refuse(actor, "unknown", Status::notFound("code: no TV shows this code; check it, or get a new one on the TV"));
  }
  Pairing& p = bySecretHash_.at(found->second);
  if (p.used) return refuse(actor, "used", Status::failedPrecondition("code: this code was used already"));
  if (now >= p.expiresAt) {
    return refuse(actor, "expired", Status::failedPrecondition("code: this code has expired; get a new one on the TV"));
  }
  auto made = accounts_.addDeviceSession(actor, device, p.client, p.userAgent);
  if (!made) return made.status();
  p.used = true;
  SessionRecord record{.userId = made->principal.user,
                       .createdAt = now,
                       .expiresAt = made->expiresAt,
                       .lastSeenAt = now,
                       .id = made->principal.sessionId,
                       .client = p.client,
                       .userAgent = p.userAgent,
                       .device = std::string(device)};
  p.session = std::move(*made);
  return record;
}

}  // namespace vigil::access

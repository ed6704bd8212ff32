#include "access/device_pairing.h"

#include <fmt/format.h>
#include <sodium.h>

#include <algorithm>
#include <tuple>
#include <utility>
#include <nlohmann/json.hpp>

#include "access/client_address.h"
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

void DevicePairing::forget(std::map<std::string, Pairing>::iterator it) {
  byCode_.erase(it->second.code);
  bySecretHash_.erase(it);
}

void DevicePairing::prune(WallTime now) {
  for (auto it = bySecretHash_.begin(); it != bySecretHash_.end();) {
    auto next = std::next(it);
    if (now >= it->second.expiresAt + options_.codeLifetime) forget(it);
    it = next;
  }
  std::erase_if(wrong_, [&](const auto& entry) { return now - entry.second.windowStart >= options_.wrongCodeWindow; });
}

void DevicePairing::makeRoom(WallTime now) {
  const auto waiting = [&](const Pairing& p) { return now < p.expiresAt && !p.confirmed; };
  const auto networkOf = [](const Pairing& p) -> const std::string& {
    return p.keys.network.empty() ? p.keys.address : p.keys.network;
  };
  std::map<std::string, size_t> perNetwork;
  std::map<std::string, size_t> perAddress;
  size_t all = 0;
  for (const auto& [hash, p] : bySecretHash_) {
    if (!waiting(p)) continue;
    ++all;
    ++perNetwork[networkOf(p)];
    ++perAddress[p.keys.address];
  }
  if (all >= options_.maxWaiting) {
    // The busiest network's busiest address's oldest: whoever floods
    // from one network pushes out its own codes first.
    auto victim = bySecretHash_.end();
    std::tuple<size_t, size_t, int64_t> worst{0, 0, 0};
    for (auto it = bySecretHash_.begin(); it != bySecretHash_.end(); ++it) {
      const Pairing& p = it->second;
      if (!waiting(p)) continue;
      std::tuple<size_t, size_t, int64_t> rank{perNetwork[networkOf(p)], perAddress[p.keys.address],
                                               -p.expiresAt.unixMicros()};
      if (victim == bySecretHash_.end() || rank > worst) {
        victim = it;
        worst = rank;
      }
    }
    if (evictionLog_.allow()) {
      log::warn("access.device_code_evicted",
                {{"client", victim->second.client}, {"waiting", all}, {"suppressed", evictionLog_.suppressed()}});
    }
    forget(victim);
  }
  // Done with (expired, or confirmed) and kept only to say so: the oldest
  // go first, and a confirmed one not yet handed over last.
  while (bySecretHash_.size() >= 2 * options_.maxWaiting) {
    auto oldest = bySecretHash_.end();
    for (auto it = bySecretHash_.begin(); it != bySecretHash_.end(); ++it) {
      const Pairing& p = it->second;
      if (waiting(p)) continue;
      const auto rank = [](const Pairing& q) { return std::pair(q.confirmed && !q.fetched, q.expiresAt); };
      if (oldest == bySecretHash_.end() || rank(p) < rank(oldest->second)) oldest = it;
    }
    if (oldest == bySecretHash_.end()) break;
    forget(oldest);
  }
}

Result<PairingCode> DevicePairing::start(const std::string& client, std::string_view userAgent) {
  const WallTime now = clock_.now();
  const ClientKeys keys = clientKeys(client);
  PairingCode made;
  {
    MutexLock lock(mutex_);
    prune(now);
    const size_t fromAddress = std::count_if(bySecretHash_.begin(), bySecretHash_.end(), [&](const auto& entry) {
      const Pairing& p = entry.second;
      return now < p.expiresAt && !p.confirmed && p.keys.address == keys.address;
    });
    if (fromAddress >= options_.maxWaitingPerAddress) {
      return Status::resourceExhausted(
          fmt::format("{} codes already wait from this address: use one, or wait until they expire", fromAddress));
    }
    makeRoom(now);
    std::string code = newCode();
    while (byCode_.contains(code)) code = newCode();
    made = {shown(code), generateSessionToken(), now + options_.codeLifetime};
    const std::string hash = sha256Hex(made.secret);
    byCode_[code] = hash;
    bySecretHash_[hash] = {.code = code,
                           .client = client,
                           .keys = keys,
                           .userAgent = printableUserAgent(userAgent),
                           .expiresAt = made.expiresAt};
  }
  // Anyone can ask: one row per address (an IPv6 /64) and minute, counted.
  VIGIL_RETURN_IF_ERROR(tally_.count({kAnyone, audit_kind::kDeviceCode, "", keys.address, "{}"}, "codes"));
  return made;
}

Result<PairingWait> DevicePairing::wait(std::string_view secret) {
  const WallTime now = clock_.now();
  Confirmed confirmed;
  Pairing tv;
  {
    MutexLock lock(mutex_);
    prune(now);
    auto it = bySecretHash_.find(sha256Hex(secret));
    if (it == bySecretHash_.end() || it->second.fetched) return Status::notFound("no such pairing: ask for a new code");
    Pairing& p = it->second;
    if (!p.confirmed) {
      return PairingWait{now >= p.expiresAt ? PairingWait::State::kExpired : PairingWait::State::kWaiting,
                         p.expiresAt, std::nullopt};
    }
    // Kept until forgotten, so the code still reads as used.
    p.fetched = true;
    confirmed = *p.confirmed;
    tv = p;
  }
  // Made now, not at the confirm: a TV that never comes leaves no session.
  auto made = accounts_.addDeviceSession(confirmed.by, confirmed.user, confirmed.device, tv.client, tv.userAgent);
  if (!made) {
    // The database could not answer (no session was left): the TV's next
    // ask tries again. A refusal (password changed, disabled, no room) is final.
    if (made.status().code() == StatusCode::kInternal || made.status().code() == StatusCode::kUnavailable) {
      MutexLock lock(mutex_);
      if (auto it = bySecretHash_.find(sha256Hex(secret)); it != bySecretHash_.end()) it->second.fetched = false;
    }
    return made.status();
  }
  return PairingWait{PairingWait::State::kPaired, tv.expiresAt, std::move(*made)};
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
  return std::max(waitFor("user:" + user, now), waitFor("address:" + clientKeys(client).address, now));
}

Status DevicePairing::refuse(const Actor& actor, std::string_view reason, Status why) {
  const WallTime now = clock_.now();
  for (const std::string& key : {"user:" + actor.user, "address:" + clientKeys(actor.client).address}) {
    WrongCodes& w = wrong_[key];
    if (w.count == 0) w.windowStart = now;
    ++w.count;
  }
  VIGIL_RETURN_IF_ERROR(
      tally_.count({actor.user, audit_kind::kDevicePairFailed, "", actor.client, nlohmann::json{{"reason", reason}}.dump()},
                   "codes"));
  return why;
}

Result<DevicePairing::Pairing*> DevicePairing::findWaiting(const Actor& actor, std::string_view code, WallTime now,
                                                           Count count) {
  auto normal = normalizeCode(code);
  if (!normal) return Status::invalidArgument("code: 8 letters, as the TV shows them");
  const std::string address = "address:" + clientKeys(actor.client).address;
  if (const auto wait = std::max(waitFor("user:" + actor.user, now), waitFor(address, now)); wait.count() > 0) {
    // Counted (not written one by one): a flood of them is one row a minute.
    VIGIL_RETURN_IF_ERROR(tally_.count({actor.user, audit_kind::kDevicePairFailed, "", actor.client,
                                        nlohmann::json{{"reason", "throttled"}}.dump()},
                                       "codes"));
    return Status::resourceExhausted(fmt::format("too many wrong codes; retry after {} s", wait.count()));
  }
  // A code found right a moment ago (count == kNotAgain) and taken or
  // ended meanwhile is no guess: refused without counting it.
  const auto refused = [&](std::string_view reason, Status why) REQUIRES(mutex_) {
    return count == Count::kWrongCodes ? refuse(actor, reason, std::move(why)) : why;
  };
  auto found = byCode_.find(*normal);
  if (found == byCode_.end()) {
    return refused("unknown", Status::notFound("code: no TV shows this code; check it, or get a new one on the TV"));
  }
  Pairing& p = bySecretHash_.at(found->second);
  if (p.confirmed) return refused("used", Status::failedPrecondition("code: this code was used already"));
  if (now >= p.expiresAt) {
    return refused("expired", Status::failedPrecondition("code: this code has expired; get a new one on the TV"));
  }
  return &p;
}

Result<PairingRequest> DevicePairing::lookup(const Actor& actor, std::string_view code) {
  const WallTime now = clock_.now();
  MutexLock lock(mutex_);
  prune(now);
  auto p = findWaiting(actor, code, now);
  if (!p) return p.status();
  return PairingRequest{shown((*p)->code), (*p)->client, (*p)->userAgent, (*p)->expiresAt};
}

Result<PairingRequest> DevicePairing::confirm(const Actor& actor, std::string_view code, std::string_view device,
                                              std::string_view password) {
  {
    // The code first: a wrong one costs no password check.
    const WallTime now = clock_.now();
    MutexLock lock(mutex_);
    prune(now);
    if (auto p = findWaiting(actor, code, now); !p) return p.status();
  }
  // Outside the lock: a password check takes a tenth of a second.
  auto approved = accounts_.approveDevice(actor, password, device);
  if (!approved) return approved.status();
  const WallTime now = clock_.now();
  MutexLock lock(mutex_);
  prune(now);
  // Again: another user may have confirmed it meanwhile.
  auto p = findWaiting(actor, code, now, Count::kNotAgain);
  if (!p) return p.status();
  (*p)->confirmed = Confirmed{actor, std::move(*approved), std::string(device)};
  return PairingRequest{shown((*p)->code), (*p)->client, (*p)->userAgent, (*p)->expiresAt};
}

}  // namespace vigil::access

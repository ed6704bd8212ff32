#include "access/throttle.h"

#include <algorithm>
#include <vector>

#include "access/client_address.h"

namespace vigil::access {

namespace {

using std::chrono::steady_clock;

std::string pairKey(std::string_view account, const std::string& address) {
  return std::string(account) + "@" + address;
}

}  // namespace

LoginAttempt::LoginAttempt(LoginAttempt&& other) noexcept
    : throttle_(std::exchange(other.throttle_, nullptr)),
      account_(std::move(other.account_)),
      address_(std::move(other.address_)) {}

LoginAttempt::~LoginAttempt() {
  if (throttle_) throttle_->finish(account_, address_, false);
}

void LoginAttempt::succeeded() {
  if (auto* t = std::exchange(throttle_, nullptr)) t->finish(account_, address_, true);
}

LoginThrottle::LoginThrottle(const Clock& clock, ThrottleOptions options)
    : clock_(clock),
      options_(options),
      ceiling_{double(options.checksPerSecond), clock.steadyNow()},
      knownBudget_{double(options.knownChecksPerSecond), clock.steadyNow()},
      prunedAt_(clock.steadyNow()) {}

std::optional<steady_clock::duration> LoginThrottle::Bucket::take(double rate, steady_clock::time_point now) {
  tokens = std::min(rate, tokens + std::chrono::duration<double>(now - refilledAt).count() * rate);
  refilledAt = now;
  if (tokens < 1) {
    return std::chrono::duration_cast<steady_clock::duration>(std::chrono::duration<double>((1 - tokens) / rate));
  }
  tokens -= 1;
  return std::nullopt;
}

std::optional<steady_clock::duration> LoginThrottle::waitFor(const std::string& key, int freeFailures,
                                                             steady_clock::time_point now) const {
  auto it = entries_.find(key);
  if (it == entries_.end()) return std::nullopt;
  const Entry& e = it->second;
  if (e.blockedUntil > now) return e.blockedUntil - now;
  // Past the free failures, one check at a time: its outcome sets the next wait.
  if (e.checking > 0 && e.failures + e.checking >= freeFailures) return std::chrono::seconds(1);
  return std::nullopt;
}

steady_clock::duration LoginThrottle::clientWait(std::string_view account, std::string_view address,
                                                 steady_clock::time_point now) const {
  const ClientKeys keys = clientKeys(address);
  const std::string pair = pairKey(account, keys.address);
  // A known client is not slowed by its network's count: others on its
  // /24 must not lock it out.
  const bool known = keys.loopback || isKnown(pair, now);
  steady_clock::duration wait{0};
  for (auto w : {waitFor(pair, options_.freeFailuresPerAccountAddress, now),
                 waitFor(keys.address, options_.freeFailuresPerAddress, now),
                 known ? std::nullopt : waitFor(keys.network, options_.freeFailuresPerNetwork, now)}) {
    if (w) wait = std::max(wait, *w);
  }
  return wait;
}

bool LoginThrottle::isKnown(const std::string& pair, steady_clock::time_point now) const {
  auto it = known_.find(pair);
  return it != known_.end() && now - it->second < options_.knownFor;
}

LoginAdmission LoginThrottle::admit(std::string_view account, std::string_view address) {
  const auto now = clock_.steadyNow();
  const ClientKeys keys = clientKeys(address);
  const std::string pair = pairKey(account, keys.address);
  MutexLock lock(mutex_);
  auto refuse = [](LoginAdmission::Refusal why, steady_clock::duration wait) {
    return LoginAdmission{std::nullopt, why,
                          std::max(std::chrono::ceil<std::chrono::seconds>(wait), std::chrono::seconds(1))};
  };
  std::vector<const std::string*> counted{&pair, &keys.address};
  if (!keys.network.empty()) counted.push_back(&keys.network);
  const bool room = forgetOld(now, counted.size());
  if (auto wait = clientWait(account, address, now); wait.count() > 0) {
    return refuse(LoginAdmission::Refusal::kClient, wait);
  }
  if (!room) return refuse(LoginAdmission::Refusal::kNode, std::chrono::seconds(1));
  const bool fromKnownBudget =
      (keys.loopback || isKnown(pair, now)) && !knownBudget_.take(options_.knownChecksPerSecond, now);
  if (!fromKnownBudget) {
    if (auto wait = ceiling_.take(options_.checksPerSecond, now)) return refuse(LoginAdmission::Refusal::kNode, *wait);
  }
  for (const std::string* key : counted) {
    Entry& e = entries_[*key];
    ++e.checking;
    e.lastUse = now;
  }
  return {LoginAttempt(*this, std::string(account), std::string(address)),
          LoginAdmission::Refusal::kNone, std::chrono::seconds(0)};
}

std::chrono::seconds LoginThrottle::retryAfter(std::string_view account, std::string_view address) {
  const auto now = clock_.steadyNow();
  MutexLock lock(mutex_);
  return std::chrono::ceil<std::chrono::seconds>(clientWait(account, address, now));
}

size_t LoginThrottle::keys() {
  MutexLock lock(mutex_);
  return entries_.size();
}

void LoginThrottle::fail(Entry& e, int freeFailures, steady_clock::time_point now) {
  ++e.failures;
  e.lastUse = now;
  if (e.failures < freeFailures) return;
  // The shift is capped so it cannot overflow; maxDelay caps the result.
  const int doublings = std::min(e.failures - freeFailures, 20);
  e.blockedUntil = now + std::min<std::chrono::seconds>(options_.firstDelay * (int64_t{1} << doublings),
                                                        options_.maxDelay);
}

void LoginThrottle::finish(const std::string& account, const std::string& address, bool succeeded) {
  const auto now = clock_.steadyNow();
  const ClientKeys keys = clientKeys(address);
  const std::string pairName = pairKey(account, keys.address);
  MutexLock lock(mutex_);
  // The entries exist: forgetOld() keeps those with checks in flight.
  Entry& pair = entries_[pairName];
  Entry& byAddress = entries_[keys.address];
  Entry* byNetwork = keys.network.empty() ? nullptr : &entries_[keys.network];
  --pair.checking;
  --byAddress.checking;
  if (byNetwork) --byNetwork->checking;
  if (succeeded) {
    pair.failures = 0;
    pair.blockedUntil = {};
    pair.lastUse = now;
    known_[pairName] = now;
    if (known_.size() > options_.maxKnown) {
      known_.erase(std::min_element(known_.begin(), known_.end(),
                                    [](const auto& a, const auto& b) { return a.second < b.second; }));
    }
    return;
  }
  fail(pair, options_.freeFailuresPerAccountAddress, now);
  fail(byAddress, options_.freeFailuresPerAddress, now);
  if (byNetwork) fail(*byNetwork, options_.freeFailuresPerNetwork, now);
}

bool LoginThrottle::forgetOld(steady_clock::time_point now, size_t needed) {
  // Every minute, or at once when the keys needed may not fit: the
  // forgettable, then if still full the longest unused tenth of those that
  // may go. Never a key with a check in flight, nor a blocked one: that
  // would forgive whoever filled the table.
  const auto fits = [&]() REQUIRES(mutex_) { return entries_.size() + needed <= options_.maxKeys; };
  if (fits() && now - prunedAt_ < std::chrono::minutes(1)) return true;
  prunedAt_ = now;
  auto mayGo = [&](const Entry& e) { return e.checking == 0 && e.blockedUntil <= now; };
  std::erase_if(entries_, [&](const auto& kv) {
    return mayGo(kv.second) && now - kv.second.lastUse >= options_.forgetAfter;
  });
  std::erase_if(known_, [&](const auto& kv) { return now - kv.second >= options_.knownFor; });
  if (fits()) return true;
  std::vector<steady_clock::time_point> uses;
  for (const auto& [key, e] : entries_) {
    if (mayGo(e)) uses.push_back(e.lastUse);
  }
  const size_t drop = std::min(uses.size(), options_.maxKeys / 10 + 1);
  if (drop == 0) return false;
  std::nth_element(uses.begin(), uses.begin() + static_cast<ptrdiff_t>(drop - 1), uses.end());
  const auto cutoff = uses[drop - 1];
  std::erase_if(entries_, [&](const auto& kv) { return mayGo(kv.second) && kv.second.lastUse <= cutoff; });
  return fits();
}

}  // namespace vigil::access

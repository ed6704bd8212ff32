#include "access/throttle.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>
#include <vector>

namespace vigil::access {

namespace {

using std::chrono::steady_clock;

// An IPv6 address counts by its /64; a v4-mapped one ("::ffff:a.b.c.d", from
// a dual-stack listener) as the IPv4 address. Anything else as it is.
std::string addressKey(std::string_view address) {
  const std::string text(address);
  in6_addr v6{};
  if (::inet_pton(AF_INET6, text.c_str(), &v6) != 1) return text;
  static constexpr uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  char out[INET6_ADDRSTRLEN] = {};
  if (std::memcmp(v6.s6_addr, kMapped, sizeof kMapped) == 0) {
    ::inet_ntop(AF_INET, v6.s6_addr + 12, out, sizeof out);
    return out;
  }
  std::memset(v6.s6_addr + 8, 0, 8);
  ::inet_ntop(AF_INET6, &v6, out, sizeof out);
  return std::string(out) + "/64";
}

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
      tokens_(options.checksPerSecond),
      refilledAt_(clock.steadyNow()),
      prunedAt_(clock.steadyNow()) {}

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

LoginAdmission LoginThrottle::admit(std::string_view account, std::string_view address) {
  const auto now = clock_.steadyNow();
  const std::string addr = addressKey(address);
  const std::string pair = pairKey(account, addr);
  MutexLock lock(mutex_);
  forgetOld(now);
  steady_clock::duration wait{0};
  for (auto w : {waitFor(pair, options_.freeFailuresPerAccountAddress, now),
                 waitFor(addr, options_.freeFailuresPerAddress, now)}) {
    if (w) wait = std::max(wait, *w);
  }
  if (wait.count() > 0) {
    return {std::nullopt, LoginAdmission::Refusal::kClient,
            std::max(std::chrono::ceil<std::chrono::seconds>(wait), std::chrono::seconds(1))};
  }
  // The node-wide token bucket: checksPerSecond tokens a second, as many at most.
  const double rate = options_.checksPerSecond;
  tokens_ = std::min(rate, tokens_ + std::chrono::duration<double>(now - refilledAt_).count() * rate);
  refilledAt_ = now;
  if (tokens_ < 1) {
    const auto refill = std::chrono::duration<double>((1 - tokens_) / rate);
    return {std::nullopt, LoginAdmission::Refusal::kNode,
            std::max(std::chrono::ceil<std::chrono::seconds>(refill), std::chrono::seconds(1))};
  }
  tokens_ -= 1;
  for (const std::string* key : {&pair, &addr}) {
    Entry& e = entries_[*key];
    ++e.checking;
    e.lastUse = now;
  }
  return {LoginAttempt(*this, std::string(account), std::string(address)),
          LoginAdmission::Refusal::kNone, std::chrono::seconds(0)};
}

std::chrono::seconds LoginThrottle::retryAfter(std::string_view account, std::string_view address) {
  const auto now = clock_.steadyNow();
  const std::string addr = addressKey(address);
  MutexLock lock(mutex_);
  steady_clock::duration wait{0};
  for (auto w : {waitFor(pairKey(account, addr), options_.freeFailuresPerAccountAddress, now),
                 waitFor(addr, options_.freeFailuresPerAddress, now)}) {
    if (w) wait = std::max(wait, *w);
  }
  return std::chrono::ceil<std::chrono::seconds>(wait);
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
  const std::string addr = addressKey(address);
  MutexLock lock(mutex_);
  // The entries exist: forgetOld() keeps those with checks in flight.
  Entry& pair = entries_[pairKey(account, addr)];
  Entry& byAddress = entries_[addr];
  --pair.checking;
  --byAddress.checking;
  if (succeeded) {
    pair.failures = 0;
    pair.blockedUntil = {};
    pair.lastUse = now;
    return;
  }
  fail(pair, options_.freeFailuresPerAccountAddress, now);
  fail(byAddress, options_.freeFailuresPerAddress, now);
}

void LoginThrottle::forgetOld(steady_clock::time_point now) {
  // Every minute, or at once when an admission's two keys may not fit:
  // the forgettable, then if still full the longest unused tenth (never an
  // entry with a check in flight).
  const auto full = [&]() REQUIRES(mutex_) { return entries_.size() + 2 > options_.maxKeys; };
  if (!full() && now - prunedAt_ < std::chrono::minutes(1)) return;
  prunedAt_ = now;
  auto idle = [](const Entry& e) { return e.checking == 0; };
  std::erase_if(entries_, [&](const auto& kv) {
    return idle(kv.second) && now - kv.second.lastUse >= options_.forgetAfter && kv.second.blockedUntil <= now;
  });
  if (!full()) return;
  std::vector<steady_clock::time_point> uses;
  for (const auto& [key, e] : entries_) {
    if (idle(e)) uses.push_back(e.lastUse);
  }
  const size_t drop = std::min(uses.size(), options_.maxKeys / 10 + 1);
  if (drop == 0) return;
  std::nth_element(uses.begin(), uses.begin() + static_cast<ptrdiff_t>(drop - 1), uses.end());
  const auto cutoff = uses[drop - 1];
  std::erase_if(entries_, [&](const auto& kv) { return idle(kv.second) && kv.second.lastUse <= cutoff; });
}

}  // namespace vigil::access

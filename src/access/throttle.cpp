#include "access/throttle.h"

#include <algorithm>

namespace vigil::access {

namespace {
std::string accountKey(std::string_view account) { return "u:" + std::string(account); }
std::string addressKey(std::string_view address) { return "a:" + std::string(address); }
}  // namespace

std::chrono::seconds LoginThrottle::retryAfter(std::string_view account, std::string_view address) {
  const auto now = clock_.steadyNow();
  std::lock_guard lock(mutex_);
  std::chrono::steady_clock::duration wait{0};
  for (const std::string& key : {accountKey(account), addressKey(address)}) {
    auto it = entries_.find(key);
    if (it != entries_.end() && it->second.blockedUntil > now) wait = std::max(wait, it->second.blockedUntil - now);
  }
  return std::chrono::ceil<std::chrono::seconds>(wait);
}

void LoginThrottle::fail(const std::string& key, int freeFailures, std::chrono::steady_clock::time_point now) {
  Entry& e = entries_[key];
  ++e.failures;
  e.lastFailure = now;
  if (e.failures < freeFailures) return;
  // The shift is capped so it cannot overflow; maxDelay caps the result.
  const int doublings = std::min(e.failures - freeFailures, 20);
  const auto delay = std::min<std::chrono::seconds>(options_.firstDelay * (int64_t{1} << doublings), options_.maxDelay);
  e.blockedUntil = now + delay;
}

void LoginThrottle::forgetOld(std::chrono::steady_clock::time_point now) {
  std::erase_if(entries_, [&](const auto& kv) {
    return now - kv.second.lastFailure >= options_.forgetAfter && kv.second.blockedUntil <= now;
  });
}

void LoginThrottle::recordFailure(std::string_view account, std::string_view address) {
  const auto now = clock_.steadyNow();
  std::lock_guard lock(mutex_);
  forgetOld(now);
  fail(accountKey(account), options_.freeFailuresPerAccount, now);
  fail(addressKey(address), options_.freeFailuresPerAddress, now);
}

void LoginThrottle::recordSuccess(std::string_view account) {
  std::lock_guard lock(mutex_);
  entries_.erase(accountKey(account));
}

}  // namespace vigil::access

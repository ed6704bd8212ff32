#pragma once
// Login rate limiting: failed logins are counted per account name and per
// client address; past a few free failures each further one doubles the
// wait before the next attempt is even checked (1 s, 2 s, 4 s... up to
// maxDelay). An attacker guessing one account, or guessing many accounts
// from one address, slows to a crawl; a user who mistypes twice does not
// notice. State is in memory: a restart forgives, which costs an attacker
// a restart of our node they cannot cause.

#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

#include "base/time.h"

namespace vigil::access {

struct ThrottleOptions {
  int freeFailuresPerAccount = 3;
  int freeFailuresPerAddress = 10;
  std::chrono::seconds firstDelay{1};
  std::chrono::seconds maxDelay{15 * 60};
  // A key with no failure for this long is forgotten.
  std::chrono::seconds forgetAfter{60 * 60};
};

// Thread-safe.
class LoginThrottle {
 public:
  LoginThrottle(const Clock& clock, ThrottleOptions options) : clock_(clock), options_(options) {}

  // How long the caller must wait before this attempt may be checked,
  // rounded up to whole seconds; zero when it may go ahead.
  std::chrono::seconds retryAfter(std::string_view account, std::string_view address);
  void recordFailure(std::string_view account, std::string_view address);
  // A correct password clears the account's count (not the address's: one
  // known password must not reset guessing at other accounts).
  void recordSuccess(std::string_view account);

 private:
  struct Entry {
    int failures = 0;
    std::chrono::steady_clock::time_point lastFailure;
    std::chrono::steady_clock::time_point blockedUntil;
  };
  void fail(const std::string& key, int freeFailures, std::chrono::steady_clock::time_point now);
  void forgetOld(std::chrono::steady_clock::time_point now);

  const Clock& clock_;
  const ThrottleOptions options_;
  std::mutex mutex_;
  std::map<std::string, Entry, std::less<>> entries_;  // "u:name" and "a:address"
};

}  // namespace vigil::access

#pragma once
// Login rate limiting. Failed password checks are counted per (account,
// client address) and per client address; past a few free failures each
// further one doubles the wait before that key may be checked again (1 s,
// 2 s, 4 s... up to maxDelay). Nothing is counted per account alone: an
// outsider guessing `admin` slows only their own address, never the real
// admin logging in from another. A node-wide ceiling on checks per second
// bounds the CPU and memory Argon2id can be made to spend, whatever the
// number of addresses; past it every login is refused for a moment, cheaply.
//
// Admission and counting are one step: admit() reserves the check, so
// parallel requests cannot all slip through before the first one fails.
// IPv6 addresses count per /64 (one host usually has a whole /64). State is
// in memory: a restart forgives, which costs an attacker a restart of our
// node they cannot cause.

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "base/mutex.h"
#include "base/time.h"

namespace vigil::access {

struct ThrottleOptions {
  int freeFailuresPerAccountAddress = 3;
  int freeFailuresPerAddress = 10;
  std::chrono::seconds firstDelay{1};
  std::chrono::seconds maxDelay{15 * 60};
  // A key with no attempt for this long is forgotten.
  std::chrono::seconds forgetAfter{60 * 60};
  // Password checks per second for the whole node (each costs Argon2id's
  // 64 MiB and about 0.1 s of a core); up to this many may come at once.
  int checksPerSecond = 10;
  // Keys kept at most; past it, the longest unused are forgotten first.
  size_t maxKeys = 100'000;
};

class LoginThrottle;

// One admitted password check. It counts as a failure of its keys unless
// succeeded() is called before it is destroyed.
class LoginAttempt {
 public:
  LoginAttempt(LoginThrottle& throttle, std::string account, std::string address)
      : throttle_(&throttle), account_(std::move(account)), address_(std::move(address)) {}
  LoginAttempt(LoginAttempt&& other) noexcept;
  LoginAttempt& operator=(LoginAttempt&&) = delete;
  ~LoginAttempt();
  void succeeded();

 private:
  LoginThrottle* throttle_;  // null once finished
  std::string account_;
  std::string address_;
};

struct LoginAdmission {
  enum class Refusal { kNone, kClient, kNode };
  std::optional<LoginAttempt> attempt;  // set when the password may be checked
  Refusal refusal = Refusal::kNone;     // why not: this client's keys, or the node-wide ceiling
  std::chrono::seconds retryAfter{0};   // when refused, at least 1 s
};

// Thread-safe.
class LoginThrottle {
 public:
  LoginThrottle(const Clock& clock, ThrottleOptions options);

  LoginAdmission admit(std::string_view account, std::string_view address);
  // How long this account and address must wait now (0: may go ahead, if
  // the node-wide ceiling allows), rounded up to whole seconds.
  std::chrono::seconds retryAfter(std::string_view account, std::string_view address);
  size_t keys();  // how many are counted now, at most maxKeys

 private:
  friend class LoginAttempt;
  struct Entry {
    int failures = 0;
    int checking = 0;  // admitted checks not finished yet
    std::chrono::steady_clock::time_point lastUse;
    std::chrono::steady_clock::time_point blockedUntil;
  };
  // A correct password clears the (account, address) count but not the
  // address's: one known password must not reset guessing at others.
  void finish(const std::string& account, const std::string& address, bool succeeded);
  std::optional<std::chrono::steady_clock::duration> waitFor(const std::string& key, int freeFailures,
                                                             std::chrono::steady_clock::time_point now) const
      REQUIRES(mutex_);
  void fail(Entry& e, int freeFailures, std::chrono::steady_clock::time_point now);
  void forgetOld(std::chrono::steady_clock::time_point now) REQUIRES(mutex_);

  const Clock& clock_;
  const ThrottleOptions options_;
  Mutex mutex_;
  // "<account>@<address>" and "<address>" (accounts are ids, never with '@').
  std::map<std::string, Entry, std::less<>> entries_ GUARDED_BY(mutex_);
  double tokens_ GUARDED_BY(mutex_);  // the node-wide ceiling's token bucket
  std::chrono::steady_clock::time_point refilledAt_ GUARDED_BY(mutex_);
  std::chrono::steady_clock::time_point prunedAt_ GUARDED_BY(mutex_);
};

}  // namespace vigil::access

#pragma once
// Login rate limiting. Failed password checks are counted per (account,
// client address), per client address and per client network (IPv4 /24,
// IPv6 /48); past a few free failures each further one doubles the wait
// before that key may be checked again (1 s, 2 s, 4 s... up to maxDelay).
// Nothing is counted per account alone: an outsider guessing `admin` slows
// only their own address, never the real admin logging in from another. A
// node-wide ceiling on checks per second bounds the CPU and memory
// Argon2id can be made to spend, whatever the number of addresses; past it
// logins are refused for a moment, cheaply. An attacker with many networks
// can keep that ceiling reached, so a name logging in from an address it
// logged in from within knownFor (and anyone on 127.0.0.1 or ::1) checks
// from a small budget of its own, outside the ceiling, and is not slowed
// by its network's count.
//
// Admission and counting are one step: admit() reserves the check, so
// parallel requests cannot all slip through before the first one fails.
// IPv6 addresses count per /64 (one host usually has a whole /64); the
// link-local ones (fe80::/10, "fe80::1%eth0") as one address per
// interface. State is in memory: a restart forgives, which costs an
// attacker a restart of our node they cannot cause.

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
  int freeFailuresPerNetwork = 30;
  std::chrono::seconds firstDelay{1};
  std::chrono::seconds maxDelay{15 * 60};
  // A key with no attempt for this long is forgotten.
  std::chrono::seconds forgetAfter{60 * 60};
  // Password checks per second for the whole node (each costs Argon2id's
  // 64 MiB and about 0.1 s of a core); up to this many may come at once.
  int checksPerSecond = 10;
  // The budget outside it, for known (account, address) pairs and loopback.
  int knownChecksPerSecond = 2;
  // A pair is known this long after its last successful login; at most
  // maxKnown are kept (the least recent forgotten first).
  std::chrono::seconds knownFor{30 * 24 * 60 * 60};
  size_t maxKnown = 10'000;
  // Keys kept at most; past it, the longest unused are forgotten first,
  // but never a blocked one: while only blocked keys fill the table, logins
  // needing a new key are refused as the ceiling refuses them.
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
  // A token bucket: `rate` tokens a second, as many at most.
  struct Bucket {
    double tokens;
    std::chrono::steady_clock::time_point refilledAt;
    // Takes a token, or says how long until there is one.
    std::optional<std::chrono::steady_clock::duration> take(double rate, std::chrono::steady_clock::time_point now);
  };
  std::chrono::steady_clock::duration clientWait(std::string_view account, std::string_view address,
                                                 std::chrono::steady_clock::time_point now) const REQUIRES(mutex_);
  std::optional<std::chrono::steady_clock::duration> waitFor(const std::string& key, int freeFailures,
                                                             std::chrono::steady_clock::time_point now) const
      REQUIRES(mutex_);
  void fail(Entry& e, int freeFailures, std::chrono::steady_clock::time_point now);
  // False when `needed` more keys (an admission's) do not fit even after
  // forgetting what may be forgotten.
  bool forgetOld(std::chrono::steady_clock::time_point now, size_t needed) REQUIRES(mutex_);
  bool isKnown(const std::string& pair, std::chrono::steady_clock::time_point now) const REQUIRES(mutex_);

  const Clock& clock_;
  const ThrottleOptions options_;
  Mutex mutex_;
  // "<account>@<address>", "<address>" and "<network>/24" or "/48"
  // (accounts are ids, never with '@').
  std::map<std::string, Entry, std::less<>> entries_ GUARDED_BY(mutex_);
  Bucket ceiling_ GUARDED_BY(mutex_);
  Bucket knownBudget_ GUARDED_BY(mutex_);
  // "<account>@<address>" -> its last successful login.
  std::map<std::string, std::chrono::steady_clock::time_point, std::less<>> known_ GUARDED_BY(mutex_);
  std::chrono::steady_clock::time_point prunedAt_ GUARDED_BY(mutex_);
};

}  // namespace vigil::access

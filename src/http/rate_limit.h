#pragma once
// A bound on requests anyone can make without an account (the public
// register, design/REGISTER.md): at most `perAddress` requests per client
// address in each window, `perNetwork` per network (an IPv4 /24, an IPv6
// /48: one home or office cannot take the node's whole budget), and at
// most `perNode` from all addresses together, so no client and no crowd of
// them makes the node spend more than that on answers nobody had to log
// in for. Fixed windows: the counts start again when a window ends; at
// most `maxAddresses` are counted in a window, and requests from addresses
// past it count only against the node's bound. An address is what
// access::clientKeys says (an IPv6 client by its /64). Thread-safe.

#include <chrono>
#include <map>
#include <string>

#include "base/mutex.h"

namespace vigil::http {

struct RateLimitOptions {
  std::chrono::seconds window{60};
  int perAddress = 60;
  int perNetwork = 150;
  int perNode = 600;
  size_t maxAddresses = 10'000;
};

class RateLimit {
 public:
  using Clock = std::chrono::steady_clock;
  explicit RateLimit(RateLimitOptions options = {}) : options_(options) {}

  // Zero: the request may be answered (and is counted). Otherwise how long
  // until the window ends, at least 1 s: answer 429 with that Retry-After.
  std::chrono::seconds admit(const std::string& address, Clock::time_point now = Clock::now()) EXCLUDES(mutex_);

 private:
  const RateLimitOptions options_;
  Mutex mutex_;
  Clock::time_point windowStart_ GUARDED_BY(mutex_){};
  int nodeCount_ GUARDED_BY(mutex_) = 0;
  std::map<std::string, int> counts_ GUARDED_BY(mutex_);
};

}  // namespace vigil::http

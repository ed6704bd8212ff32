#include "http/rate_limit.h"

#include <algorithm>

namespace vigil::http {

std::chrono::seconds RateLimit::admit(const std::string& address, Clock::time_point now) {
  MutexLock lock(mutex_);
  if (now - windowStart_ >= options_.window) {
    windowStart_ = now;
    nodeCount_ = 0;
    counts_.clear();
  }
  // Until the window ends, when refused.
  const auto wait =
      std::max(std::chrono::ceil<std::chrono::seconds>(windowStart_ + options_.window - now), std::chrono::seconds(1));
  if (nodeCount_ >= options_.perNode) return wait;
  auto it = counts_.find(address);
  if (it == counts_.end() && counts_.size() < options_.maxAddresses) it = counts_.emplace(address, 0).first;
  if (it != counts_.end()) {
    if (it->second >= options_.perAddress) return wait;
    ++it->second;
  }
  ++nodeCount_;
  return std::chrono::seconds(0);
}

}  // namespace vigil::http

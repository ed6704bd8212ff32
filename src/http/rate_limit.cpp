#include "http/rate_limit.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "access/client_address.h"

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
  const access::ClientKeys client = access::clientKeys(address);
  // Each key with its bound; a key past the table counts only against the node's.
  std::vector<int*> counted;
  for (const auto& [key, bound] : {std::pair{"a " + client.address, options_.perAddress},
                                   std::pair{client.network.empty() ? "" : "n " + client.network, options_.perNetwork}}) {
    if (key.empty()) continue;
    auto it = counts_.find(key);
    if (it == counts_.end() && counts_.size() < options_.maxAddresses) it = counts_.emplace(key, 0).first;
    if (it == counts_.end()) continue;
    if (it->second >= bound) return wait;
    counted.push_back(&it->second);
  }
  for (int* count : counted) ++*count;
  ++nodeCount_;
  return std::chrono::seconds(0);
}

}  // namespace vigil::http

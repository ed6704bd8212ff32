#include "http/rate_limit.h"

#include <arpa/inet.h>

#include <algorithm>

namespace vigil::http {

std::string RateLimit::clientOf(const std::string& address) {
  const std::string bare = address.substr(0, address.find('%'));  // a link-local address's zone
  in6_addr v6{};
  if (inet_pton(AF_INET6, bare.c_str(), &v6) != 1) return address;
  char text[INET6_ADDRSTRLEN] = {};
  if (IN6_IS_ADDR_V4MAPPED(&v6)) return inet_ntop(AF_INET, &v6.s6_addr[12], text, sizeof text);
  std::fill(v6.s6_addr + 8, v6.s6_addr + 16, 0);
  return std::string(inet_ntop(AF_INET6, &v6, text, sizeof text)) + "/64";
}

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
  const std::string client = clientOf(address);
  auto it = counts_.find(client);
  if (it == counts_.end() && counts_.size() < options_.maxAddresses) it = counts_.emplace(client, 0).first;
  if (it != counts_.end()) {
    if (it->second >= options_.perAddress) return wait;
    ++it->second;
  }
  ++nodeCount_;
  return std::chrono::seconds(0);
}

}  // namespace vigil::http

#pragma once
// [link]: the tier link's options (design/LINK.md). A child names the
// parent it dials; `vigil link join` writes it.

#include <string>
#include <string_view>

#include "base/config.h"

namespace vigil::link {

struct LinkConfig {
  std::string parent;  // "https://HOST:PORT"; empty: no parent
};

inline constexpr std::string_view kLinkConfigKeys[] = {"parent"};
Status readLinkConfig(const ConfigTable& table, LinkConfig& out);

// A parent's address as [link] parent and `vigil link join --parent` give
// it: "https://HOST:PORT" (nothing after the port, port not 0).
Result<HostPort> parseLinkParent(std::string_view url);

}  // namespace vigil::link

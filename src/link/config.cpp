#include "link/config.h"

#include <fmt/format.h>

namespace vigil::link {

Status readLinkConfig(const ConfigTable& t, LinkConfig& out) {
  VIGIL_RETURN_IF_ERROR(t.readString("parent", out.parent));
  if (t.contains("parent") && !parseLinkParent(out.parent)) return t.fail("parent", "must be https://HOST:PORT");
  return Status::ok();
}

Result<HostPort> parseLinkParent(std::string_view url) {
  constexpr std::string_view kScheme = "https://";
  const auto bad = [&] { return Status::invalidArgument(fmt::format("\"{}\" is not https://HOST:PORT", url)); };
  if (!url.starts_with(kScheme)) return bad();
  auto hp = parseHostPort(url.substr(kScheme.size()));
  if (!hp) return hp.status();
  if (hp->port == 0 || hp->host.find_first_of("/@?#") != std::string::npos) return bad();
  return hp;
}

}  // namespace vigil::link

#pragma once
// [http]: where the node's web server listens and what it serves.

#include <string>
#include <string_view>

#include "base/config.h"

namespace vigil::http {

struct HttpConfig {
  HostPort listen{"127.0.0.1", 8080};
  // PEM files; both set: HTTPS only (with HSTS), both empty: plain HTTP.
  std::string tlsCert;
  std::string tlsKey;
  // The built web UI (web/dist). Empty: looked for next to the program
  // (app::findWebRoot); none found: a minimal login page.
  std::string webRoot;
};

inline constexpr std::string_view kHttpConfigKeys[] = {"listen", "tls_cert", "tls_key", "web_root"};
Status readHttpConfig(const ConfigTable& table, HttpConfig& out);

}  // namespace vigil::http

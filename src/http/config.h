#pragma once
// [http]: where the node's web server listens and what it serves.

#include <string>
#include <string_view>
#include <vector>

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
  // Live views (WebSockets, HLS looks) one session, one user may have open.
  int liveViewsPerSession = 32;
  int liveViewsPerUser = 64;
  // The names clients may reach this server by (Host header), besides IP
  // addresses, "localhost" and the listen host: others get 421, so a page
  // of another site whose name was rebound to our address gets nothing.
  std::vector<std::string> hosts;
};

inline constexpr std::string_view kHttpConfigKeys[] = {"listen",   "tls_cert", "tls_key",
                                                       "web_root", "hosts",    "live_views_per_session",
                                                       "live_views_per_user"};
Status readHttpConfig(const ConfigTable& table, HttpConfig& out);

}  // namespace vigil::http

#include "http/config.h"

namespace vigil::http {

Status readHttpConfig(const ConfigTable& t, HttpConfig& out) {
  std::string listen;
  VIGIL_RETURN_IF_ERROR(t.readString("listen", listen));
  if (t.contains("listen")) {
    auto hp = parseHostPort(listen);
    if (!hp) return t.fail("listen", hp.status().message());
    out.listen = *hp;
  }
  VIGIL_RETURN_IF_ERROR(t.readString("tls_cert", out.tlsCert));
  VIGIL_RETURN_IF_ERROR(t.readString("tls_key", out.tlsKey));
  VIGIL_RETURN_IF_ERROR(t.readString("web_root", out.webRoot));
  VIGIL_RETURN_IF_ERROR(t.readInt("live_views_per_session", 1, 10000, out.liveViewsPerSession));
  VIGIL_RETURN_IF_ERROR(t.readInt("live_views_per_user", 1, 10000, out.liveViewsPerUser));
  VIGIL_RETURN_IF_ERROR(
      t.readStrings("hosts", isValidHostName, "a host name without port (\"cam.example.org\")", out.hosts));
  if (out.tlsCert.empty() != out.tlsKey.empty()) {
    return t.fail(out.tlsCert.empty() ? "tls_key" : "tls_cert", "tls_cert and tls_key go together");
  }
  return Status::ok();
}

}  // namespace vigil::http

#include "onvif/config.h"

#include <string>

namespace vigil::onvif {

Status readOnvifConfig(const ConfigTable& t, OnvifConfig& out) {
  std::string text;
  VIGIL_RETURN_IF_ERROR(t.readString("discovery", text));
  if (!t.contains("discovery")) return Status::ok();
  auto where = parseHostPort(text);
  if (!where || where->port == 0) return t.fail("discovery", "must be ADDR:PORT, like 239.255.255.250:3702");
  out.discovery = *where;
  return Status::ok();
}

Status readCameraOnvifConfig(const ConfigTable& t, CameraOnvifConfig& out) {
  VIGIL_RETURN_IF_ERROR(t.readString("onvif", out.deviceUrl));
  if (t.contains("onvif") && out.deviceUrl.rfind("http://", 0) != 0) return t.fail("onvif", "must be an http:// URL");
  return Status::ok();
}

}  // namespace vigil::onvif

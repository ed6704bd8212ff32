#include "onvif/config.h"

#include <string>
#include <utility>

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
  if (t.contains("onvif")) {
    if (Status s = checkDeviceUrl(out.deviceUrl); !s.isOk()) return t.fail("onvif", s.message());
  }
  for (auto [key, value] : {std::pair{"onvif_username", &out.username}, std::pair{"onvif_password", &out.password}}) {
    if (!t.contains(key)) continue;
    if (!t.contains("onvif")) return t.fail(key, "needs onvif, the device's address");
    std::string text;
    VIGIL_RETURN_IF_ERROR(t.readString(key, text));
    *value = std::move(text);
  }
  return Status::ok();
}

}  // namespace vigil::onvif

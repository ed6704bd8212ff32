// Cameras from the API (design/CAMERAS.md): the body of POST and PUT
// /api/v1/cameras (parseCameraBody), read as a [[camera]] table through
// TOML by the config's own reader (readCameraJson), its view for the API
// (publicCameraTable, moveUrlCredentials), and the probe's body
// (parseCameraProbe). Whatever the bytes: no crash; a table that reads
// reads the same again after the credentials move out of its URL; the
// API's view never holds a password.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "app/camera_json.h"
#include "app/node_cameras.h"
#include "http/camera_admin_routes.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace vigil;
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  (void)http::parseCameraProbe(body);
  auto parsed = http::parseCameraBody(body);
  if (!parsed) return 0;
  nlohmann::json table = parsed->table;
  auto camera = app::readCameraJson(table);
  const nlohmann::json shown = app::publicCameraTable(table);
  for (const auto& [key, value] : shown.items()) {
    // onvif_password too; has_password and has_onvif_password say only whether.
    if (!key.starts_with("has_") && (key == "password" || key.ends_with("_password"))) std::abort();
  }
  if (!camera) return 0;
  app::moveUrlCredentials(table);
  auto again = app::readCameraJson(table);
  if (!again || again->camera.id != camera->camera.id || again->recording.record != camera->recording.record) {
    std::abort();
  }
  return 0;
}

// A camera's detection settings (PUT /api/v1/cameras/{id}/detection) come
// from an admin's request and are kept as the JSON they write back to:
// what parses must write back to text that parses to the same settings,
// or what the node keeps and what it applied would disagree.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "detect/settings.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto settings = vigil::detect::parseCameraDetectJson(text);
  if (!settings) return 0;
  auto again = vigil::detect::parseCameraDetectJson(vigil::detect::cameraDetectJson(*settings).dump());
  if (!again || *again != *settings) std::abort();
  return 0;
}

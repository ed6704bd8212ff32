// The bodies of pairing a TV (http/device_routes.h): the secret a TV
// asks with, from anyone on the network before any session exists; the
// code and name a logged-in user confirms, and the code as typed.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "access/device_pairing.h"
#include "http/input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)vigil::http::parsePairingSecret(text);
  if (auto confirm = vigil::http::parseDeviceConfirm(text)) (void)vigil::access::normalizeCode(confirm->code);
  (void)vigil::access::normalizeCode(text);
  return 0;
}

// A SOAP envelope from an ONVIF device, a WS-Discovery answer, or a
// request to the simulator (onvif/soap.h, onvif/messages.h, onvif/wsse.h).
// Whatever the bytes, nothing crashes; what parses was no larger than the
// bound and has a Body element; no answer lists more than 64 entries.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "onvif/messages.h"
#include "onvif/soap.h"
#include "onvif/wsse.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace vigil::onvif;
  auto doc = SoapDocument::parse(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!doc) return 0;
  if (size > kMaxSoapBytes || !doc->payload()) std::abort();
  (void)parseDeviceInformation(*doc);
  (void)parseServiceAddresses(*doc);
  if (auto profiles = parseProfiles(*doc); profiles && profiles->size() > 64) std::abort();
  (void)parseMediaUri(*doc);
  if (auto presets = parsePresets(*doc); presets && presets->size() > 64) std::abort();
  (void)parsePresetToken(*doc);
  (void)parseEmptyAnswer(*doc);
  if (auto found = parseProbeMatches(*doc, "urn:uuid:1"); found && found->size() > 64) std::abort();
  (void)checkUsernameToken(doc->header(), "admin", "secret");
  return 0;
}

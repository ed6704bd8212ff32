// POST /api/v1/broadcasts's body comes from any operator of a desk: JSON
// with the text, the targets (node paths), base64 audio and an RFC 3339
// expiry, each parsed before the notice is checked against the tree.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "alarm/notice.h"
#include "http/broadcast_routes.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto n = vigil::http::parseBroadcastRequest(text, "ann")) {
    for (const std::string& path : n->to) (void)vigil::alarm::isNoticeTarget(path);
  }
  return 0;
}

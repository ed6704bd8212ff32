// What recorded media across tiers take from the network (design/LINK.md,
// "Recorded media across tiers"): the three control messages and the
// parts of a reply (link/media_messages.h). The input is a sequence of
// payloads, each a 2-byte big-endian length and its bytes, each decoded
// as every message; a decoded one must encode back to what decodes the
// same, and a body part must lie inside its payload.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "link/media_messages.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace vigil::link;
  std::span<const uint8_t> rest(data, size);
  while (rest.size() >= 2) {
    const size_t n = std::min<size_t>(rest.size() - 2, size_t{rest[0]} << 8 | rest[1]);
    const auto payload = rest.subspan(2, n);
    rest = rest.subspan(2 + n);
    if (auto open = decodeMediaOpen(payload)) {
      auto again = decodeMediaOpen(encode(*open));
      if (!again || again->path != open->path || again->window != open->window ||
          again->proof != open->proof) std::abort();
    }
    (void)decodeMediaCredit(payload);
    (void)decodeMediaCancel(payload);
    if (auto reply = decodeMediaReply(payload); reply && reply->part == MediaPart::kBody) {
      if (reply->body.data() < payload.data() || reply->body.data() + reply->body.size() > payload.data() + payload.size()) {
        std::abort();
      }
    }
  }
  return 0;
}

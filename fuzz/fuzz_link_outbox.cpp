// The durable outbox's messages (link/wire.h: kDeliver, kAck) as a node
// meets them from a linked peer: each input is decoded as a delivery and
// as an ack, and, when it decodes, encoded again to the same bytes.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "link/wire.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace vigil::link;
  const std::span<const uint8_t> bytes(data, size);
  if (auto d = decodeDelivery(bytes)) {
    if (encode(*d) != std::vector<uint8_t>(bytes.begin(), bytes.end())) std::abort();
    if (!isValidMessageType(d->type) || d->body.size() > kMaxMessageBodyBytes || d->seq == 0) std::abort();
  }
  if (auto a = decodeAck(bytes)) {
    if (encode(*a) != std::vector<uint8_t>(bytes.begin(), bytes.end())) std::abort();
  }
  return 0;
}

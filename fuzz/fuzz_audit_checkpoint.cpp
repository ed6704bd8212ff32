// Fuzzes the audit checkpoint parser: the file beside the node key today,
// and later what a child node sends its parent over the tier link. A
// parsed checkpoint must encode to text that parses back to the same one.
// The seed is a checkpoint written by `vigil user add`.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "access/audit_checkpoint.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using vigil::access::AuditCheckpoint;
  auto c = AuditCheckpoint::parse(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!c) return 0;
  (void)c->signatureValid();
  auto again = AuditCheckpoint::parse(c->encode());
  if (!again || again->key != c->key || again->seq != c->seq || again->head != c->head ||
      again->at != c->at || again->signature != c->signature) {
    __builtin_trap();
  }
  return 0;
}

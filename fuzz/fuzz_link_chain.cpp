// What a child takes from its parent about the nodes above (design/LINK.md,
// "Who asks"): the kChain message (link/ancestors.h). Each input is one
// payload: decoded strictly, a chain that decodes re-encodes to itself,
// and is checked (signatures, tiers) and offered to a node as its parent
// would, both without and with a chain pinned before.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "link/ancestors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace vigil::link;
  auto chain = decodeChain(std::span<const uint8_t>(data, size));
  if (!chain) return 0;
  auto again = decodeChain(encodeChain(*chain));
  if (!again || !(*again == *chain)) std::abort();
  (void)verifyChain(*chain);
  const ChainNode& self = chain->back();
  const ChainNode& above = (*chain)[chain->size() - 2];
  const ParentRecord parent{"https://parent", above.id, "Parent", above.tier, above.key, {}};
  (void)takeChain(std::nullopt, *chain, self, parent);
  (void)takeChain(*chain, *chain, self, parent);
  Chain older = *chain;
  older.back().enrolledAtUs ^= 1;
  (void)takeChain(older, *chain, self, parent);
  return 0;
}

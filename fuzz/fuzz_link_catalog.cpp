// The catalog's message (link/catalog_messages.h), which a parent reads from
// each child, decoded and then merged by a village's catalog (link/catalog.h)
// as it came from child "house1": whatever the bytes, nothing crashes, and
// what decodes encodes back to the same updates.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "link/catalog.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace vigil::link;
  static Bus bus;
  static Catalog village(bus, {"village1", "Willow village", vigil::Tier::kVillage, vigil::Tier::kTownship}, {});
  const std::span<const uint8_t> bytes(data, size);
  if (auto updates = decodeCatalog(bytes)) {
    std::vector<CatalogUpdate> again;
    for (const auto& payload : encodeCatalog(*updates)) {
      auto decoded = decodeCatalog(payload);
      if (!decoded) std::abort();
      again.insert(again.end(), decoded->begin(), decoded->end());
    }
    if (again != *updates) std::abort();
  }
  (void)bus.deliver(Peer::child("house1"), Frame{Kind::kCatalog, 0, {data, data + size}});
  for (const RemoteCamera& c : village.cameras()) {
    if (c.nodePath.front() != "house1" || !village.has(c.id)) std::abort();
  }
  return 0;
}

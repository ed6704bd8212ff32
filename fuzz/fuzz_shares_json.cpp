// A camera's share list (PUT /api/v1/cameras/{id}/shares) comes from an
// admin's request. What parses must write back to text that parses to the
// same list, or the stored list and its audit row would disagree.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "access/share_row.h"
#include "access/shares.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto shares = vigil::access::parseShares(text);
  if (!shares) return 0;
  auto again = vigil::access::parseShares(vigil::access::sharesJson(*shares));
  if (!again || *again != *shares) std::abort();
  for (const vigil::access::Share& share : *shares) {
    auto row = vigil::access::fromShareRow("fuzz", vigil::access::toShareRow(share));
    if (!row || *row != share) std::abort();
    (void)vigil::access::decideShare(*shares, {share.tier, vigil::access::ShareRight::kLive,
                                               share.expiresAt.value_or(vigil::WallTime()), 1439, false});
  }
  return 0;
}

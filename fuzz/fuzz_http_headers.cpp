// Fuzzes the request headers the HTTP server interprets itself: Host,
// Range (against several body sizes), HTTP dates, If-None-Match and
// If-Range. Every partial range must lie inside the body; a parsed date
// must format back to the same text; a Host's name holds no ':', '@', '/'
// or space unless it is an IPv6 address.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "http/headers.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace vigil::http;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  for (uint64_t bodySize : {uint64_t{0}, uint64_t{1}, uint64_t{1000}, ~uint64_t{0}}) {
    const RangeDecision d = evaluateRange(text, bodySize);
    if (d.kind == RangeDecision::Kind::kPartial && (d.range.first > d.range.last || d.range.last >= bodySize)) {
      std::abort();
    }
  }
  if (auto date = parseHttpDate(text); date && formatHttpDate(*date) != text) std::abort();
  if (auto host = parseHostHeader(text)) {
    if (host->name.empty() || (!host->ipAddress && host->name.find_first_of(":@/[] ") != std::string::npos)) {
      std::abort();
    }
  }
  (void)etagListMatches(text, "\"v1\"");
  (void)ifRangeHolds(text, "\"v1\"", vigil::WallTime::fromUnixMicros(784111777'000'000));
  return 0;
}

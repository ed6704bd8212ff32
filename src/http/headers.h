#pragma once
// Parsers of the request headers the server acts on itself (RFC 9110):
// Host, Range, If-Range, If-None-Match and HTTP dates. Each takes untrusted text
// and is total: malformed input gets the treatment the RFC prescribes for
// it, which is mostly "ignore the header".

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/time.h"

namespace vigil::http {

// A Host header (RFC 9112, 3.2) split strictly: a name (letters, digits,
// '-', '.'; one trailing '.' dropped), an IPv4 address or a bracketed IPv6
// address, then nothing or ':' and 1 to 5 digits. nullopt for anything
// else ("[::1]evil.example", "127.0.0.1:80@evil.example"): what another
// parser (a proxy, a browser) might read as a different name.
struct HostHeader {
  std::string name;  // lower case, without the port (an IPv6 address without brackets)
  bool ipAddress = false;
};
std::optional<HostHeader> parseHostHeader(std::string_view header);

// A byte range of a body, both ends included, as HTTP counts.
struct ByteRange {
  uint64_t first = 0;
  uint64_t last = 0;
  uint64_t length() const { return last - first + 1; }
  friend bool operator==(const ByteRange&, const ByteRange&) = default;
};

struct RangeDecision {
  enum class Kind { kWhole, kPartial, kUnsatisfiable };
  Kind kind = Kind::kWhole;
  ByteRange range;  // kPartial only: within [0, size)
};

// A Range header against a body of `size` bytes: "bytes=0-499",
// "bytes=500-" (to the end), "bytes=-500" (the last 500); a last byte past
// the end is clipped. A header in another unit or malformed is ignored
// (kWhole). Several ranges are answered with the whole body (kWhole) when
// any of them is satisfiable: players never ask for several, and a 200 is
// always a valid answer to a Range request. kUnsatisfiable when no range
// starts inside the body (always so for an empty body).
RangeDecision evaluateRange(std::string_view header, uint64_t size);

// "Sun, 06 Nov 1994 08:49:37 GMT" (IMF-fixdate). The two obsolete formats
// RFC 9110 allows recipients to accept are not: every HTTP/1.1 client
// sends IMF-fixdate, and an unparsed date only costs a 200 instead of 304.
std::optional<WallTime> parseHttpDate(std::string_view text);
// IMF-fixdate, whole seconds (fractions are dropped).
std::string formatHttpDate(WallTime time);

// Whether an If-None-Match list ("\"a\", W/\"b\"" or "*") names `etag`,
// by weak comparison (a W/ prefix is ignored on both sides).
bool etagListMatches(std::string_view header, std::string_view etag);

// Whether an If-Range validator still holds: an entity tag equal to the
// (strong) `etag`, or an HTTP date equal to `lastModified` to the second.
// A weak tag never holds.
bool ifRangeHolds(std::string_view header, std::string_view etag, std::optional<WallTime> lastModified);

}  // namespace vigil::http

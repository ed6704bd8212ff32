#include "http/headers.h"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <limits>

#include "base/config.h"
#include "base/encoding.h"

namespace vigil::http {

namespace {

// Digits only, at least one; saturates at the largest uint64_t (a last
// byte beyond any size means "to the end"; a first byte beyond it is
// unsatisfiable either way).
std::optional<uint64_t> parseDigits(std::string_view s) {
  if (s.empty()) return std::nullopt;
  uint64_t v = 0;
  constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    const uint64_t digit = static_cast<uint64_t>(c - '0');
    v = v > (kMax - digit) / 10 ? kMax : v * 10 + digit;
  }
  return v;
}

// One range-spec, or nullopt when malformed; `satisfiable` says whether it
// starts inside a body of `size` bytes.
std::optional<ByteRange> parseRangeSpec(std::string_view spec, uint64_t size, bool& satisfiable) {
  const size_t dash = spec.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  const std::string_view firstText = spec.substr(0, dash), lastText = spec.substr(dash + 1);
  if (firstText.empty()) {  // suffix: the last N bytes
    auto suffix = parseDigits(lastText);
    if (!suffix) return std::nullopt;
    satisfiable = *suffix > 0 && size > 0;
    if (!satisfiable) return ByteRange{};
    return ByteRange{size - std::min(*suffix, size), size - 1};
  }
  auto first = parseDigits(firstText);
  if (!first) return std::nullopt;
  uint64_t last = std::numeric_limits<uint64_t>::max();
  if (!lastText.empty()) {
    auto parsed = parseDigits(lastText);
    if (!parsed || *parsed < *first) return std::nullopt;  // "5-2" is invalid, not empty
    last = *parsed;
  }
  satisfiable = *first < size;
  if (!satisfiable) return ByteRange{};
  return ByteRange{*first, std::min(last, size - 1)};
}

constexpr std::array<std::string_view, 7> kWeekdays{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
constexpr std::array<std::string_view, 12> kMonths{"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

std::optional<int> fixedNumber(std::string_view s) {
  int v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return v;
}

// The entity tag without its weakness prefix; empty when malformed.
std::string_view opaqueTag(std::string_view tag, bool& weak) {
  weak = tag.size() >= 2 && tag.substr(0, 2) == "W/";
  if (weak) tag.remove_prefix(2);
  if (tag.size() < 2 || tag.front() != '"' || tag.back() != '"') return {};
  return tag;
}

}  // namespace

std::optional<HostHeader> parseHostHeader(std::string_view header) {
  std::string host(header);
  for (char& c : host) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const size_t close = host.starts_with('[') ? host.find(']') : std::string::npos;
  if (host.starts_with('[') && close == std::string::npos) return std::nullopt;
  const size_t nameEnd = host.starts_with('[') ? close + 1 : host.find(':');
  if (nameEnd < host.size()) {
    const std::string_view port = std::string_view(host).substr(nameEnd);
    const bool digits = port.size() >= 2 && port.size() <= 6 && port[0] == ':' &&
                        std::all_of(port.begin() + 1, port.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (!digits) return std::nullopt;
    host.resize(nameEnd);
  }
  if (host.starts_with('[')) {
    host = host.substr(1, host.size() - 2);
    in6_addr v6{};
    if (::inet_pton(AF_INET6, host.c_str(), &v6) != 1) return std::nullopt;
    return HostHeader{host, true};
  }
  if (host.ends_with('.')) host.pop_back();  // "localhost." is localhost
  if (!isValidHostName(host)) return std::nullopt;
  in_addr v4{};
  return HostHeader{host, ::inet_pton(AF_INET, host.c_str(), &v4) == 1};
}

RangeDecision evaluateRange(std::string_view header, uint64_t size) {
  constexpr std::string_view kUnit = "bytes=";
  if (header.size() < kUnit.size() || header.substr(0, kUnit.size()) != kUnit) return {};
  std::string_view rest = header.substr(kUnit.size());
  size_t specs = 0, satisfiableCount = 0;
  ByteRange chosen;
  while (true) {
    const size_t comma = rest.find(',');
    const std::string_view spec = trim(rest.substr(0, comma));
    // Empty list elements are allowed ("bytes=0-1, ,5-6"), but not only them.
    if (!spec.empty()) {
      bool satisfiable = false;
      auto range = parseRangeSpec(spec, size, satisfiable);
      if (!range) return {};
      ++specs;
      if (satisfiable) {
        ++satisfiableCount;
        chosen = *range;
      }
    }
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  if (specs == 0) return {};
  if (satisfiableCount == 0) return {RangeDecision::Kind::kUnsatisfiable, {}};
  if (specs > 1) return {};
  return {RangeDecision::Kind::kPartial, chosen};
}

std::optional<WallTime> parseHttpDate(std::string_view t) {
  // "Sun, 06 Nov 1994 08:49:37 GMT"
  //  0123456789012345678901234567 8
  if (t.size() != 29 || t.substr(3, 2) != ", " || t[7] != ' ' || t[11] != ' ' || t[16] != ' ' || t[19] != ':' ||
      t[22] != ':' || t.substr(25) != " GMT") {
    return std::nullopt;
  }
  const auto month = std::find(kMonths.begin(), kMonths.end(), t.substr(8, 3));
  auto day = fixedNumber(t.substr(5, 2)), year = fixedNumber(t.substr(12, 4)), hour = fixedNumber(t.substr(17, 2)),
       minute = fixedNumber(t.substr(20, 2)), second = fixedNumber(t.substr(23, 2));
  if (month == kMonths.end() || !day || !year || !hour || !minute || !second || *hour > 23 || *minute > 59 ||
      *second > 59) {
    return std::nullopt;
  }
  using namespace std::chrono;
  const year_month_day date{std::chrono::year(*year), std::chrono::month(static_cast<unsigned>(month - kMonths.begin() + 1)),
                            std::chrono::day(static_cast<unsigned>(*day))};
  // The weekday must be the date's: anything else is not a date we sent.
  if (!date.ok() || kWeekdays[weekday(sys_days(date)).c_encoding()] != t.substr(0, 3)) return std::nullopt;
  const auto at = sys_days(date) + hours(*hour) + minutes(*minute) + seconds(*second);
  return WallTime::fromUnixMicros(duration_cast<microseconds>(at.time_since_epoch()).count());
}

std::string formatHttpDate(WallTime time) {
  using namespace std::chrono;
  const sys_time<microseconds> at{microseconds(time.unixMicros())};
  const sys_days day = floor<days>(at);
  const year_month_day date(day);
  const hh_mm_ss clock(floor<seconds>(at - day));
  return fmt::format("{}, {:02} {} {:04} {:02}:{:02}:{:02} GMT", kWeekdays[weekday(day).c_encoding()],
                     static_cast<unsigned>(date.day()), kMonths[static_cast<unsigned>(date.month()) - 1],
                     static_cast<int>(date.year()), clock.hours().count(), clock.minutes().count(),
                     clock.seconds().count());
}

bool etagListMatches(std::string_view header, std::string_view etag) {
  bool weak = false;
  const std::string_view ours = opaqueTag(etag, weak);
  if (ours.empty()) return false;
  if (trim(header) == "*") return true;
  while (!header.empty()) {
    const size_t comma = header.find(',');
    if (opaqueTag(trim(header.substr(0, comma)), weak) == ours) return true;
    if (comma == std::string_view::npos) break;
    header.remove_prefix(comma + 1);
  }
  return false;
}

bool ifRangeHolds(std::string_view header, std::string_view etag, std::optional<WallTime> lastModified) {
  header = trim(header);
  if (!header.empty() && (header.front() == '"' || header.front() == 'W')) {
    bool weak = false, ourWeak = false;
    const std::string_view theirs = opaqueTag(header, weak);
    return !weak && !theirs.empty() && theirs == opaqueTag(etag, ourWeak) && !ourWeak;
  }
  auto date = parseHttpDate(header);
  return date && lastModified && date->unixMicros() / 1'000'000 == lastModified->unixMicros() / 1'000'000;
}

}  // namespace vigil::http

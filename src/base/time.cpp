#include "base/time.h"

#include <fmt/format.h>

#include <charconv>

namespace vigil {
namespace {

constexpr int64_t kMicrosPerSecond = 1'000'000;
constexpr int64_t kSecondsPerDay = 86'400;
// Seconds from the NTP era (1900-01-01) to the Unix epoch.
constexpr uint64_t kNtpUnixOffset = 2'208'988'800ULL;

// Howard Hinnant's days_from_civil / civil_from_days (public-domain algorithms).
int64_t daysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void civilFromDays(int64_t z, int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2;
}

int64_t floorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

bool readDigits(std::string_view text, size_t pos, size_t count, int& out) {
  if (pos + count > text.size()) return false;
  out = 0;
  for (size_t i = pos; i < pos + count; ++i) {
    if (text[i] < '0' || text[i] > '9') return false;
    out = out * 10 + (text[i] - '0');
  }
  return true;
}

}  // namespace

std::string WallTime::toRfc3339() const {
  const int64_t secs = floorDiv(micros_, kMicrosPerSecond);
  const int64_t frac = micros_ - secs * kMicrosPerSecond;
  const int64_t days = floorDiv(secs, kSecondsPerDay);
  const int64_t sod = secs - days * kSecondsPerDay;
  int64_t y;
  unsigned m, d;
  civilFromDays(days, y, m, d);
  std::string out = fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}", y, m, d, sod / 3600,
                                (sod / 60) % 60, sod % 60);
  if (frac != 0) {
    if (frac % 1000 == 0) {
      out += fmt::format(".{:03}", frac / 1000);
    } else {
      out += fmt::format(".{:06}", frac);
    }
  }
  out += 'Z';
  return out;
}

Result<WallTime> WallTime::parseRfc3339(std::string_view text) {
  auto bad = [&] {
    return Status::invalidArgument(
        fmt::format("\"{}\" is not an RFC 3339 time like 2026-01-31T12:00:00Z", text));
  };
  int year, month, day, hour, minute, second;
  if (text.size() < 20 || !readDigits(text, 0, 4, year) || text[4] != '-' ||
      !readDigits(text, 5, 2, month) || text[7] != '-' || !readDigits(text, 8, 2, day) ||
      (text[10] != 'T' && text[10] != 't' && text[10] != ' ') || !readDigits(text, 11, 2, hour) ||
      text[13] != ':' || !readDigits(text, 14, 2, minute) || text[16] != ':' ||
      !readDigits(text, 17, 2, second)) {
    return bad();
  }
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) {
    return bad();
  }
  size_t pos = 19;
  int64_t micros = 0;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    size_t digits = 0;
    int64_t scale = 100000;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      if (digits < 6) micros += (text[pos] - '0') * scale;
      scale /= 10;
      ++digits;
      ++pos;
    }
    if (digits == 0) return bad();
  }
  int64_t offsetSeconds = 0;
  if (pos < text.size() && (text[pos] == 'Z' || text[pos] == 'z')) {
    ++pos;
  } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    int oh, om;
    if (!readDigits(text, pos + 1, 2, oh) || pos + 3 >= text.size() || text[pos + 3] != ':' ||
        !readDigits(text, pos + 4, 2, om) || oh > 23 || om > 59) {
      return bad();
    }
    offsetSeconds = (oh * 3600 + om * 60) * (text[pos] == '+' ? 1 : -1);
    pos += 6;
  } else {
    return bad();
  }
  if (pos != text.size()) return bad();
  // Reject days that do not exist (2026-02-30) by a round trip.
  const int64_t days = daysFromCivil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  int64_t cy;
  unsigned cm, cd;
  civilFromDays(days, cy, cm, cd);
  if (cy != year || static_cast<int>(cm) != month || static_cast<int>(cd) != day) return bad();
  const int64_t secs = days * kSecondsPerDay + hour * 3600 + minute * 60 + second - offsetSeconds;
  return WallTime(secs * kMicrosPerSecond + micros);
}

uint64_t WallTime::toNtp() const {
  const int64_t secs = floorDiv(micros_, kMicrosPerSecond);
  const int64_t frac = micros_ - secs * kMicrosPerSecond;
  const uint64_t ntpSecs = static_cast<uint64_t>(secs) + kNtpUnixOffset;
  const uint64_t ntpFrac = (static_cast<uint64_t>(frac) << 32) / kMicrosPerSecond;
  return (ntpSecs << 32) | ntpFrac;
}

WallTime WallTime::fromNtp(uint64_t ntp) {
  const int64_t secs = static_cast<int64_t>(ntp >> 32) - static_cast<int64_t>(kNtpUnixOffset);
  const int64_t frac = static_cast<int64_t>(((ntp & 0xffffffffULL) * kMicrosPerSecond) >> 32);
  return WallTime(secs * kMicrosPerSecond + frac);
}

WallTime SystemClock::now() const {
  using namespace std::chrono;
  return WallTime::fromUnixMicros(
      duration_cast<microseconds>(system_clock::now().time_since_epoch()).count());
}

std::chrono::steady_clock::time_point SystemClock::steadyNow() const {
  return std::chrono::steady_clock::now();
}

const SystemClock& SystemClock::instance() {
  static const SystemClock clock;
  return clock;
}

}  // namespace vigil

#pragma once
// Structured logging on spdlog: every line is an event name followed by
// key=value fields, so logs can be grepped and parsed:
//   2026-11-22T21:40:01.123Z info rtsp.session.play client=127.0.0.1:50122 path=/cam/0
// Values with spaces, quotes or '=' are quoted. Never log credentials: the
// secrets of URLs in values are replaced by *** (redactUrlCredentials) as a
// last line of defence.

#include <fmt/format.h>

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <type_traits>

#include "base/status.h"

namespace vigil::log {

enum class Level { kDebug, kInfo, kWarn, kError };

struct Field {
  template <typename T>
  Field(std::string_view k, const T& v) : key(k) {
    if constexpr (std::is_same_v<T, Status>) {
      value = v.toString();
    } else if constexpr (std::is_same_v<T, bool>) {
      value = v ? "true" : "false";
    } else {
      value = fmt::format("{}", v);
    }
  }
  std::string_view key;
  std::string value;
};

// Sets the level and the sink (stderr). Safe to call more than once.
void init(Level level);
// Parses "debug", "info", "warn", "error".
Result<Level> parseLevel(std::string_view name);

// "event key=value key2="a b"" — the text after the timestamp and level.
std::string formatLine(std::string_view event, std::initializer_list<Field> fields);

void debug(std::string_view event, std::initializer_list<Field> fields = {});
void info(std::string_view event, std::initializer_list<Field> fields = {});
void warn(std::string_view event, std::initializer_list<Field> fields = {});
void error(std::string_view event, std::initializer_list<Field> fields = {});

// For a line that can fire per frame or per packet: lets one through per
// `interval` and counts the ones held back, which the next line reports
// (`{"suppressed", limit.suppressed()}`). One per stream, on its thread.
class RateLimit {
 public:
  using Clock = std::chrono::steady_clock;
  explicit RateLimit(Clock::duration interval) : interval_(interval) {}
  // True when a line may be written now.
  bool allow(Clock::time_point now = Clock::now());
  // Lines held back before the one allow() last let through.
  uint64_t suppressed() const { return suppressed_; }

 private:
  Clock::duration interval_;
  Clock::time_point last_{};
  bool any_ = false;
  uint64_t held_ = 0;
  uint64_t suppressed_ = 0;
};

}  // namespace vigil::log

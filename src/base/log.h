#pragma once
// Structured logging on spdlog: every line is an event name followed by
// key=value fields, so logs can be grepped and parsed:
//   2026-11-22T21:40:01.123Z info rtsp.session.play client=127.0.0.1:50122 path=/cam/0
// Values with spaces, quotes or '=' are quoted. Never log credentials: the
// secrets of URLs in values are replaced by *** (redactUrlCredentials) as a
// last line of defence.

#include <fmt/format.h>

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

}  // namespace vigil::log

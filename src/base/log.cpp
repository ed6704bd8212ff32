#include "base/log.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "base/url_credentials.h"

namespace vigil::log {
namespace {

bool needsQuotes(std::string_view v) {
  if (v.empty()) return true;
  for (char c : v) {
    if (c == ' ' || c == '"' || c == '=' || c == '\\' || static_cast<unsigned char>(c) < 0x20) {
      return true;
    }
  }
  return false;
}

void appendValue(std::string& out, std::string_view v) {
  if (!needsQuotes(v)) {
    out += v;
    return;
  }
  out += '"';
  for (char c : v) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out += fmt::format("\\x{:02x}", static_cast<unsigned char>(c));
    } else {
      out += c;
    }
  }
  out += '"';
}

spdlog::level::level_enum toSpd(Level level) {
  switch (level) {
    case Level::kDebug: return spdlog::level::debug;
    case Level::kInfo: return spdlog::level::info;
    case Level::kWarn: return spdlog::level::warn;
    case Level::kError: return spdlog::level::err;
  }
  return spdlog::level::info;
}

void emit(Level level, std::string_view event, std::initializer_list<Field> fields) {
  auto spd = toSpd(level);
  if (!spdlog::should_log(spd)) return;
  spdlog::log(spd, "{}", formatLine(event, fields));
}

}  // namespace

void init(Level level) {
  static bool initialised = false;
  if (!initialised) {
    auto logger = std::make_shared<spdlog::logger>(
        "vigil", std::make_shared<spdlog::sinks::stderr_sink_mt>());
    // UTC timestamps with milliseconds, then the level, then the event line.
    logger->set_formatter(std::make_unique<spdlog::pattern_formatter>(
        "%Y-%m-%dT%H:%M:%S.%eZ %l %v", spdlog::pattern_time_type::utc));
    spdlog::set_default_logger(logger);
    initialised = true;
  }
  spdlog::set_level(toSpd(level));
}

Result<Level> parseLevel(std::string_view name) {
  if (name == "debug") return Level::kDebug;
  if (name == "info") return Level::kInfo;
  if (name == "warn") return Level::kWarn;
  if (name == "error") return Level::kError;
  return Status::invalidArgument(fmt::format("unknown log level \"{}\"", name));
}

std::string formatLine(std::string_view event, std::initializer_list<Field> fields) {
  std::string out(event);
  for (const Field& f : fields) {
    out += ' ';
    out += f.key;
    out += '=';
    // The last line of defence for "never log credentials": a URL's
    // secrets go whoever passed it.
    if (f.value.find("://") != std::string::npos) {
      appendValue(out, redactUrlCredentials(f.value));
    } else {
      appendValue(out, f.value);
    }
  }
  return out;
}

void debug(std::string_view event, std::initializer_list<Field> fields) { emit(Level::kDebug, event, fields); }
void info(std::string_view event, std::initializer_list<Field> fields) { emit(Level::kInfo, event, fields); }
void warn(std::string_view event, std::initializer_list<Field> fields) { emit(Level::kWarn, event, fields); }
void error(std::string_view event, std::initializer_list<Field> fields) { emit(Level::kError, event, fields); }

bool RateLimit::allow(Clock::time_point now) {
  if (any_ && now - last_ < interval_) {
    ++held_;
    return false;
  }
  any_ = true;
  last_ = now;
  suppressed_ = held_;
  held_ = 0;
  return true;
}

}  // namespace vigil::log

#include "app/camera_json.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace vigil::app {

namespace {

constexpr std::string_view kSourceName = "body";

void appendString(std::string& out, std::string_view s) {
  out += '"';
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (u < 0x20 || u == 0x7f) {
          out += fmt::format("\\u{:04x}", u);
        } else {
          out += c;  // UTF-8 as it came: nlohmann has checked it
        }
    }
  }
  out += '"';
}

Status appendValue(std::string& out, std::string_view key, const nlohmann::json& v) {
  switch (v.type()) {
    case nlohmann::json::value_t::string: appendString(out, v.get_ref<const std::string&>()); return Status::ok();
    case nlohmann::json::value_t::boolean: out += v.get<bool>() ? "true" : "false"; return Status::ok();
    case nlohmann::json::value_t::number_integer: out += fmt::format("{}", v.get<int64_t>()); return Status::ok();
    case nlohmann::json::value_t::number_unsigned: {
      const uint64_t n = v.get<uint64_t>();
      if (n > static_cast<uint64_t>(INT64_MAX)) return Status::invalidArgument(fmt::format("{}: number too large", key));
      out += fmt::format("{}", n);
      return Status::ok();
    }
    case nlohmann::json::value_t::number_float: {
      const double d = v.get<double>();
      if (!std::isfinite(d)) return Status::invalidArgument(fmt::format("{}: must be a finite number", key));
      // A TOML float needs its point: 1.0, not 1.
      std::string text = fmt::format("{}", d);
      if (text.find_first_of(".eE") == std::string::npos) text += ".0";
      out += text;
      return Status::ok();
    }
    case nlohmann::json::value_t::array: {
      out += '[';
      for (size_t i = 0; i < v.size(); ++i) {
        if (i > 0) out += ", ";
        VIGIL_RETURN_IF_ERROR(appendValue(out, key, v[i]));
      }
      out += ']';
      return Status::ok();
    }
    case nlohmann::json::value_t::object: {
      out += '{';
      bool first = true;
      for (const auto& [k, item] : v.items()) {
        if (!first) out += ", ";
        first = false;
        appendString(out, k);
        out += " = ";
        VIGIL_RETURN_IF_ERROR(appendValue(out, key, item));
      }
      out += '}';
      return Status::ok();
    }
    default: return Status::invalidArgument(fmt::format("{}: must not be null", key));
  }
}

// "body:3: url: must be..." -> "url: must be...": a body has no lines to name.
Status withoutPosition(const Status& s) {
  if (s.isOk()) return s;
  std::string_view message = s.message();
  if (message.starts_with(kSourceName) && message.size() > kSourceName.size() && message[kSourceName.size()] == ':') {
    const size_t end = message.find(": ", kSourceName.size() + 1);
    if (end != std::string_view::npos) message.remove_prefix(end + 2);
  }
  return Status(s.code(), std::string(message));
}

}  // namespace

Result<std::string> cameraTableToml(const nlohmann::json& table) {
  if (!table.is_object()) return Status::invalidArgument("body: must be a JSON object");
  std::string out;
  for (const auto& [key, value] : table.items()) {
    // The key is written quoted, so any name reaches onlyKeys() and is
    // refused there by name.
    const bool plain = key.size() <= 64 && std::all_of(key.begin(), key.end(), [](char c) {
      return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    });
    const std::string name = plain ? key : "body";
    appendString(out, key);
    out += " = ";
    VIGIL_RETURN_IF_ERROR(appendValue(out, name, value));
    out += '\n';
  }
  return out;
}

Result<ConfiguredCamera> readCameraJson(const nlohmann::json& table, onvif::CameraOnvifConfig* device) {
  auto toml = cameraTableToml(table);
  if (!toml) return toml.status();
  auto document = ConfigDocument::parse(*toml, kSourceName);
  if (!document) return withoutPosition(document.status());
  ConfiguredCamera out;
  onvif::CameraOnvifConfig onvif;
  if (Status s = readCameraTable(document->root(), out, onvif); !s.isOk()) return withoutPosition(s);
  if (device) *device = std::move(onvif);
  return out;
}

}  // namespace vigil::app

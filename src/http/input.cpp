#include "http/input.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

#include "base/encoding.h"

namespace vigil::http {

namespace {

// Deepest nesting of arrays and objects, outside strings; stops counting
// past the limit.
int nestingDepth(std::string_view text) {
  int depth = 0, deepest = 0;
  bool inString = false, escaped = false;
  for (char c : text) {
    if (inString) {
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') inString = false;
      continue;
    }
    if (c == '"') inString = true;
    else if (c == '[' || c == '{') deepest = std::max(deepest, ++depth);
    else if (c == ']' || c == '}') --depth;
    if (deepest > kMaxJsonDepth) break;
  }
  return deepest;
}

}  // namespace

Result<nlohmann::json> parseJsonObject(std::string_view body) {
  if (nestingDepth(body) > kMaxJsonDepth) return Status::invalidArgument("body: nested too deeply");
  nlohmann::json json = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) return Status::invalidArgument("body: not valid JSON");
  if (!json.is_object()) return Status::invalidArgument("body: must be a JSON object");
  return json;
}

Result<JsonBody> JsonBody::parse(std::string_view body, std::initializer_list<std::string_view> allowed) {
  auto parsed = parseJsonObject(body);
  if (!parsed) return parsed.status();
  nlohmann::json json = std::move(*parsed);
  for (const auto& [key, value] : json.items()) {
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      // The name is echoed only when it is a plain word.
      const bool plain = key.size() <= 64 && std::all_of(key.begin(), key.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
      });
      return Status::invalidArgument(plain ? fmt::format("{}: unknown field", key) : "body: unknown field");
    }
  }
  return JsonBody(std::move(json));
}

Result<std::string> JsonBody::string(std::string_view field, size_t maxLength) const {
  auto it = json_.find(field);
  if (it == json_.end()) return Status::invalidArgument(fmt::format("{}: required", field));
  if (!it->is_string()) return Status::invalidArgument(fmt::format("{}: must be a string", field));
  const auto& s = it->get_ref<const std::string&>();
  if (s.empty()) return Status::invalidArgument(fmt::format("{}: must not be empty", field));
  if (s.size() > maxLength) return Status::invalidArgument(fmt::format("{}: longer than {} bytes", field, maxLength));
  return s;
}

Result<std::string> JsonBody::optionalString(std::string_view field, size_t maxLength) const {
  if (!json_.contains(field)) return std::string();
  return string(field, maxLength);
}

Result<std::optional<bool>> JsonBody::optionalBool(std::string_view field) const {
  auto it = json_.find(field);
  if (it == json_.end()) return std::optional<bool>();
  if (!it->is_boolean()) return Status::invalidArgument(fmt::format("{}: must be true or false", field));
  return std::optional<bool>(it->get<bool>());
}

Result<std::vector<std::string>> JsonBody::stringList(std::string_view field, size_t maxItems) const {
  std::vector<std::string> out;
  auto it = json_.find(field);
  if (it == json_.end()) return out;
  if (!it->is_array()) return Status::invalidArgument(fmt::format("{}: must be an array of strings", field));
  if (it->size() > maxItems) return Status::invalidArgument(fmt::format("{}: more than {} items", field, maxItems));
  for (const auto& v : *it) {
    if (!v.is_string()) return Status::invalidArgument(fmt::format("{}: must be an array of strings", field));
    out.push_back(v.get<std::string>());
  }
  return out;
}

Result<LoginRequest> parseLoginRequest(std::string_view body) {
  auto json = JsonBody::parse(body, {"user", "password", "device"});
  if (!json) return json.status();
  auto user = json->string("user", 64);
  if (!user) return user.status();
  auto password = json->string("password", 1024);
  if (!password) return password.status();
  auto device = json->optionalString("device", 64);
  if (!device) return device.status();
  return LoginRequest{std::move(*user), std::move(*password), std::move(*device)};
}

Result<std::string> parsePairingSecret(std::string_view body) {
  auto json = JsonBody::parse(body, {"pairing"});
  if (!json) return json.status();
  auto secret = json->string("pairing", 64);
  if (!secret) return secret.status();
  if (secret->size() != 64 || !std::all_of(secret->begin(), secret->end(), [](char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
      })) {
    return Status::invalidArgument("pairing: must be the 64 hex digits the code came with");
  }
  return secret;
}

Result<DeviceConfirmRequest> parseDeviceConfirm(std::string_view body) {
  auto json = JsonBody::parse(body, {"code", "name"});
  if (!json) return json.status();
  auto code = json->string("code", 32);
  if (!code) return code.status();
  auto name = json->string("name", 64);
  if (!name) return name.status();
  return DeviceConfirmRequest{std::move(*code), std::move(*name)};
}

Result<EventRequest> parseEventRequest(std::string_view body) {
  auto json = JsonBody::parse(body, {"action", "label"});
  if (!json) return json.status();
  auto action = json->string("action", 16);
  if (!action) return action.status();
  if (*action != "open" && *action != "close") return Status::invalidArgument("action: must be open or close");
  auto label = json->optionalString("label", 200);
  if (!label) return label.status();
  return EventRequest{*action == "open", std::move(*label)};
}

Result<std::map<std::string, std::string>> parseQuery(std::string_view query) {
  std::map<std::string, std::string> out;
  while (!query.empty()) {
    const size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    const size_t eq = pair.find('=');
    auto key = percentDecode(pair.substr(0, eq), /*plusIsSpace=*/true);
    if (!key) return Status::invalidArgument("query: bad percent-encoding");
    const std::string_view rawValue = eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
    auto value = percentDecode(rawValue, /*plusIsSpace=*/true);
    if (!value) return Status::invalidArgument(fmt::format("{}: bad percent-encoding", *key));
    if (out.count(*key) != 0) return Status::invalidArgument(fmt::format("{}: given more than once", *key));
    out.emplace(std::move(*key), std::move(*value));
  }
  return out;
}

Result<int64_t> intParam(const std::map<std::string, std::string>& q, const std::string& name, int64_t min,
                         int64_t max, int64_t fallback) {
  auto it = q.find(name);
  if (it == q.end()) return fallback;
  int64_t v = 0;
  const auto [end, ec] = std::from_chars(it->second.data(), it->second.data() + it->second.size(), v);
  if (ec != std::errc() || end != it->second.data() + it->second.size() || v < min || v > max) {
    return Status::invalidArgument(fmt::format("{}: must be an integer {}..{}", name, min, max));
  }
  return v;
}

Result<std::optional<WallTime>> timeParam(const std::map<std::string, std::string>& params, const std::string& name) {
  auto it = params.find(name);
  if (it == params.end() || it->second.empty()) return std::optional<WallTime>();
  auto t = WallTime::parseRfc3339(it->second);
  if (!t) return Status::invalidArgument(fmt::format("{}: must be an RFC 3339 time", name));
  return std::optional<WallTime>(*t);
}

Result<TimeRange> timeRangeParams(const std::map<std::string, std::string>& params, std::chrono::seconds maxSpan) {
  TimeRange range;
  for (auto [name, out] : {std::pair{"start", &range.start}, std::pair{"end", &range.end}}) {
    auto t = timeParam(params, name);
    if (!t) return t.status();
    if (!t->has_value()) return Status::invalidArgument(fmt::format("{}: required (an RFC 3339 time)", name));
    *out = **t;
  }
  if (range.end <= range.start) return Status::invalidArgument("end: must be after start");
  if (range.end - range.start > maxSpan) {
    return Status::invalidArgument(fmt::format("end: at most {} h after start", maxSpan.count() / 3600));
  }
  return range;
}

Result<TimeRange> recentTimeRange(const std::map<std::string, std::string>& params, const std::string& from,
                                  const std::string& to, WallTime now, std::chrono::seconds fallback,
                                  std::chrono::seconds maxSpan) {
  auto start = timeParam(params, from);
  if (!start) return start.status();
  auto end = timeParam(params, to);
  if (!end) return end.status();
  TimeRange range{.start = {}, .end = end->value_or(now)};
  range.start = start->value_or(range.end + -std::chrono::microseconds(fallback));
  if (range.end <= range.start) return Status::invalidArgument(fmt::format("{}: must be after {}", to, from));
  if (range.end - range.start > maxSpan) {
    return Status::invalidArgument(fmt::format("{}: at most {} days after {}", to, maxSpan.count() / 86400, from));
  }
  return range;
}

}  // namespace vigil::http

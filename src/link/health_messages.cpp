#include "link/health_messages.h"

#include <fmt/format.h>

#include <algorithm>
#include <initializer_list>
#include <nlohmann/json.hpp>

#include "base/config.h"
#include "link/catalog_messages.h"
#include "link/json_fields.h"

namespace vigil::link {

namespace {

using nlohmann::json;

// Unix milliseconds up to the year 9999.
constexpr uint64_t kMaxAtMillis = 253402300799999;

std::vector<uint8_t> bytes(const json& j) {
  const std::string text = j.dump();
  return {text.begin(), text.end()};
}

int64_t millis(WallTime t) { return t.unixMicros() / 1000; }

Status bad(const std::string& where, std::string_view what) {
  return Status::invalidArgument(fmt::format("{}: {}", where, what));
}

// Parses `body` into `doc`, an object with exactly `keys`, refusing before
// parsing a text that opens more than `maxContainers` objects and arrays
// (no deep nesting reaches the parser).
Status parse(std::span<const uint8_t> body, const char* what, size_t maxContainers,
             std::initializer_list<std::string_view> keys, json& doc) {
  if (static_cast<size_t>(std::count_if(body.begin(), body.end(), [](uint8_t c) { return c == '{' || c == '['; })) >
      maxContainers) {
    return bad(what, "too many objects and arrays");
  }
  doc = json::parse(body.begin(), body.end(), nullptr, false);
  if (doc.is_discarded()) return bad(what, "not JSON");
  return onlyKeys(doc, what, keys);
}

Result<WallTime> atField(const json& value) {
  if (!value.is_number_unsigned() || value.get<uint64_t>() > kMaxAtMillis) {
    return bad("at", "must be Unix milliseconds, an integer");
  }
  return WallTime::fromUnixMicros(static_cast<int64_t>(value.get<uint64_t>()) * 1000);
}

Result<int64_t> countField(const json& value, const char* where) {
  if (!value.is_number_unsigned() || value.get<uint64_t>() > kMaxHealthCameras) {
    return bad(where, fmt::format("must be an integer 0..{}", kMaxHealthCameras));
  }
  return static_cast<int64_t>(value.get<uint64_t>());
}

Result<CameraHealthChange> decodeChange(const json& value, const std::string& where) {
  VIGIL_RETURN_IF_ERROR(onlyKeys(value, where, {"camera", "online", "state"}));
  CameraHealthChange c;
  const json& camera = value["camera"];
  if (!camera.is_string() || !isValidId(camera.get_ref<const std::string&>())) {
    return bad(where + ".camera", "must be 1 to 64 of a-z, 0-9, '_' and '-'");
  }
  c.camera = camera.get<std::string>();
  const json& state = value["state"];
  if (!state.is_string() || !isValidCameraState(state.get_ref<const std::string&>())) {
    return bad(where + ".state", "must be 1 to 32 of a-z and '_'");
  }
  c.state = state.get<std::string>();
  const json& online = value["online"];
  if (online.is_boolean()) {
    c.online = online.get<bool>();
    if (c.state == kUnsharedState) return bad(where + ".state", "\"unshared\" goes with online null");
  } else if (online.is_null()) {
    if (c.state != kUnsharedState) return bad(where + ".state", "online null goes with \"unshared\"");
  } else {
    return bad(where + ".online", "must be true, false or null");
  }
  return c;
}

}  // namespace

std::vector<uint8_t> encode(const HealthChanges& m) {
  json changes = json::array();
  for (const CameraHealthChange& c : m.changes) {
    changes.push_back({{"camera", c.camera}, {"online", c.online ? json(*c.online) : json(nullptr)}, {"state", c.state}});
  }
  return bytes({{"at", millis(m.at)}, {"full", m.full}, {"changes", std::move(changes)}});
}

std::vector<uint8_t> encode(const HealthSummary& m) {
  return bytes({{"at", millis(m.at)}, {"cameras_total", m.camerasTotal}, {"cameras_online", m.camerasOnline}});
}

Result<HealthChanges> decodeHealthChanges(std::span<const uint8_t> body) {
  json doc;
  VIGIL_RETURN_IF_ERROR(parse(body, "health.changes", 2 + kMaxHealthChanges, {"at", "full", "changes"}, doc));
  HealthChanges m;
  auto at = atField(doc["at"]);
  if (!at) return at.status();
  m.at = *at;
  const json& full = doc["full"];
  if (!full.is_boolean()) return bad("full", "must be true or false");
  m.full = full.get<bool>();
  const json& list = doc["changes"];
  if (!list.is_array() || list.size() > kMaxHealthChanges || (list.empty() && !m.full)) {
    return bad("changes", fmt::format("must be a list of 1 to {} changes (0 only when full)", kMaxHealthChanges));
  }
  for (size_t i = 0; i < list.size(); ++i) {
    auto c = decodeChange(list[i], fmt::format("changes[{}]", i));
    if (!c) return c.status();
    const bool twice = std::any_of(m.changes.begin(), m.changes.end(),
                                   [&](const CameraHealthChange& o) { return o.camera == c->camera; });
    if (twice) return bad(fmt::format("changes[{}].camera", i), "a camera is listed twice");
    m.changes.push_back(std::move(*c));
  }
  return m;
}

Result<HealthSummary> decodeHealthSummary(std::span<const uint8_t> body) {
  json doc;
  VIGIL_RETURN_IF_ERROR(parse(body, "health.summary", 1, {"at", "cameras_total", "cameras_online"}, doc));
  HealthSummary m;
  auto at = atField(doc["at"]);
  if (!at) return at.status();
  m.at = *at;
  auto total = countField(doc["cameras_total"], "cameras_total");
  if (!total) return total.status();
  auto online = countField(doc["cameras_online"], "cameras_online");
  if (!online) return online.status();
  if (*online > *total) return bad("cameras_online", "must not exceed cameras_total");
  m.camerasTotal = *total;
  m.camerasOnline = *online;
  return m;
}

}  // namespace vigil::link

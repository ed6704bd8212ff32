#include "link/health_messages.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <initializer_list>
#include <nlohmann/json.hpp>

#include "base/config.h"
#include "link/catalog_messages.h"
#include "link/enrolment_messages.h"
#include "link/json_fields.h"

namespace vigil::link {

namespace {

using nlohmann::json;

// Unix milliseconds up to the year 9999.
constexpr uint64_t kMaxAtMillis = 253402300799999;
constexpr uint64_t kMaxStorageBytes = uint64_t{1} << 60;
constexpr size_t kMaxPathBelow = 2;  // a township's villages and their households

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
  if (keys.size() == 0) return Status::ok();  // the caller checks them
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

// Rates travel rounded to 4 decimals (0.01 %).
json rateJson(const std::optional<double>& r) {
  return r ? json(std::round(std::clamp(*r, 0.0, 1.0) * 10000) / 10000) : json(nullptr);
}

json figuresJson(const NodeFigures& f) {
  return {{"recording", f.camerasRecording},
          {"rate_7d", rateJson(f.rate7d)},
          {"rate_30d", rateJson(f.rate30d)},
          {"storage", json::array({f.storageUsedBytes, f.storageBytesPerDay, f.storageCapacityBytes})},
          {"oldest", f.oldestRecording ? json(millis(*f.oldestRecording)) : json(nullptr)},
          {"alarms", f.alarmsOpen}};
}

Result<std::optional<double>> rateField(const json& value, const std::string& where) {
  if (value.is_null()) return std::optional<double>();
  if (!value.is_number() || !(value.get<double>() >= 0 && value.get<double>() <= 1)) {
    return bad(where, "must be a rate 0..1 or null");
  }
  // As rateJson() sends it, so a message decoded encodes back the same.
  return std::optional<double>(std::round(value.get<double>() * 10000) / 10000);
}

Result<uint64_t> bytesField(const json& value, const std::string& where) {
  if (!value.is_number_unsigned() || value.get<uint64_t>() > kMaxStorageBytes) {
    return bad(where, "must be a byte count, an integer up to 2^60");
  }
  return value.get<uint64_t>();
}

Status countsFields(const json& total, const json& online, const std::string& prefix, int64_t& totalOut,
                    int64_t& onlineOut) {
  auto t = countField(total, (prefix + "cameras_total").c_str());
  if (!t) return t.status();
  auto o = countField(online, (prefix + "cameras_online").c_str());
  if (!o) return o.status();
  if (*o > *t) return bad(prefix + "cameras_online", "must not exceed cameras_total");
  totalOut = *t;
  onlineOut = *o;
  return Status::ok();
}

Result<NodeFigures> figuresFields(const json& recording, const json& rate7d, const json& rate30d, const json& storage,
                                  const json& oldest, const json& alarms, const std::string& prefix, int64_t total) {
  NodeFigures f;
  auto r = countField(recording, (prefix + "recording").c_str());
  if (!r) return r.status();
  if (*r > total) return bad(prefix + "recording", "must not exceed cameras_total");
  f.camerasRecording = *r;
  auto r7 = rateField(rate7d, prefix + "rate_7d");
  if (!r7) return r7.status();
  f.rate7d = *r7;
  auto r30 = rateField(rate30d, prefix + "rate_30d");
  if (!r30) return r30.status();
  f.rate30d = *r30;
  if (!storage.is_array() || storage.size() != 3) return bad(prefix + "storage", "must be [used, per day, capacity]");
  uint64_t* const out[] = {&f.storageUsedBytes, &f.storageBytesPerDay, &f.storageCapacityBytes};
  for (size_t i = 0; i < 3; ++i) {
    auto b = bytesField(storage[i], fmt::format("{}storage[{}]", prefix, i));
    if (!b) return b.status();
    *out[i] = *b;
  }
  if (!oldest.is_null()) {
    auto o = atField(oldest);
    if (!o) return bad(prefix + "oldest", "must be Unix milliseconds or null");
    f.oldestRecording = *o;
  }
  auto a = countField(alarms, (prefix + "alarms").c_str());
  if (!a) return a.status();
  f.alarmsOpen = *a;
  return f;
}

// [path, name, tier, connected, last_seen, total, online, recording, rate_7d, rate_30d, used, per_day, capacity,
//  oldest, alarms]
Result<NodeBelow> decodeBelow(const json& value, const std::string& where) {
  if (!value.is_array() || value.size() != 15) return bad(where, "must be a list of 15 fields");
  NodeBelow n;
  const json& path = value[0];
  if (!path.is_array() || path.empty() || path.size() > kMaxPathBelow) {
    return bad(where + ".path", fmt::format("must be 1 to {} node ids", kMaxPathBelow));
  }
  for (const json& id : path) {
    if (!id.is_string() || !isValidId(id.get_ref<const std::string&>())) {
      return bad(where + ".path", "ids must be 1 to 64 of a-z, 0-9, '_' and '-'");
    }
    n.path.push_back(id.get<std::string>());
  }
  if (!value[1].is_string() || !isValidNodeName(value[1].get_ref<const std::string&>())) {
    return bad(where + ".name", "must be 1 to 128 bytes of UTF-8 without control characters");
  }
  n.name = value[1].get<std::string>();
  if (!value[2].is_string() || !parseTier(value[2].get_ref<const std::string&>())) {
    return bad(where + ".tier", "must be a tier");
  }
  n.tier = value[2].get<std::string>();
  if (!value[3].is_boolean()) return bad(where + ".connected", "must be true or false");
  n.connected = value[3].get<bool>();
  if (!value[4].is_null()) {
    auto seen = atField(value[4]);
    if (!seen) return bad(where + ".last_seen", "must be Unix milliseconds or null");
    n.lastSeen = *seen;
  }
  const std::string prefix = where + ".";
  VIGIL_RETURN_IF_ERROR(countsFields(value[5], value[6], prefix, n.camerasTotal, n.camerasOnline));
  const json storage = json::array({value[10], value[11], value[12]});
  auto f = figuresFields(value[7], value[8], value[9], storage, value[13], value[14], prefix, n.camerasTotal);
  if (!f) return f.status();
  n.figures = *f;
  return n;
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
  if (m.withheld) return bytes({{"at", millis(m.at)}, {"withheld", true}});
  json doc{{"at", millis(m.at)}, {"cameras_total", m.camerasTotal}, {"cameras_online", m.camerasOnline}};
  if (m.figures == NodeFigures{} && m.daily.empty() && m.below.empty()) return bytes(doc);  // the counts say all
  doc.update(figuresJson(m.figures));
  json daily = json::array();
  for (const std::optional<double>& r : m.daily) daily.push_back(rateJson(r));
  doc["daily"] = std::move(daily);
  json below = json::array();
  for (const NodeBelow& n : m.below) {
    const json f = figuresJson(n.figures);
    below.push_back({n.path, n.name, n.tier, n.connected, n.lastSeen ? json(millis(*n.lastSeen)) : json(nullptr),
                     n.camerasTotal, n.camerasOnline, f["recording"], f["rate_7d"], f["rate_30d"], f["storage"][0],
                     f["storage"][1], f["storage"][2], f["oldest"], f["alarms"]});
  }
  doc["below"] = std::move(below);
  return bytes(doc);
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
  // Objects and arrays: the document, daily, storage, below, and per node below its entry and path.
  VIGIL_RETURN_IF_ERROR(parse(body, "health.summary", 4 + 2 * kMaxNodesBelow, {}, doc));
  if (!doc.is_object()) return bad("health.summary", "must be an object");
  HealthSummary m;
  if (doc.contains("withheld")) {
    VIGIL_RETURN_IF_ERROR(onlyKeys(doc, "health.summary", {"at", "withheld"}));
    if (doc["withheld"] != json(true)) return bad("withheld", "must be true");
    m.withheld = true;
  } else if (doc.size() == 3) {  // an older node's
    VIGIL_RETURN_IF_ERROR(onlyKeys(doc, "health.summary", {"at", "cameras_total", "cameras_online"}));
  } else {
    VIGIL_RETURN_IF_ERROR(onlyKeys(doc, "health.summary",
                                   {"at", "cameras_total", "cameras_online", "recording", "rate_7d", "rate_30d",
                                    "daily", "storage", "oldest", "alarms", "below"}));
  }
  auto at = atField(doc["at"]);
  if (!at) return at.status();
  m.at = *at;
  if (m.withheld) return m;
  VIGIL_RETURN_IF_ERROR(countsFields(doc["cameras_total"], doc["cameras_online"], "", m.camerasTotal, m.camerasOnline));
  if (doc.size() == 3) return m;
  auto figures = figuresFields(doc["recording"], doc["rate_7d"], doc["rate_30d"], doc["storage"], doc["oldest"],
                               doc["alarms"], "", m.camerasTotal);
  if (!figures) return figures.status();
  m.figures = *figures;
  const json& daily = doc["daily"];
  if (!daily.is_array() || daily.size() > kMaxDailyRates) {
    return bad("daily", fmt::format("must be a list of at most {} rates", kMaxDailyRates));
  }
  for (size_t i = 0; i < daily.size(); ++i) {
    auto r = rateField(daily[i], fmt::format("daily[{}]", i));
    if (!r) return r.status();
    m.daily.push_back(*r);
  }
  const json& below = doc["below"];
  if (!below.is_array() || below.size() > kMaxNodesBelow) {
    return bad("below", fmt::format("must be a list of at most {} nodes", kMaxNodesBelow));
  }
  for (size_t i = 0; i < below.size(); ++i) {
    auto n = decodeBelow(below[i], fmt::format("below[{}]", i));
    if (!n) return n.status();
    const bool twice = std::any_of(m.below.begin(), m.below.end(), [&](const NodeBelow& o) { return o.path == n->path; });
    if (twice) return bad(fmt::format("below[{}]", i), "a node is listed twice");
    m.below.push_back(std::move(*n));
  }
  return m;
}

}  // namespace vigil::link

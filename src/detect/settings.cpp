#include "detect/settings.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <span>

namespace vigil::detect {

namespace {

using nlohmann::json;

// {"labels": [...], "zones": [{"polygon": [[x, y]]}]} is four deep.
constexpr int kMaxDepth = 5;
constexpr std::string_view kKeys[] = {"labels", "notify", "zones", "masks"};
constexpr std::string_view kZoneKeys[] = {"name", "kind", "polygon"};
constexpr std::string_view kMaskKeys[] = {"name", "applies", "polygon"};

Status fieldError(const std::string& field, std::string_view what) {
  return Status::invalidArgument(fmt::format("{}: {}", field, what));
}

Status onlyKeys(const json& object, const std::string& field, std::span<const std::string_view> keys) {
  if (!object.is_object()) return fieldError(field, "must be an object");
  for (const auto& [key, value] : object.items()) {
    if (std::find(keys.begin(), keys.end(), key) == keys.end()) {
      const bool plain = key.size() <= 32 && std::all_of(key.begin(), key.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || c == '_';
      });
      return fieldError(plain ? fmt::format("{}.{}", field, key) : field, "unknown field");
    }
  }
  return Status::ok();
}

Result<std::vector<Label>> labels(const json& list, const std::string& field) {
  if (!list.is_array()) return fieldError(field, "must be a list of \"person\", \"vehicle\" or \"animal\"");
  std::vector<Label> out;
  for (size_t i = 0; i < list.size(); ++i) {
    const std::optional<Label> label =
        list[i].is_string() ? parseLabel(list[i].get_ref<const std::string&>()) : std::nullopt;
    if (!label) return fieldError(fmt::format("{}[{}]", field, i), "must be \"person\", \"vehicle\" or \"animal\"");
    if (std::find(out.begin(), out.end(), *label) != out.end()) {
      return fieldError(fmt::format("{}[{}]", field, i), "appears twice");
    }
    out.push_back(*label);
  }
  return out;
}

// An area's name (unique among `names`) and polygon.
Status area(const json& item, const std::string& field, std::vector<std::string>& names, std::string& name,
            Polygon& polygon) {
  const auto n = item.find("name");
  if (n == item.end() || !n->is_string() || !isValidAreaName(n->get_ref<const std::string&>())) {
    return fieldError(field + ".name", "must be 1 to 64 characters without control characters");
  }
  name = n->get<std::string>();
  if (std::find(names.begin(), names.end(), name) != names.end()) return fieldError(field + ".name", "is given twice");
  names.push_back(name);
  const auto p = item.find("polygon");
  if (p == item.end() || !p->is_array() || p->size() < kMinPolygonPoints || p->size() > kMaxPolygonPoints) {
    return fieldError(field + ".polygon", fmt::format("must be {} to {} [x, y] points", kMinPolygonPoints, kMaxPolygonPoints));
  }
  polygon.clear();
  for (const json& point : *p) {
    auto coordinate = [&](size_t i) -> std::optional<double> {
      if (!point.is_array() || point.size() != 2 || !point[i].is_number()) return std::nullopt;
      const double v = point[i].get<double>();
      if (!std::isfinite(v) || v < 0 || v > 1) return std::nullopt;
      return v;
    };
    const auto x = coordinate(0), y = coordinate(1);
    if (!x || !y) return fieldError(field + ".polygon", "each point must be [x, y] with x and y in 0..1");
    polygon.push_back({*x, *y});
  }
  return Status::ok();
}

// The value of `key` in `item` among `names`, or `fallback` when left out.
template <typename E>
Result<E> choice(const json& item, const std::string& field, const char* key,
                 std::initializer_list<std::pair<std::string_view, E>> names, E fallback) {
  const auto v = item.find(key);
  if (v == item.end()) return fallback;
  for (const auto& [name, value] : names) {
    if (v->is_string() && v->get_ref<const std::string&>() == name) return value;
  }
  std::string allowed;
  for (const auto& [name, value] : names) allowed += fmt::format("{}\"{}\"", allowed.empty() ? "" : " or ", name);
  return fieldError(fmt::format("{}.{}", field, key), "must be " + allowed);
}

// Each item of `list` (an array of at most kMaxAreasPerCamera) through `read`.
template <typename Read>
Status areas(const json& body, const char* key, std::span<const std::string_view> keys, Read read) {
  const auto list = body.find(key);
  if (list == body.end()) return Status::ok();
  if (!list->is_array()) return fieldError(key, "must be a list");
  if (list->size() > kMaxAreasPerCamera) return fieldError(key, fmt::format("at most {}", kMaxAreasPerCamera));
  std::vector<std::string> names;
  for (size_t i = 0; i < list->size(); ++i) {
    const std::string field = fmt::format("{}[{}]", key, i);
    VIGIL_RETURN_IF_ERROR(onlyKeys((*list)[i], field, keys));
    VIGIL_RETURN_IF_ERROR(read((*list)[i], field, names));
  }
  return Status::ok();
}

json polygonJson(const Polygon& polygon) {
  json points = json::array();
  for (const Point& p : polygon) points.push_back({p.x, p.y});
  return points;
}

json labelsJson(const std::vector<Label>& labels) {
  json list = json::array();
  for (Label label : labels) list.push_back(labelName(label));
  return list;
}

}  // namespace

Result<CameraDetectConfig> parseCameraDetectJson(std::string_view text) {
  bool tooDeep = false;
  json::parser_callback_t depthGuard = [&](int depth, json::parse_event_t event, json&) {
    using Event = json::parse_event_t;
    if ((event == Event::object_start || event == Event::array_start) && depth > kMaxDepth) tooDeep = true;
    return !tooDeep;
  };
  const json body = json::parse(text, depthGuard, /*allow_exceptions=*/false);
  if (tooDeep) return Status::invalidArgument("body: nested too deeply");
  if (body.is_discarded()) return Status::invalidArgument("body: not valid JSON");
  if (!body.is_object()) return Status::invalidArgument("body: must be a JSON object");
  VIGIL_RETURN_IF_ERROR(onlyKeys(body, "body", kKeys));

  CameraDetectConfig config;
  const auto labelList = body.find("labels");
  if (labelList == body.end()) return fieldError("labels", "required (empty: detection off)");
  // ["motion"] alone: motion events, no object stage (as `detect` in the file).
  if (labelList->is_array() && labelList->size() == 1 && (*labelList)[0] == "motion") {
    config.motionOnly = true;
  } else {
    auto detected = labels(*labelList, "labels");
    if (!detected) return detected.status();
    config.labels = std::move(*detected);
  }
  if (const auto notify = body.find("notify"); notify != body.end() && !notify->is_null()) {
    auto announced = labels(*notify, "notify");
    if (!announced) return announced.status();
    config.notify = std::move(*announced);
  }
  VIGIL_RETURN_IF_ERROR(areas(body, "zones", kZoneKeys, [&](const json& item, const std::string& field, auto& names) {
    Zone zone;
    VIGIL_RETURN_IF_ERROR(area(item, field, names, zone.name, zone.polygon));
    auto kind = choice<Zone::Kind>(item, field, "kind",
                                   {{"include", Zone::Kind::kInclude}, {"ignore", Zone::Kind::kIgnore}},
                                   Zone::Kind::kInclude);
    if (!kind) return kind.status();
    zone.kind = *kind;
    config.zones.push_back(std::move(zone));
    return Status::ok();
  }));
  VIGIL_RETURN_IF_ERROR(areas(body, "masks", kMaskKeys, [&](const json& item, const std::string& field, auto& names) {
    Mask mask;
    VIGIL_RETURN_IF_ERROR(area(item, field, names, mask.name, mask.polygon));
    auto applies = choice<Mask::Applies>(item, field, "applies",
                                         {{"shared", Mask::Applies::kShared}, {"all", Mask::Applies::kAll}},
                                         Mask::Applies::kShared);
    if (!applies) return applies.status();
    mask.applies = *applies;
    config.masks.push_back(std::move(mask));
    return Status::ok();
  }));
  return config;
}

json cameraDetectJson(const CameraDetectConfig& config) {
  json zones = json::array();
  for (const Zone& z : config.zones) {
    zones.push_back({{"name", z.name},
                     {"kind", z.kind == Zone::Kind::kInclude ? "include" : "ignore"},
                     {"polygon", polygonJson(z.polygon)}});
  }
  json masks = json::array();
  for (const Mask& m : config.masks) {
    masks.push_back({{"name", m.name},
                     {"applies", m.applies == Mask::Applies::kAll ? "all" : "shared"},
                     {"polygon", polygonJson(m.polygon)}});
  }
  return {{"labels", config.motionOnly ? json::array({"motion"}) : labelsJson(config.labels)},
          {"notify", config.notify ? labelsJson(*config.notify) : json()},
          {"zones", std::move(zones)},
          {"masks", std::move(masks)}};
}

}  // namespace vigil::detect

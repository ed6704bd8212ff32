#include "detect/config.h"

#include <fmt/format.h>

#include <algorithm>
#include <thread>

namespace vigil::detect {

namespace {

constexpr std::string_view kZoneKeys[] = {"name", "polygon", "kind"};
constexpr std::string_view kMaskKeys[] = {"name", "polygon", "applies"};

constexpr std::string_view kMotionOnly = "motion";

bool isLabelName(std::string_view name) { return parseLabel(name).has_value(); }
bool isDetectName(std::string_view name) { return name == kMotionOnly || isLabelName(name); }

// A list of distinct labels under `key`.
Status readLabels(const ConfigTable& t, std::string_view key, std::vector<Label>& out) {
  std::vector<std::string> names;
  VIGIL_RETURN_IF_ERROR(t.readStrings(key, isLabelName, "\"person\", \"vehicle\" or \"animal\"", names));
  out.clear();
  for (const std::string& name : names) {
    const Label label = *parseLabel(name);
    if (std::find(out.begin(), out.end(), label) != out.end()) {
      return t.fail(key, fmt::format("\"{}\" appears twice", name));
    }
    out.push_back(label);
  }
  return Status::ok();
}

// `name` and `polygon` of a [[camera.zone]] or [[camera.mask]] table;
// `names` are those of the camera's tables read before, which it must not repeat.
Status readArea(const ConfigTable& t, std::vector<std::string>& names, std::string& name, Polygon& polygon) {
  if (!t.contains("name")) return t.fail("name", "is required");
  VIGIL_RETURN_IF_ERROR(t.readString("name", name));
  if (!isValidAreaName(name)) return t.fail("name", "must be 1 to 64 characters without control characters");
  if (std::find(names.begin(), names.end(), name) != names.end()) {
    return t.fail("name", fmt::format("duplicate name \"{}\"", name));
  }
  names.push_back(name);
  if (!t.contains("polygon")) return t.fail("polygon", "is required");
  std::vector<std::pair<double, double>> points;
  VIGIL_RETURN_IF_ERROR(t.readUnitPoints("polygon", kMinPolygonPoints, kMaxPolygonPoints, points));
  polygon.clear();
  for (const auto& [x, y] : points) polygon.push_back({x, y});
  return Status::ok();
}

}  // namespace

Status readDetectConfig(const ConfigTable& t, DetectConfig& out) {
  VIGIL_RETURN_IF_ERROR(t.readInt("fps", 1, 30, out.fps));
  VIGIL_RETURN_IF_ERROR(t.readInt("workers", 1, 64, out.workers));
  VIGIL_RETURN_IF_ERROR(t.readInt("sensitivity", 1, 10, out.sensitivity));
  VIGIL_RETURN_IF_ERROR(t.readString("model", out.model));
  if (t.contains("model") && out.model.empty()) return t.fail("model", "must not be empty");
  return Status::ok();
}

Status readCameraDetectConfig(const ConfigTable& t, CameraDetectConfig& out) {
  std::vector<std::string> labels;
  VIGIL_RETURN_IF_ERROR(
      t.readStrings("detect", isDetectName, "\"person\", \"vehicle\", \"animal\" or \"motion\"", labels));
  out.labels.clear();
  out.motionOnly = std::find(labels.begin(), labels.end(), kMotionOnly) != labels.end();
  if (out.motionOnly && labels.size() > 1) {
    // A camera with an object stage makes no motion events (a tree in the
    // wind is not an event there): asking for both would promise them.
    return t.fail("detect", "\"motion\" stands alone (a camera detecting objects makes no motion events)");
  }
  for (const std::string& name : labels) {
    if (name == kMotionOnly) continue;
    const Label label = *parseLabel(name);
    if (std::find(out.labels.begin(), out.labels.end(), label) != out.labels.end()) {
      return t.fail("detect", fmt::format("\"{}\" appears twice", name));
    }
    out.labels.push_back(label);
  }
  if (t.contains("notify_labels")) {
    VIGIL_RETURN_IF_ERROR(readLabels(t, "notify_labels", out.notify.emplace()));
  }

  auto zones = t.tables("zone");
  if (!zones) return zones.status();
  std::vector<std::string> names;
  for (const ConfigTable& z : *zones) {
    VIGIL_RETURN_IF_ERROR(z.onlyKeys({kZoneKeys}));
    Zone zone;
    VIGIL_RETURN_IF_ERROR(readArea(z, names, zone.name, zone.polygon));
    VIGIL_RETURN_IF_ERROR(
        z.readEnum<Zone::Kind>("kind", {{"include", Zone::Kind::kInclude}, {"ignore", Zone::Kind::kIgnore}}, zone.kind));
    out.zones.push_back(std::move(zone));
  }

  auto masks = t.tables("mask");
  if (!masks) return masks.status();
  names.clear();
  for (const ConfigTable& m : *masks) {
    VIGIL_RETURN_IF_ERROR(m.onlyKeys({kMaskKeys}));
    Mask mask;
    VIGIL_RETURN_IF_ERROR(readArea(m, names, mask.name, mask.polygon));
    VIGIL_RETURN_IF_ERROR(m.readEnum<Mask::Applies>(
        "applies", {{"shared", Mask::Applies::kShared}, {"all", Mask::Applies::kAll}}, mask.applies));
    out.masks.push_back(std::move(mask));
  }
  return Status::ok();
}

bool isValidAreaName(std::string_view name) {
  return !name.empty() && name.size() <= 64 &&
         std::none_of(name.begin(), name.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
}

bool CameraDetectConfig::notifies(Label label) const {
  return !notify || std::find(notify->begin(), notify->end(), label) != notify->end();
}

int workerCount(const DetectConfig& config) {
  if (config.workers > 0) return config.workers;
  return std::max(1, static_cast<int>(std::thread::hardware_concurrency() / 2));
}

}  // namespace vigil::detect

#include "link/catalog_messages.h"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "link/enrolment_messages.h"
#include "media/audio.h"
#include "link/json_fields.h"
#include "link/wire.h"

namespace vigil::link {

namespace {

using nlohmann::json;

json toJson(const CatalogEntry& e) {
  json rights = json::object();
  for (const auto& [tier, set] : e.rights) {
    json names = json::array();
    for (access::ShareRight r : set) names.push_back(access::shareRightName(r));
    rights[std::string(tierName(tier))] = std::move(names);
  }
  json out = {{"name", e.name},
              {"owner", e.owner},
              {"state", e.state},
              {"codec", e.codec.empty() ? json(nullptr) : json(e.codec)},
              {"width", e.width},
              {"height", e.height},
              {"rights", std::move(rights)}};
  if (!e.audio.empty()) out["audio"] = e.audio;
  if (const auto& p = e.publicListing) {
    out["public"] = {
        {"covers", p->covers}, {"run_by", p->runBy}, {"retention_days", p->retentionDays}, {"looks_30d", p->looks30d}};
  }
  return out;
}

json toJson(const CatalogUpdate& u) {
  return {{"path", u.path}, {"camera", u.camera}, {"entry", u.entry ? toJson(*u.entry) : json(nullptr)}};
}

std::vector<uint8_t> bytes(const json& updates) {
  const std::string text = json{{"updates", updates}}.dump(-1, ' ', false, json::error_handler_t::replace);
  return {text.begin(), text.end()};
}

Status bad(const std::string& where, std::string_view what) {
  return Status::invalidArgument(fmt::format("{}: {}", where, what));
}

Result<std::string> idField(const json& value, const std::string& where) {
  if (!value.is_string() || !isValidId(value.get_ref<const std::string&>())) {
    return bad(where, "must be 1 to 64 of a-z, 0-9, '_' and '-'");
  }
  return value.get<std::string>();
}

Result<int> sizeField(const json& value, const std::string& where) {
  if (!value.is_number_unsigned() || value.get<uint64_t>() > 65535) return bad(where, "must be an integer 0..65535");
  return static_cast<int>(value.get<uint64_t>());
}

Result<TierRights> decodeRights(const json& value, const std::string& where) {
  if (!value.is_object() || value.empty()) return bad(where, "must be an object with at least one tier");
  TierRights out;
  for (const auto& [key, names] : value.items()) {
    const std::string at = fmt::format("{}.{}", where, key);
    auto tier = parseTier(key);
    if (!tier || *tier == Tier::kHousehold) return bad(at, "must be village, township or county");
    if (!names.is_array() || names.empty() || names.size() > 4) return bad(at, "must be a list of 1 to 4 rights");
    auto& set = out[*tier];
    for (const json& name : names) {
      auto right = name.is_string() ? access::parseShareRight(name.get_ref<const std::string&>()) : std::nullopt;
      if (!right) return bad(at, "rights are live, playback, export and snapshot");
      if (!set.insert(*right).second) return bad(at, "a right is given twice");
    }
  }
  return out;
}

Result<int64_t> countField(const json& value, const std::string& where, int64_t max) {
  if (!value.is_number_unsigned() || value.get<uint64_t>() > static_cast<uint64_t>(max)) {
    return bad(where, fmt::format("must be an integer 0..{}", max));
  }
  return static_cast<int64_t>(value.get<uint64_t>());
}

Result<PublicListing> decodePublic(const json& value, const std::string& where) {
  VIGIL_RETURN_IF_ERROR(onlyKeys(value, where, {"covers", "run_by", "retention_days", "looks_30d"}));
  PublicListing p;
  const json& covers = value["covers"];
  if (!covers.is_string() || !isValidCovers(covers.get_ref<const std::string&>())) {
    return bad(where + ".covers", fmt::format("1 to {} bytes of UTF-8, no control characters", kMaxCoversBytes));
  }
  p.covers = covers.get<std::string>();
  const json& runBy = value["run_by"];
  if (!runBy.is_string() || !isValidNodeName(runBy.get_ref<const std::string&>())) {
    return bad(where + ".run_by", fmt::format("1 to {} bytes of UTF-8, no control characters", kMaxNodeNameBytes));
  }
  p.runBy = runBy.get<std::string>();
  auto days = countField(value["retention_days"], where + ".retention_days", kMaxRetentionDays);
  if (!days) return days.status();
  p.retentionDays = static_cast<int>(*days);
  auto looks = countField(value["looks_30d"], where + ".looks_30d", kMaxLooks);
  if (!looks) return looks.status();
  p.looks30d = *looks;
  return p;
}

Result<CatalogEntry> decodeEntry(const json& value, const std::string& where) {
  VIGIL_RETURN_IF_ERROR(
      onlyKeys(value, where, {"name", "owner", "state", "codec", "width", "height", "rights"}, {"public", "audio"}));
  CatalogEntry e;
  for (auto [key, out] : {std::pair{"name", &e.name}, std::pair{"owner", &e.owner}}) {
    const json& v = value[key];
    if (!v.is_string() || !isValidNodeName(v.get_ref<const std::string&>())) {
      return bad(fmt::format("{}.{}", where, key),
                 fmt::format("1 to {} bytes of UTF-8, no control characters", kMaxNodeNameBytes));
    }
    *out = v.get<std::string>();
  }
  const json& state = value["state"];
  if (!state.is_string() || !isValidCameraState(state.get_ref<const std::string&>())) {
    return bad(where + ".state", "must be 1 to 32 of a-z and '_'");
  }
  e.state = state.get<std::string>();
  const json& codec = value["codec"];
  if (!codec.is_null()) {
    if (codec != "h264" && codec != "h265") return bad(where + ".codec", "must be h264, h265 or null");
    e.codec = codec.get<std::string>();
  }
  auto width = sizeField(value["width"], where + ".width");
  if (!width) return width.status();
  auto height = sizeField(value["height"], where + ".height");
  if (!height) return height.status();
  e.width = *width;
  e.height = *height;
  if (value.contains("audio")) {
    const json& audio = value["audio"];
    if (!audio.is_string() || !media::audioCodecFromName(audio.get_ref<const std::string&>())) {
      return bad(where + ".audio", "must be aac, alaw or ulaw");
    }
    e.audio = audio.get<std::string>();
  }
  auto rights = decodeRights(value["rights"], where + ".rights");
  if (!rights) return rights.status();
  e.rights = std::move(*rights);
  if (value.contains("public")) {
    auto listing = decodePublic(value["public"], where + ".public");
    if (!listing) return listing.status();
    e.publicListing = std::move(*listing);
  }
  return e;
}

Result<CatalogUpdate> decodeUpdate(const json& value, const std::string& where) {
  VIGIL_RETURN_IF_ERROR(onlyKeys(value, where, {"path", "camera", "entry"}));
  CatalogUpdate u;
  const json& path = value["path"];
  if (!path.is_array() || path.empty() || path.size() > kMaxCatalogPath) {
    return bad(where + ".path", fmt::format("must be a list of 1 to {} node ids", kMaxCatalogPath));
  }
  for (size_t i = 0; i < path.size(); ++i) {
    auto id = idField(path[i], fmt::format("{}.path[{}]", where, i));
    if (!id) return id.status();
    u.path.push_back(std::move(*id));
  }
  auto camera = idField(value["camera"], where + ".camera");
  if (!camera) return camera.status();
  u.camera = std::move(*camera);
  if (!value["entry"].is_null()) {
    auto entry = decodeEntry(value["entry"], where + ".entry");
    if (!entry) return entry.status();
    u.entry = std::move(*entry);
  }
  return u;
}

}  // namespace

bool isValidCameraState(std::string_view state) {
  return !state.empty() && state.size() <= kMaxCameraStateBytes &&
         std::all_of(state.begin(), state.end(), [](char c) { return (c >= 'a' && c <= 'z') || c == '_'; });
}

bool isValidCovers(std::string_view covers) {
  if (covers.empty() || covers.size() > kMaxCoversBytes) return false;
  for (unsigned char c : covers) {
    if (c < 0x20 || c == 0x7f) return false;
  }
  // Valid UTF-8: nlohmann's dump() throws on anything else.
  try {
    (void)json(std::string(covers)).dump();
  } catch (const json::exception&) {
    return false;
  }
  return true;
}

std::vector<std::vector<uint8_t>> encodeCatalog(const std::vector<CatalogUpdate>& updates) {
  // Room for the frame header and the envelope: one update is far smaller
  // (its strings are bounded), so each payload holds at least one.
  constexpr size_t kBudget = kMaxFrameBytes - kHeaderBytes - 64;
  std::vector<std::vector<uint8_t>> out;
  json batch = json::array();
  size_t size = 0;
  for (const CatalogUpdate& u : updates) {
    json j = toJson(u);
    const size_t n = j.dump(-1, ' ', false, json::error_handler_t::replace).size() + 1;
    if (!batch.empty() && (size + n > kBudget || batch.size() == kMaxCatalogUpdates)) {
      out.push_back(bytes(batch));
      batch = json::array();
      size = 0;
    }
    batch.push_back(std::move(j));
    size += n;
  }
  if (!batch.empty()) out.push_back(bytes(batch));
  return out;
}

Result<std::vector<CatalogUpdate>> decodeCatalog(std::span<const uint8_t> payload) {
  const json doc = json::parse(payload.begin(), payload.end(), nullptr, false);
  if (doc.is_discarded()) return Status::invalidArgument("catalog: not JSON");
  VIGIL_RETURN_IF_ERROR(onlyKeys(doc, "catalog", {"updates"}));
  const json& list = doc["updates"];
  if (!list.is_array() || list.empty() || list.size() > kMaxCatalogUpdates) {
    return bad("updates", fmt::format("must be a list of 1 to {} updates", kMaxCatalogUpdates));
  }
  std::vector<CatalogUpdate> out;
  for (size_t i = 0; i < list.size(); ++i) {
    auto u = decodeUpdate(list[i], fmt::format("updates[{}]", i));
    if (!u) return u.status();
    out.push_back(std::move(*u));
  }
  return out;
}

}  // namespace vigil::link

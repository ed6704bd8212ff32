#include "detect/settings.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "detect/event_store.h"

namespace vigil::detect {
namespace {

std::string error(std::string_view json) {
  auto parsed = parseCameraDetectJson(json);
  EXPECT_FALSE(parsed.isOk()) << json;
  return parsed.isOk() ? "" : parsed.status().message();
}

constexpr std::string_view kFull = R"({
  "labels": ["person", "vehicle"], "notify": ["person"],
  "zones": [{"name": "gate", "kind": "include", "polygon": [[0, 0], [0.5, 0], [0.5, 1]]},
            {"name": "tree", "kind": "ignore", "polygon": [[0.6, 0], [1, 0], [1, 0.4]]}],
  "masks": [{"name": "neighbour's window", "applies": "all", "polygon": [[0, 0], [0.2, 0], [0.2, 0.2], [0, 0.2]]}]
})";

TEST(DetectSettingsTest, ReadsWhatTheUiSendsAndWritesItBackTheSame) {
  auto parsed = parseCameraDetectJson(kFull);
  ASSERT_TRUE(parsed.isOk()) << parsed.status().toString();
  const CameraDetectConfig& c = *parsed;
  EXPECT_EQ(c.labels, (std::vector<Label>{Label::kPerson, Label::kVehicle}));
  ASSERT_TRUE(c.notify.has_value());
  EXPECT_TRUE(c.notifies(Label::kPerson));
  EXPECT_FALSE(c.notifies(Label::kVehicle));
  ASSERT_EQ(c.zones.size(), 2u);
  EXPECT_EQ(c.zones[1].kind, Zone::Kind::kIgnore);
  ASSERT_EQ(c.masks.size(), 1u);
  EXPECT_EQ(c.masks[0].applies, Mask::Applies::kAll);
  EXPECT_EQ(c.masks[0].polygon[2], (Point{0.2, 0.2}));

  auto again = parseCameraDetectJson(cameraDetectJson(c).dump());
  ASSERT_TRUE(again.isOk()) << again.status().toString();
  EXPECT_EQ(*again, c);
}

TEST(DetectSettingsTest, LeftOutMeansNoneAndEveryLabelIsAnnounced) {
  auto parsed = parseCameraDetectJson(R"({"labels": ["animal"], "notify": null})");
  ASSERT_TRUE(parsed.isOk()) << parsed.status().toString();
  EXPECT_FALSE(parsed->notify.has_value());
  EXPECT_TRUE(parsed->notifies(Label::kAnimal));
  EXPECT_TRUE(parsed->notifies(Label::kPerson));
  EXPECT_TRUE(parsed->zones.empty());
  auto motion = parseCameraDetectJson(R"({"labels": ["motion"]})");
  ASSERT_TRUE(motion.isOk());
  EXPECT_TRUE(motion->motionOnly && motion->enabled());
  EXPECT_EQ(cameraDetectJson(*motion)["labels"], nlohmann::json::array({"motion"}));
  EXPECT_EQ(error(R"({"labels": ["motion", "person"]})"), "labels[0]: must be \"person\", \"vehicle\" or \"animal\"");
  auto off = parseCameraDetectJson(R"({"labels": []})");
  ASSERT_TRUE(off.isOk());
  EXPECT_FALSE(off->enabled());
  auto defaults = parseCameraDetectJson(R"({"labels": [], "zones": [{"name": "a", "polygon": [[0,0],[1,0],[1,1]]}],
                                            "masks": [{"name": "a", "polygon": [[0,0],[1,0],[1,1]]}]})");
  ASSERT_TRUE(defaults.isOk()) << defaults.status().toString();
  EXPECT_EQ(defaults->zones[0].kind, Zone::Kind::kInclude);
  EXPECT_EQ(defaults->masks[0].applies, Mask::Applies::kShared);  // a zone and a mask may share a name
}

TEST(DetectSettingsTest, BadInputNamesTheFieldAtFault) {
  EXPECT_EQ(error("nope"), "body: not valid JSON");
  EXPECT_EQ(error("[]"), "body: must be a JSON object");
  EXPECT_EQ(error(std::string(100000, '[')), "body: nested too deeply");
  EXPECT_EQ(error(R"({})"), "labels: required (empty: detection off)");
  EXPECT_EQ(error(R"({"labels": [], "extra": 1})"), "body.extra: unknown field");
  EXPECT_EQ(error(R"({"labels": ["face"]})"), "labels[0]: must be \"person\", \"vehicle\" or \"animal\"");
  EXPECT_EQ(error(R"({"labels": ["person", "person"]})"), "labels[1]: appears twice");
  EXPECT_EQ(error(R"({"labels": [], "zones": [{"name": "", "polygon": [[0,0],[1,0],[1,1]]}]})"),
            "zones[0].name: must be 1 to 64 characters without control characters");
  EXPECT_EQ(error(R"({"labels": [], "zones": [{"name": "a", "polygon": [[0,0],[1,0]]}]})"),
            "zones[0].polygon: must be 3 to 64 [x, y] points");
  EXPECT_EQ(error(R"({"labels": [], "zones": [{"name": "a", "polygon": [[0,0],[1,0],[1,1.5]]}]})"),
            "zones[0].polygon: each point must be [x, y] with x and y in 0..1");
  EXPECT_EQ(error(R"({"labels": [], "zones": [{"name": "a", "kind": "maybe", "polygon": [[0,0],[1,0],[1,1]]}]})"),
            "zones[0].kind: must be \"include\" or \"ignore\"");
  EXPECT_EQ(error(R"({"labels": [], "masks": [{"name": "a", "polygon": [[0,0],[1,0],[1,1]]},
                                              {"name": "a", "polygon": [[0,0],[1,0],[1,1]]}]})"),
            "masks[1].name: is given twice");
  EXPECT_EQ(error(R"({"labels": [], "masks": [{"name": "a", "applies": "some", "polygon": [[0,0],[1,0],[1,1]]}]})"),
            "masks[0].applies: must be \"shared\" or \"all\"");
  std::string many = R"({"labels": [], "zones": [)";
  for (size_t i = 0; i <= kMaxAreasPerCamera; ++i) {
    many += (i ? "," : "") + std::string(R"({"name": "z)") + std::to_string(i) + R"(", "polygon": [[0,0],[1,0],[1,1]]})";
  }
  EXPECT_EQ(error(many + "]}"), "zones: at most 16");
}

TEST(DetectSettingsTest, TheStoreKeepsThemAcrossOpeningsUntilReset) {
  const auto path = std::filesystem::temp_directory_path() / ("settings_test_" + std::to_string(::getpid()) + ".db");
  std::filesystem::remove(path);
  const CameraDetectConfig settings = parseCameraDetectJson(kFull).value();
  {
    auto store = EventStore::open(path.string()).value();
    ASSERT_TRUE(store->setCameraSettings("door", settings).isOk());
    ASSERT_TRUE(store->setCameraSettings("yard", CameraDetectConfig{}).isOk());
  }
  auto store = EventStore::open(path.string()).value();
  auto kept = store->cameraSettings();
  ASSERT_TRUE(kept.isOk()) << kept.status().toString();
  ASSERT_EQ(kept->size(), 2u);
  EXPECT_EQ(kept->at("door"), settings);
  EXPECT_FALSE(kept->at("yard").enabled());
  ASSERT_TRUE(store->setCameraSettings("door", std::nullopt).isOk());
  EXPECT_EQ(store->cameraSettings()->count("door"), 0u);
  store.reset();
  std::filesystem::remove(path);
  std::filesystem::remove(path.string() + "-wal");
  std::filesystem::remove(path.string() + "-shm");
}

}  // namespace
}  // namespace vigil::detect

#include "detect/config.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

namespace vigil::detect {
namespace {

// The first [[camera]] of `text`, read as detection reads it.
Result<CameraDetectConfig> parseCamera(std::string_view text) {
  auto document = ConfigDocument::parse(text, "vigil.toml");
  if (!document) return document.status();
  auto cameras = document->root().tables("camera");
  if (!cameras) return cameras.status();
  CameraDetectConfig config;
  VIGIL_RETURN_IF_ERROR(readCameraDetectConfig(cameras->at(0), config));
  return config;
}

Result<DetectConfig> parseSection(std::string_view text) {
  auto document = ConfigDocument::parse(text, "vigil.toml");
  if (!document) return document.status();
  auto table = document->root().table("detect");
  if (!table) return table.status();
  DetectConfig config;
  VIGIL_RETURN_IF_ERROR(readDetectConfig(**table, config));
  return config;
}

TEST(DetectConfigTest, ReadsLabelsZonesAndMasks) {
  auto c = parseCamera(R"([[camera]]
detect = ["person", "animal"]
[[camera.zone]]
name = "driveway"
polygon = [[0, 0.5], [1, 0.5], [1, 1], [0, 1]]
[[camera.zone]]
name = "tree"
kind = "ignore"
polygon = [[0.1, 0.1], [0.2, 0.1], [0.15, 0.3]]
[[camera.mask]]
name = "neighbour's window"
applies = "all"
polygon = [[0.8, 0], [1, 0], [1, 0.2], [0.8, 0.2]]
)");
  ASSERT_TRUE(c.isOk()) << c.status().toString();
  EXPECT_TRUE(c->enabled());
  EXPECT_EQ(c->labels, (std::vector<Label>{Label::kPerson, Label::kAnimal}));
  ASSERT_EQ(c->zones.size(), 2u);
  EXPECT_EQ(c->zones[0].name, "driveway");
  EXPECT_EQ(c->zones[0].kind, Zone::Kind::kInclude);
  ASSERT_EQ(c->zones[0].polygon.size(), 4u);
  EXPECT_EQ(c->zones[0].polygon[0].y, 0.5);
  EXPECT_EQ(c->zones[1].kind, Zone::Kind::kIgnore);
  ASSERT_EQ(c->masks.size(), 1u);
  EXPECT_EQ(c->masks[0].applies, Mask::Applies::kAll);
  EXPECT_EQ(c->masks[0].polygon[2].x, 1.0);
}

TEST(DetectConfigTest, NoLabelsIsOff) {
  auto absent = parseCamera("[[camera]]\nid = \"a\"\n");
  ASSERT_TRUE(absent.isOk());
  EXPECT_FALSE(absent->enabled());
  auto empty = parseCamera("[[camera]]\ndetect = []\n");
  ASSERT_TRUE(empty.isOk());
  EXPECT_FALSE(empty->enabled());
}

TEST(DetectConfigTest, MotionAloneIsAMotionOnlyCamera) {
  auto motion = parseCamera("[[camera]]\ndetect = [\"motion\"]\n");
  ASSERT_TRUE(motion.isOk()) << motion.status().toString();
  EXPECT_TRUE(motion->enabled());
  EXPECT_TRUE(motion->motionOnly);
  EXPECT_TRUE(motion->labels.empty());
  auto objects = parseCamera("[[camera]]\ndetect = [\"person\"]\n");
  ASSERT_TRUE(objects.isOk());
  EXPECT_FALSE(objects->motionOnly);
  EXPECT_EQ(parseCamera("[[camera]]\ndetect = [\"motion\", \"person\"]\n").status().message(),
            "vigil.toml:2: camera[0].detect: \"motion\" stands alone (a camera detecting objects makes no motion "
            "events)");
}

TEST(DetectConfigTest, SectionDefaultsAndRanges) {
  auto defaults = parseSection("[detect]\n");
  ASSERT_TRUE(defaults.isOk());
  EXPECT_EQ(defaults->fps, 5);
  EXPECT_EQ(defaults->sensitivity, 5);
  EXPECT_TRUE(defaults->model.empty());
  EXPECT_GE(workerCount(*defaults), 1);
  auto set = parseSection("[detect]\nfps = 2\nworkers = 3\nsensitivity = 9\nmodel = \"/m.onnx\"\n");
  ASSERT_TRUE(set.isOk());
  EXPECT_EQ(set->fps, 2);
  EXPECT_EQ(workerCount(*set), 3);
  EXPECT_EQ(set->sensitivity, 9);
  EXPECT_EQ(set->model, "/m.onnx");
  EXPECT_EQ(parseSection("[detect]\nfps = 0\n").status().message(),
            "vigil.toml:2: detect.fps: must be between 1 and 30 (got 0)");
  EXPECT_FALSE(parseSection("[detect]\nsensitivity = 11\n").isOk());
  EXPECT_FALSE(parseSection("[detect]\nmodel = \"\"\n").isOk());
}

// Each bad table answers "file:line: key: what".
TEST(DetectConfigTest, RejectsBadInput) {
  struct Case {
    const char* text;
    const char* message;
  };
  const Case cases[] = {
      {"[[camera]]\ndetect = [\"face\"]\n",
       "vigil.toml:2: camera[0].detect: each must be \"person\", \"vehicle\", \"animal\" or \"motion\""},
      {"[[camera]]\ndetect = [\"person\", \"person\"]\n", "vigil.toml:2: camera[0].detect: \"person\" appears twice"},
      {"[[camera]]\n[[camera.zone]]\nname = \"a\"\npolygon = [[0, 0], [1, 0]]\n",
       "vigil.toml:4: camera[0].zone[0].polygon: must have 3 to 64 points (got 2)"},
      {"[[camera]]\n[[camera.zone]]\nname = \"a\"\npolygon = [[0, 0], [1.5, 0], [1, 1]]\n",
       "vigil.toml:4: camera[0].zone[0].polygon: each point must be [x, y] with x and y in 0..1"},
      {"[[camera]]\n[[camera.zone]]\nname = \"a\"\npolygon = [[0, 0], [nan, 0], [1, 1]]\n",
       "vigil.toml:4: camera[0].zone[0].polygon: each point must be [x, y] with x and y in 0..1"},
      {"[[camera]]\n[[camera.zone]]\nname = \"a\"\npolygon = [[0, 0], [1, 0, 1], [1, 1]]\n",
       "vigil.toml:4: camera[0].zone[0].polygon: each point must be [x, y] with x and y in 0..1"},
      {"[[camera]]\n[[camera.zone]]\nname = \"a\"\npolygon = [[0, 0], [\"1\", 0], [1, 1]]\n",
       "vigil.toml:4: camera[0].zone[0].polygon: each point must be [x, y] with x and y in 0..1"},
      {"[[camera]]\n[[camera.zone]]\nname = \"a\"\npolygon = \"0,0 1,0 1,1\"\n",
       "vigil.toml:4: camera[0].zone[0].polygon: must be an array of [x, y] points"},
      {"[[camera]]\n[[camera.zone]]\npolygon = [[0, 0], [1, 0], [1, 1]]\n",
       "vigil.toml:2: camera[0].zone[0].name: is required"},
      {"[[camera]]\n[[camera.zone]]\nname = \"a\"\n", "vigil.toml:2: camera[0].zone[0].polygon: is required"},
      {"[[camera]]\n[[camera.zone]]\nname = \"a\"\nkind = \"exclude\"\npolygon = [[0, 0], [1, 0], [1, 1]]\n",
       "vigil.toml:4: camera[0].zone[0].kind: must be one of include, ignore (got \"exclude\")"},
      {"[[camera]]\n[[camera.zone]]\nname = \"a\"\npolygon = [[0, 0], [1, 0], [1, 1]]\n"
       "[[camera.zone]]\nname = \"a\"\npolygon = [[0, 0], [1, 0], [1, 1]]\n",
       "vigil.toml:6: camera[0].zone[1].name: duplicate name \"a\""},
      {"[[camera]]\n[[camera.mask]]\nname = \"a\"\napplies = \"local\"\npolygon = [[0, 0], [1, 0], [1, 1]]\n",
       "vigil.toml:4: camera[0].mask[0].applies: must be one of shared, all (got \"local\")"},
      {"[[camera]]\n[[camera.mask]]\nname = \"a\"\nkind = \"ignore\"\npolygon = [[0, 0], [1, 0], [1, 1]]\n",
       nullptr},
      {"[[camera]]\n[[camera.mask]]\nname = \"\"\npolygon = [[0, 0], [1, 0], [1, 1]]\n",
       "vigil.toml:3: camera[0].mask[0].name: must be 1 to 64 characters without control characters"},
  };
  for (const Case& c : cases) {
    auto parsed = parseCamera(c.text);
    ASSERT_FALSE(parsed.isOk()) << c.text;
    if (c.message) EXPECT_EQ(parsed.status().message(), c.message) << c.text;
  }
}

TEST(DetectConfigTest, PolygonsHaveAtMost64Points) {
  std::string points;
  for (int i = 0; i < 65; ++i) points += fmt::format("{}[{}, {}]", i ? ", " : "", i % 2, i / 65.0);
  auto parsed = parseCamera("[[camera]]\n[[camera.zone]]\nname = \"a\"\npolygon = [" + points + "]\n");
  ASSERT_FALSE(parsed.isOk());
  EXPECT_NE(parsed.status().message().find("must have 3 to 64 points (got 65)"), std::string::npos);
}

}  // namespace
}  // namespace vigil::detect

#include "base/config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace vigil {
namespace {

using ::testing::HasSubstr;

ConfigDocument parsed(std::string_view text) {
  auto document = ConfigDocument::parse(text, "t.toml");
  EXPECT_TRUE(document) << document.status().toString();
  return std::move(document).value();
}

enum class Colour { kRed, kBlue };

TEST(ConfigTable, ReadsKeysAndLeavesAbsentOnesAtTheirDefault) {
  const ConfigDocument document = parsed("[a]\ns = \"x\"\nn = 7\ncolour = \"blue\"\n");
  auto a = document.root().table("a");
  ASSERT_TRUE(a && *a);
  EXPECT_EQ((*a)->path(), "a");
  std::string s = "default";
  int n = 1;
  Colour colour = Colour::kRed;
  EXPECT_TRUE((*a)->readString("s", s).isOk());
  EXPECT_TRUE((*a)->readInt("n", 0, 10, n).isOk());
  EXPECT_TRUE((*a)->readEnum<Colour>("colour", {{"red", Colour::kRed}, {"blue", Colour::kBlue}}, colour).isOk());
  EXPECT_EQ(s, "x");
  EXPECT_EQ(n, 7);
  EXPECT_EQ(colour, Colour::kBlue);
  std::string absent = "kept";
  EXPECT_TRUE((*a)->readString("absent", absent).isOk());
  EXPECT_EQ(absent, "kept");
  auto missing = document.root().table("b");
  ASSERT_TRUE(missing);
  EXPECT_FALSE(missing->has_value());
}

TEST(ConfigTable, MessagesNameFileLineAndPath) {
  const ConfigDocument document = parsed("[a]\nn = 11\ns = 5\nc = \"green\"\n[[b]]\nx = 1\n[[b]]\ny = 2\n");
  const ConfigTable a = **document.root().table("a");
  int n = 0;
  std::string s;
  Colour colour = Colour::kRed;
  EXPECT_EQ(a.readInt("n", 0, 10, n).message(), "t.toml:2: a.n: must be between 0 and 10 (got 11)");
  EXPECT_EQ(a.readString("s", s).message(), "t.toml:3: a.s: must be a string");
  EXPECT_EQ(a.readInt("c", 0, 10, n).message(), "t.toml:4: a.c: must be an integer");
  EXPECT_EQ(a.readEnum<Colour>("c", {{"red", Colour::kRed}, {"blue", Colour::kBlue}}, colour).message(),
            "t.toml:4: a.c: must be one of red, blue (got \"green\")");
  EXPECT_EQ(a.fail("absent", "is required").message(), "t.toml:1: a.absent: is required");
  auto b = document.root().tables("b");
  ASSERT_TRUE(b);
  ASSERT_EQ(b->size(), 2u);
  EXPECT_EQ((*b)[1].path(), "b[1]");
  EXPECT_EQ((*b)[1].fail("y", "bad").message(), "t.toml:8: b[1].y: bad");
  EXPECT_EQ(document.root().table("b").status().message(), "t.toml:5: b: must be a table");
  EXPECT_EQ(document.root().tables("a").status().message(), "t.toml:1: a: must be an array of tables ([[a]])");
  EXPECT_TRUE(document.root().tables("none")->empty());
}

TEST(ConfigTable, OnlyKeysAcceptsTheUnionOfItsLists) {
  constexpr std::string_view kMine[] = {"x", "y"};
  constexpr std::string_view kTheirs[] = {"z"};
  const ConfigDocument document = parsed("[[b]]\nx = 1\nz = 2\n[[b]]\nx = 1\nw = 3\n");
  auto b = document.root().tables("b");
  ASSERT_TRUE(b);
  EXPECT_TRUE((*b)[0].onlyKeys({kMine, kTheirs}).isOk());
  EXPECT_EQ((*b)[0].onlyKeys({kMine}).message(), "t.toml:3: b[0].z: unknown key (allowed: x, y)");
  EXPECT_EQ((*b)[1].onlyKeys({kMine, kTheirs}).message(), "t.toml:6: b[1].w: unknown key (allowed: x, y, z)");
}

TEST(ConfigDocument, SyntaxErrorNamesLine) {
  auto document = ConfigDocument::parse("[a]\nname = \n", "t.toml");
  ASSERT_FALSE(document);
  EXPECT_THAT(document.status().message(), HasSubstr("t.toml:2:"));
}

TEST(ConfigDocument, CanonicalSectionsNameArrayTablesByIdAndLeaveSecretsOut) {
  const ConfigDocument document = parsed(
      "[a]\nurl = \"rtsp://u:hunter2@h/x\"\n[[b]]\nid = \"one\"\npassword = \"hunter2\"\n"
      "[[b]]\nhosts = [\"postgresql://u:hunter2@db/v\"]\n[c]\nwebhooks = [\"http://ha/api/webhook/hunter2\"]\n");
  const auto sections = document.canonicalSections();
  std::vector<std::string> names;
  for (const auto& [name, text] : sections) {
    names.push_back(name);
    EXPECT_THAT(text, ::testing::Not(HasSubstr("hunter2"))) << name;
  }
  EXPECT_EQ(names, (std::vector<std::string>{"a", "b one", "b[1]", "c"}));
  EXPECT_EQ(sections.at("a"), "url = \"rtsp://u:***@h/x\"");
  EXPECT_THAT(sections.at("b one"), HasSubstr("password = \"***\""));
}

TEST(HostPort, Parses) {
  EXPECT_EQ(parseHostPort("0.0.0.0:554")->port, 554);
  EXPECT_EQ(parseHostPort("[::1]:80")->host, "::1");
  EXPECT_EQ(parseHostPort("[::1]:80")->toString(), "[::1]:80");
  for (const char* bad : {"", "host", ":80", "h:", "h:99999", "h:8a", "::1:80"}) {
    EXPECT_FALSE(parseHostPort(bad).isOk()) << bad;
  }
}

TEST(Id, Validates) {
  EXPECT_TRUE(isValidId("gate"));
  EXPECT_TRUE(isValidId("road_2-b"));
  EXPECT_FALSE(isValidId(""));
  EXPECT_FALSE(isValidId("Gate"));
  EXPECT_FALSE(isValidId("../x"));
  EXPECT_FALSE(isValidId(std::string(65, 'a')));
}

TEST(Id, ACameraRefIsALocalIdOrUpToFourIdsJoinedByDots) {
  EXPECT_TRUE(isValidCameraRef("gate"));
  EXPECT_TRUE(isValidCameraRef("township1.village1.house7.door"));
  EXPECT_FALSE(isValidCameraRef("a.township1.village1.house7.door"));
  EXPECT_FALSE(isValidCameraRef("house7..door"));
  EXPECT_FALSE(isValidCameraRef(".door"));
  EXPECT_FALSE(isValidCameraRef("house7."));
  EXPECT_FALSE(isValidCameraRef("House7.door"));
  EXPECT_FALSE(isValidCameraRef("house7/door"));
}

}  // namespace
}  // namespace vigil

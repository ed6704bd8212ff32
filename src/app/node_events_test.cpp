#include "app/node_events.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>

namespace vigil::app {
namespace {

using namespace std::chrono_literals;

const WallTime kT0 = WallTime::fromUnixMicros(1'800'000'000'000'000);

struct Dir {
  std::filesystem::path path = std::filesystem::temp_directory_path() /
                               ("node_events_test_" + std::to_string(::getpid()) + "_" +
                                ::testing::UnitTest::GetInstance()->current_test_info()->name());
  Dir() { std::filesystem::create_directories(path); }
  ~Dir() { std::filesystem::remove_all(path); }
};

detect::FrameAnalysis person(int ms, int x, float score) {
  auto picture = std::make_shared<detect::BgrImage>(detect::BgrImage{320, 180, std::vector<uint8_t>(320 * 180 * 3, 90)});
  return {.camera = "door",
          .time = kT0 + std::chrono::milliseconds(ms),
          .motion = {},
          .objects = {{detect::Label::kPerson, score, {x, 40, 40, 100}}},
          .picture = std::move(picture),
          .droppedFrames = 0};
}

// A person's event: in events.db with a JPEG snapshot from its start, its
// top score kept, closed when it ends; the camera's event recording open
// from its start to its end.
TEST(NodeEventsTest, StoresEventsWithSnapshotsAndOpensTheEventRecording) {
  Dir dir;
  auto store = detect::EventStore::open((dir.path / "events.db").string()).value();
  std::vector<std::pair<std::string, bool>> recording;
  NodeEvents events({.store = store.get(),
                     .setEventOpen =
                         [&](const std::string& camera, bool open) {
                           recording.emplace_back(camera, open);
                           return Status::ok();
                         }},
                    {{.id = "door", .tracker = {.quiet = 10s}, .retainDays = 30, .recordsEvents = true}});
  events.analyse(person(0, 10, 0.6f));
  events.analyse(person(200, 20, 0.9f));
  events.analyse(person(400, 30, 0.7f));
  events.analyse({.camera = "attic", .time = kT0});  // no such camera: dropped
  auto listed = store->list({}).value();
  ASSERT_EQ(listed.size(), 1u);
  const detect::DetectionEvent e = listed[0];
  EXPECT_EQ(e.label, "person");
  EXPECT_NEAR(e.topScore, 0.9, 1e-6);
  EXPECT_EQ(e.topBox, (detect::Box{20, 40, 40, 100}));
  EXPECT_FALSE(e.end);
  const std::string jpeg = store->snapshot(e.id).value();
  EXPECT_EQ(jpeg.substr(0, 2), "\xff\xd8");
  EXPECT_EQ(recording, (std::vector<std::pair<std::string, bool>>{{"door", true}}));
  events.tick(WallTime::fromUnixMicros(0));  // the camera's clock, not this one, says it is not quiet yet
  EXPECT_FALSE(store->get(e.id).value()->end);
  EXPECT_EQ(recording.size(), 1u);
}

TEST(NodeEventsTest, FrigateShapedEvents) {
  detect::DetectionEvent before{.id = "1-abc", .camera = "door", .label = "person", .score = 0.5f, .topScore = 0.5f,
                                .start = kT0, .lastSeen = kT0, .box = {10, 20, 30, 40}};
  detect::DetectionEvent after = before;
  after.topScore = 0.75f;
  after.zones = {"porch"};
  after.end = kT0 + 2s;
  auto j = nlohmann::json::parse(frigateEventJson({detect::EventChange::Kind::kEnd, before, after, nullptr}));
  EXPECT_EQ(j["type"], "end");
  EXPECT_EQ(j["before"]["top_score"], 0.5);
  EXPECT_EQ(j["before"]["end_time"], nullptr);
  EXPECT_EQ(j["after"]["top_score"], 0.75);
  EXPECT_EQ(j["after"]["end_time"], 1'800'000'002.0);
  EXPECT_EQ(j["after"]["start_time"], 1'800'000'000.0);
  EXPECT_EQ(j["after"]["box"], nlohmann::json({10, 20, 40, 60}));
  EXPECT_EQ(j["after"]["entered_zones"], nlohmann::json({"porch"}));
  EXPECT_EQ(j["after"]["camera"], "door");
  EXPECT_EQ(j["after"]["id"], "1-abc");
  auto started = nlohmann::json::parse(frigateEventJson({detect::EventChange::Kind::kStart, {}, before, nullptr}));
  EXPECT_EQ(started["type"], "new");
  EXPECT_EQ(started["before"], started["after"]);
}

}  // namespace
}  // namespace vigil::app

#include "detect/event_store.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

namespace vigil::detect {
namespace {

using namespace std::chrono_literals;

const WallTime kT0 = WallTime::fromUnixMicros(1'800'000'000'000'000);

struct Dir {
  std::filesystem::path path = std::filesystem::temp_directory_path() /
                               ("event_store_test_" + std::to_string(::getpid()) + "_" +
                                ::testing::UnitTest::GetInstance()->current_test_info()->name());
  Dir() { std::filesystem::create_directories(path); }
  ~Dir() { std::filesystem::remove_all(path); }
  std::string db() const { return (path / "events.db").string(); }
};

DetectionEvent event(std::string id, std::string camera, std::string label, std::chrono::seconds start,
                     std::optional<std::chrono::seconds> end) {
  DetectionEvent e{.id = std::move(id), .camera = std::move(camera), .label = std::move(label), .score = 0.7f,
                   .topScore = 0.82f, .start = kT0 + start, .lastSeen = kT0 + start + 3s};
  if (end) e.end = kT0 + *end;
  e.box = Box{1, 2, 3, 4};
  e.topBox = Box{10, 20, 30, 40};
  e.pictureWidth = 640;
  e.pictureHeight = 360;
  e.zones = {"porch", "drive"};
  return e;
}

TEST(EventStoreTest, WritesReadsAndFilters) {
  Dir dir;
  auto store = EventStore::open(dir.db()).value();
  ASSERT_TRUE(store->write(event("a", "door", "person", 0s, 10s), std::string("JPEG-a")).isOk());
  ASSERT_TRUE(store->write(event("b", "gate", "vehicle", 100s, 130s), std::nullopt).isOk());
  ASSERT_TRUE(store->write(event("c", "door", "animal", 200s, std::nullopt), std::nullopt).isOk());
  auto a = store->get("a").value();
  ASSERT_TRUE(a);
  EXPECT_EQ(a->camera, "door");
  EXPECT_NEAR(a->topScore, 0.82, 1e-6);
  EXPECT_EQ(a->end, kT0 + 10s);
  EXPECT_EQ(a->box, (Box{10, 20, 30, 40}));  // the snapshot's
  EXPECT_EQ(a->zones, (std::vector<std::string>{"porch", "drive"}));
  EXPECT_FALSE(store->get("x").value());
  EXPECT_EQ(store->snapshot("a").value(), "JPEG-a");
  EXPECT_EQ(store->snapshot("b").status().code(), StatusCode::kNotFound);
  // A later write keeps the snapshot unless it brings one.
  ASSERT_TRUE(store->write(event("a", "door", "person", 0s, 12s), std::nullopt).isOk());
  EXPECT_EQ(store->snapshot("a").value(), "JPEG-a");
  EXPECT_EQ(store->get("a").value()->end, kT0 + 12s);

  auto ids = [&](EventQuery q) {
    std::vector<std::string> out;
    auto listed = store->list(q);
    EXPECT_TRUE(listed.isOk()) << listed.status().toString();
    for (const auto& e : *listed) out.push_back(e.id);
    return out;
  };
  EXPECT_EQ(ids({}), (std::vector<std::string>{"c", "b", "a"}));
  EXPECT_EQ(ids({.cameras = std::vector<std::string>{"door"}}), (std::vector<std::string>{"c", "a"}));
  EXPECT_EQ(ids({.cameras = std::vector<std::string>{}}), std::vector<std::string>{});
  EXPECT_EQ(ids({.label = "vehicle"}), std::vector<std::string>{"b"});
  // Overlapping [start, end): ended at or after start (or open), started before end.
  EXPECT_EQ(ids({.start = kT0 + 120s}), (std::vector<std::string>{"c", "b"}));
  EXPECT_EQ(ids({.end = kT0 + 100s}), std::vector<std::string>{"a"});
  EXPECT_EQ(ids({.limit = 1}), std::vector<std::string>{"c"});
}

// An event open when the node stopped is closed at its last update when it opens again.
TEST(EventStoreTest, AnEventOpenAtACrashIsClosedAtItsLastUpdate) {
  Dir dir;
  {
    auto store = EventStore::open(dir.db()).value();
    ASSERT_TRUE(store->write(event("open", "door", "person", 0s, std::nullopt), std::nullopt).isOk());
    EXPECT_FALSE(store->get("open").value()->end);
  }
  auto store = EventStore::open(dir.db()).value();
  const auto closed = store->closeLeftOpen().value();
  ASSERT_EQ(closed.size(), 1u);
  EXPECT_EQ(closed[0].id, "open");
  EXPECT_EQ(closed[0].end, kT0 + 3s);
  EXPECT_EQ(store->get("open").value()->end, kT0 + 3s);
  EXPECT_TRUE(store->closeLeftOpen().value().empty());
}

// Retention: a camera's events that started before the cut go; open ones and other cameras' stay.
TEST(EventStoreTest, PrunesACamerasOldEvents) {
  Dir dir;
  auto store = EventStore::open(dir.db()).value();
  ASSERT_TRUE(store->write(event("old", "door", "person", 0s, 10s), std::string("x")).isOk());
  ASSERT_TRUE(store->write(event("new", "door", "person", 100s, 110s), std::nullopt).isOk());
  ASSERT_TRUE(store->write(event("gate", "gate", "person", 0s, 10s), std::nullopt).isOk());
  EXPECT_EQ(store->prune("door", kT0 + 50s).value(), 1);
  EXPECT_FALSE(store->get("old").value());
  EXPECT_TRUE(store->get("new").value());
  EXPECT_TRUE(store->get("gate").value());
}

}  // namespace
}  // namespace vigil::detect

#include "uptime/alerts.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "uptime/alert_store.h"

namespace vigil::uptime {
namespace {

using std::chrono::hours;
using std::chrono::seconds;
using Type = AlertChange::Type;

WallTime at(int64_t s) { return WallTime::fromUnixMicros(1'700'000'000'000'000 + s * 1'000'000); }

std::vector<std::string> ids(const std::vector<AlertChange>& changes) {
  std::vector<std::string> out;
  for (const auto& c : changes) out.push_back(c.id());
  return out;
}

// One alert per episode after its delay, a reminder at most every N hours,
// a "resolved" when it ends; never one a poll.
TEST(AlertsTest, OnePerEpisodeAfterItsDelayRemindedEveryNHoursAndResolvedOnce) {
  Alerts alerts({.delay = {{alert_kind::kCameraOffline, seconds(300)}}, .remindEvery = hours(6)});
  const AlertCondition door{alert_kind::kCameraOffline, "door", at(0), "no answer"};
  const std::string episode = "camera_offline.door.1700000000000000";
  EXPECT_TRUE(alerts.observe({door}, at(0)).empty());
  EXPECT_TRUE(alerts.observe({door}, at(299)).empty());  // not yet its delay
  EXPECT_TRUE(alerts.open().empty());
  auto raised = alerts.observe({door}, at(300));
  ASSERT_EQ(ids(raised), (std::vector<std::string>{episode + ".raised"}));
  EXPECT_EQ(raised[0].detail, "no answer");
  for (int s = 301; s < 300 + 6 * 3600; s += 60) ASSERT_TRUE(alerts.observe({door}, at(s)).empty()) << s;
  EXPECT_EQ(ids(alerts.observe({door}, at(300 + 6 * 3600))), (std::vector<std::string>{episode + ".reminder-1"}));
  EXPECT_TRUE(alerts.observe({door}, at(301 + 6 * 3600)).empty());
  ASSERT_EQ(alerts.open().size(), 1u);
  auto resolved = alerts.observe({}, at(400 + 6 * 3600));
  ASSERT_EQ(ids(resolved), (std::vector<std::string>{episode + ".resolved"}));
  EXPECT_EQ(resolved[0].type, Type::kResolved);
  EXPECT_TRUE(alerts.observe({}, at(401 + 6 * 3600)).empty());
  EXPECT_TRUE(alerts.open().empty());
}

TEST(AlertsTest, AConditionOverBeforeItsDelayIsNeverToldAndANewEpisodeIsANewAlert) {
  Alerts alerts({.delay = {{alert_kind::kCameraOffline, seconds(60)}}});
  EXPECT_TRUE(alerts.observe({{alert_kind::kCameraOffline, "door", at(0), ""}}, at(30)).empty());
  EXPECT_TRUE(alerts.observe({}, at(40)).empty());  // back before a minute: nothing, not even resolved
  // A disk filling is told at once (no delay for its kind).
  EXPECT_EQ(ids(alerts.observe({{alert_kind::kDiskFilling, "storage", at(50), "97% used"}}, at(50))),
            (std::vector<std::string>{"disk_filling.storage.1700000050000000.raised"}));
  // The door down, then down again from a later start between two polls: the first resolved, the second raised.
  EXPECT_EQ(alerts.observe({{alert_kind::kDiskFilling, "storage", at(50), ""},
                            {alert_kind::kCameraOffline, "door", at(100), ""}},
                           at(200))
                .size(),
            1u);
  auto changes = alerts.observe({{alert_kind::kDiskFilling, "storage", at(50), ""},
                                 {alert_kind::kCameraOffline, "door", at(250), ""}},
                                at(320));
  EXPECT_EQ(ids(changes), (std::vector<std::string>{"camera_offline.door.1700000100000000.resolved",
                                                    "camera_offline.door.1700000250000000.raised"}));
}

// Across a restart (alerts.db): an episode still holding with the same
// start is not raised again and is reminded on its own time; one no longer
// holding is told resolved, once.
TEST(AlertsTest, AnEpisodeKeptAcrossARestartGoesOnAndOneOverMeanwhileIsResolved) {
  const auto dir = std::filesystem::temp_directory_path() / "alerts_test_restart";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const AlertOptions options{.delay = {{alert_kind::kCameraOffline, seconds(300)}}, .remindEvery = hours(6)};
  const AlertCondition door{alert_kind::kCameraOffline, "door", at(0), "no answer"};
  const AlertCondition disk{alert_kind::kDiskFilling, "/data", at(10), "3.0% free"};
  {
    Alerts before(options);
    ASSERT_EQ(before.observe({door, disk}, at(300)).size(), 2u);
    auto store = AlertStore::open((dir / "alerts.db").string());
    ASSERT_TRUE(store.isOk()) << store.status().message();
    ASSERT_TRUE((*store)->save(before.told()).isOk());
  }
  auto store = AlertStore::open((dir / "alerts.db").string());
  ASSERT_TRUE(store.isOk()) << store.status().message();
  auto kept = (*store)->load();
  ASSERT_TRUE(kept.isOk()) << kept.status().message();
  ASSERT_EQ(kept->size(), 2u);
  EXPECT_EQ((*kept)[0].condition.detail, "no answer");
  EXPECT_EQ((*kept)[0].lastTold, at(300));

  Alerts after(options);
  after.restore(*kept);
  EXPECT_EQ(after.open().size(), 2u);
  EXPECT_EQ(ids(after.observe({door}, at(400))),
            (std::vector<std::string>{"disk_filling./data.1700000010000000.resolved"}));
  EXPECT_TRUE(after.observe({door}, at(500)).empty());
  EXPECT_EQ(ids(after.observe({door}, at(300 + 6 * 3600))),
            (std::vector<std::string>{"camera_offline.door.1700000000000000.reminder-1"}));
  ASSERT_TRUE((*store)->save(after.told()).isOk());
  kept = (*store)->load();
  ASSERT_TRUE(kept.isOk());
  ASSERT_EQ(kept->size(), 1u);
  EXPECT_EQ((*kept)[0].reminders, 1);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace vigil::uptime

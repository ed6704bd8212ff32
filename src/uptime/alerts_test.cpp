#include "uptime/alerts.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace vigil::uptime

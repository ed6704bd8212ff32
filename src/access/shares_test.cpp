#include "access/shares.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <ctime>

namespace vigil::access {
namespace {

std::string parseError(std::string_view json) {
  auto r = parseShares(json);
  EXPECT_FALSE(r) << json;
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  return r ? "" : r.status().message();
}

TEST(SharesParse, TheApiExampleRoundTrips) {
  auto shares = parseShares(R"([{"tier": "village", "rights": ["snapshot", "live", "playback", "export"],
      "only_during_alarm": true, "hours": "08:00-20:00", "expires_at": "2027-01-01T00:00:00Z"}])");
  ASSERT_TRUE(shares) << shares.status().toString();
  ASSERT_EQ(shares->size(), 1u);
  const Share& s = shares->front();
  EXPECT_EQ(s.tier, Tier::kVillage);
  EXPECT_EQ(s.rights, (std::set<ShareRight>{ShareRight::kLive, ShareRight::kPlayback, ShareRight::kExport,
                                            ShareRight::kSnapshot}));
  EXPECT_TRUE(s.onlyDuringAlarm);
  EXPECT_EQ(s.hours, (DailyHours{8 * 60, 20 * 60}));
  EXPECT_EQ(s.expiresAt, WallTime::parseRfc3339("2027-01-01T00:00:00Z").value());
  const std::string json = sharesJson(*shares);
  EXPECT_EQ(json, R"([{"expires_at":"2027-01-01T00:00:00Z","hours":"08:00-20:00","only_during_alarm":true,)"
                  R"("rights":["live","playback","export","snapshot"],"tier":"village"}])");
  EXPECT_EQ(parseShares(json).value(), *shares);
}

TEST(SharesParse, AKeyLeftOutIsNoSuchRestrictionAndAnEmptyListSharesNothing) {
  auto shares = parseShares(R"([{"tier": "county", "rights": ["live"]}, {"tier": "township", "rights": ["export"],
                                 "hours": null, "expires_at": null}])");
  ASSERT_TRUE(shares) << shares.status().toString();
  ASSERT_EQ(shares->size(), 2u);
  EXPECT_EQ((*shares)[0], (Share{Tier::kCounty, {ShareRight::kLive}, false, std::nullopt, std::nullopt}));
  EXPECT_EQ((*shares)[1], (Share{Tier::kTownship, {ShareRight::kExport}, false, std::nullopt, std::nullopt}));
  EXPECT_EQ(sharesJson(*shares), R"([{"expires_at":null,"hours":null,"only_during_alarm":false,"rights":["live"],)"
                                 R"("tier":"county"},{"expires_at":null,"hours":null,"only_during_alarm":false,)"
                                 R"("rights":["export"],"tier":"township"}])");
  EXPECT_TRUE(parseShares("[]").value().empty());
  EXPECT_EQ(sharesJson({}), "[]");
}

TEST(SharesParse, BadInputNamesTheField) {
  EXPECT_EQ(parseError(""), "shares: not valid JSON");
  EXPECT_EQ(parseError("{}"), "shares: must be a JSON array (empty: shared with no one)");
  EXPECT_EQ(parseError("[1]"), "shares[0]: must be an object");
  EXPECT_EQ(parseError(R"([[[[]]]])"), "shares: nested too deeply");
  EXPECT_EQ(parseError(std::string(100000, '[')), "shares: nested too deeply");
  EXPECT_EQ(parseError(R"([{"tier":"village","rights":[["live"]]}])"), "shares: nested too deeply");
  EXPECT_EQ(parseError(R"([{"rights":["live"]}])"), "shares[0].tier: required");
  EXPECT_EQ(parseError(R"([{"tier":"household","rights":["live"]}])"),
            "shares[0].tier: must be village, township or county (a camera is shared only upward)");
  EXPECT_EQ(parseError(R"([{"tier":7,"rights":["live"]}])"),
            "shares[0].tier: must be village, township or county (a camera is shared only upward)");
  EXPECT_EQ(parseError(R"([{"tier":"village"}])"), "shares[0].rights: required");
  EXPECT_EQ(parseError(R"([{"tier":"village","rights":[]}])"),
            "shares[0].rights: must be a non-empty array of live, playback, export, snapshot");
  EXPECT_EQ(parseError(R"([{"tier":"village","rights":["live","ptz"]}])"),
            "shares[0].rights[1]: must be live, playback, export or snapshot");
  EXPECT_EQ(parseError(R"([{"tier":"village","rights":["live","live"]}])"), "shares[0].rights[1]: given twice");
  const std::string ok = R"({"tier":"village","rights":["live"]})";
  EXPECT_EQ(parseError("[" + ok + R"(,{"tier":"county","rights":["live"],"hours":"8-20"}])"),
            "shares[1].hours: must be HH:MM-HH:MM, like 08:00-20:00 or 20:00-08:00");
  EXPECT_EQ(parseError("[" + ok + R"(,{"tier":"county","rights":["live"],"hours":"08:00-08:00"}])"),
            "shares[1].hours: start and end are the same; leave hours out to share all day");
  EXPECT_EQ(parseError(R"([{"tier":"county","rights":["live"],"hours":8}])"),
            "shares[0].hours: must be a string like \"08:00-20:00\"");
  EXPECT_EQ(parseError(R"([{"tier":"county","rights":["live"],"expires_at":"next year"}])"),
            "shares[0].expires_at: must be an RFC 3339 time like 2027-01-01T00:00:00Z");
  EXPECT_EQ(parseError(R"([{"tier":"county","rights":["live"],"only_during_alarm":"yes"}])"),
            "shares[0].only_during_alarm: must be true or false");
  EXPECT_EQ(parseError(R"([{"tier":"county","rights":["live"],"camera":"gate"}])"), "shares[0].camera: unknown field");
  EXPECT_EQ(parseError(R"([{"tier":"county","rights":["live"],"<script>":1}])"), "shares[0]: unknown field");
  EXPECT_EQ(parseError("[" + ok + "," + ok + "]"), "shares[1].tier: village is given twice");
  EXPECT_EQ(parseError("[" + ok + "," + ok + "," + ok + "," + ok + "]"), "shares: more than 3 (one per tier at most)");
}

TEST(SharesParse, HoursAreMinutesOfTheDayAndMayWrapMidnight) {
  EXPECT_EQ(parseDailyHours("00:00-23:59").value(), (DailyHours{0, 1439}));
  EXPECT_EQ(parseDailyHours("22:00-24:00").value(), (DailyHours{1320, 1440}));
  EXPECT_EQ(parseDailyHours("20:00-08:00").value(), (DailyHours{1200, 480}));
  EXPECT_EQ(parseDailyHours("20:00-08:00")->text(), "20:00-08:00");
  EXPECT_EQ(parseDailyHours("22:00-24:00")->text(), "22:00-24:00");
  for (const char* bad : {"24:00-08:00", "08:60-09:00", "8:00-20:00", "08:00", "08:00-", "08:00-20:00x", "08:00 - 20:00",
                          "00:00-24:00", "aa:bb-cc:dd", "08:00-24:01"}) {
    EXPECT_FALSE(parseDailyHours(bad)) << bad;
  }
}

TEST(SharesDecide, TheBoundaryMinutesOfHours) {
  const DailyHours day{8 * 60, 20 * 60};
  EXPECT_FALSE(day.contains(8 * 60 - 1));
  EXPECT_TRUE(day.contains(8 * 60));
  EXPECT_TRUE(day.contains(20 * 60 - 1));
  EXPECT_FALSE(day.contains(20 * 60));
  const DailyHours night{20 * 60, 8 * 60};  // wraps midnight
  EXPECT_FALSE(night.contains(20 * 60 - 1));
  EXPECT_TRUE(night.contains(20 * 60));
  EXPECT_TRUE(night.contains(1439));
  EXPECT_TRUE(night.contains(0));
  EXPECT_TRUE(night.contains(8 * 60 - 1));
  EXPECT_FALSE(night.contains(8 * 60));
  const DailyHours late{22 * 60, 1440};
  EXPECT_TRUE(late.contains(1439));
  EXPECT_FALSE(late.contains(0));
}

// Every combination of tier asked x right asked x the share's tier and
// rights x alarm-only x alarm open x hours (none, a day span, one across
// midnight, each at its boundary minutes) x expiry (none, before, at,
// after), against the rules as the issue states them, checked in order:
// the tier, the right, the expiry, the alarm, the hours.
TEST(SharesDecide, EveryCombination) {
  const WallTime expiry = WallTime::parseRfc3339("2027-01-01T00:00:00Z").value();
  const std::vector<std::optional<DailyHours>> hoursCases = {std::nullopt, DailyHours{480, 1200},
                                                             DailyHours{1200, 480}};
  const std::vector<int> minutes = {0, 479, 480, 1199, 1200, 1439};
  const std::vector<std::optional<WallTime>> expiries = {std::nullopt, expiry};
  const std::vector<WallTime> instants = {expiry + std::chrono::microseconds(-1), expiry, expiry + std::chrono::hours(1)};
  const Tier tiers[] = {Tier::kVillage, Tier::kTownship, Tier::kCounty};
  const ShareRight rights[] = {ShareRight::kLive, ShareRight::kPlayback, ShareRight::kExport, ShareRight::kSnapshot};
  int allowed = 0, checked = 0;
  for (Tier sharedWith : tiers) {
    for (ShareRight granted : rights) {
      for (bool alarmOnly : {false, true}) {
        for (const auto& hours : hoursCases) {
          for (const auto& expiresAt : expiries) {
            // The share grants `granted` and snapshot (the second right
            // checks that a share holds several).
            const std::vector<Share> shares = {
                {sharedWith, {granted, ShareRight::kSnapshot}, alarmOnly, hours, expiresAt}};
            for (Tier asker : tiers) {
              for (ShareRight right : rights) {
                for (bool alarmOpen : {false, true}) {
                  for (int minute : minutes) {
                    for (WallTime at : instants) {
                      std::string want;
                      const bool inHours = !hours || (hours->start < hours->end
                                                          ? minute >= hours->start && minute < hours->end
                                                          : minute >= hours->start || minute < hours->end);
                      if (asker != sharedWith) want = "not shared with the " + std::string(tierName(asker));
                      else if (right != granted && right != ShareRight::kSnapshot)
                        want = std::string(shareRightName(right)) + " not shared with the " + std::string(tierName(asker));
                      else if (expiresAt && at >= *expiresAt) want = "expired";
                      else if (alarmOnly && !alarmOpen) want = "only during an alarm";
                      else if (!inHours) want = "outside hours " + hours->text();
                      const Status got = decideShare(shares, {asker, right, at, minute, alarmOpen});
                      // Built only when an expectation fails.
                      auto asked = [&] {
                        return sharesJson(shares) + " asked by " + std::string(tierName(asker)) + " for " +
                               std::string(shareRightName(right)) + " at minute " + std::to_string(minute) + " " +
                               at.toRfc3339() + (alarmOpen ? " alarm open" : "");
                      };
                      if (want.empty()) {
                        EXPECT_TRUE(got.isOk()) << got.toString() << " " << asked();
                        ++allowed;
                      } else {
                        EXPECT_EQ(got.code(), StatusCode::kPermissionDenied) << asked();
                        EXPECT_EQ(got.message(), want) << asked();
                      }
                      ++checked;
                    }
                  }
                }
              }
            }
          }
        }
      }
    }
  }
  EXPECT_EQ(checked, 3 * 4 * 2 * 3 * 2 * 3 * 4 * 2 * 6 * 3);
  EXPECT_GT(allowed, 0);
}

TEST(SharesDecide, NothingIsSharedByDefaultAndEachTierHasItsOwnShare) {
  const WallTime t = WallTime::parseRfc3339("2026-06-01T12:00:00Z").value();
  EXPECT_EQ(decideShare({}, {Tier::kVillage, ShareRight::kLive, t, 720, true}).message(), "not shared with the village");
  const std::vector<Share> shares = {{Tier::kVillage, {ShareRight::kLive}, false, DailyHours{480, 1200}, std::nullopt},
                                     {Tier::kCounty, {ShareRight::kPlayback}, true, std::nullopt, t}};
  EXPECT_TRUE(decideShare(shares, {Tier::kVillage, ShareRight::kLive, t, 720, false}).isOk());
  EXPECT_EQ(decideShare(shares, {Tier::kVillage, ShareRight::kLive, t, 1200, false}).message(),
            "outside hours 08:00-20:00");
  EXPECT_EQ(decideShare(shares, {Tier::kTownship, ShareRight::kLive, t, 720, true}).message(),
            "not shared with the township");
  EXPECT_EQ(decideShare(shares, {Tier::kCounty, ShareRight::kPlayback, t + std::chrono::seconds(-1), 720, false}).message(),
            "only during an alarm");
  EXPECT_TRUE(decideShare(shares, {Tier::kCounty, ShareRight::kPlayback, t + std::chrono::seconds(-1), 720, true}).isOk());
  EXPECT_EQ(decideShare(shares, {Tier::kCounty, ShareRight::kPlayback, t, 720, true}).message(), "expired");
}

TEST(SharesDecide, LocalMinuteFollowsTheTimeZone) {
  const char* old = std::getenv("TZ");
  const std::string saved = old ? old : "";
  ::setenv("TZ", "CST-8", 1);  // China, UTC+8, without tzdata
  ::tzset();
  const WallTime t = WallTime::parseRfc3339("2026-06-01T23:59:30Z").value();
  EXPECT_EQ(localMinuteOfDay(t), 7 * 60 + 59);
  ::setenv("TZ", "UTC0", 1);
  ::tzset();
  EXPECT_EQ(localMinuteOfDay(t), 23 * 60 + 59);
  EXPECT_EQ(localMinuteOfDay(WallTime::parseRfc3339("1969-12-31T23:59:59.5Z").value()), 23 * 60 + 59);
  if (old) ::setenv("TZ", saved.c_str(), 1);
  else ::unsetenv("TZ");
  ::tzset();
}

}  // namespace
}  // namespace vigil::access

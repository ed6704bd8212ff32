#include <gtest/gtest.h>

#include <map>

#include "link/health_messages.h"
#include "link/health_reporter.h"
#include "link/health_store.h"
#include "link/overview.h"
#include "link/sql.h"
#include "link/test_keys.h"

namespace vigil::link {
namespace {

using namespace std::chrono_literals;

constexpr int64_t kT0 = 1'700'000'000'000'000;  // µs
WallTime at(int64_t seconds) { return WallTime::fromUnixMicros(kT0 + seconds * 1'000'000); }

std::span<const uint8_t> bytes(std::string_view s) { return {reinterpret_cast<const uint8_t*>(s.data()), s.size()}; }

std::string decodeError(std::string_view body) {
  auto m = decodeHealthChanges(bytes(body));
  return m ? "" : m.status().message();
}

TEST(HealthMessagesTest, ChangesAndSummariesRoundTripAndBadOnesAreRefusedNamingTheField) {
  const HealthChanges changes{at(1), true,
                              {{"door", true, "streaming"}, {"yard", false, "retrying"}, {"shed", std::nullopt, "unshared"}}};
  auto decoded = decodeHealthChanges(encode(changes));
  ASSERT_TRUE(decoded) << decoded.status().toString();
  EXPECT_EQ(*decoded, changes);
  const HealthSummary summary{.at = at(2), .camerasTotal = 5, .camerasOnline = 3};
  auto s = decodeHealthSummary(encode(summary));
  ASSERT_TRUE(s) << s.status().toString();
  EXPECT_EQ(*s, summary);
  EXPECT_EQ(decodeError(R"({"at":1,"full":true,"changes":[]})"), "");  // a node that reports no camera

  EXPECT_EQ(decodeError("{"), "health.changes: not JSON");
  EXPECT_EQ(decodeError(R"({"at":1,"full":false,"changes":[],"x":1})"), "health.changes: unknown key \"x\"");
  EXPECT_EQ(decodeError(R"({"at":1,"changes":[]})"), "health.changes: \"full\" is required");
  EXPECT_EQ(decodeError(R"({"at":-1,"full":false,"changes":[]})"), "at: must be Unix milliseconds, an integer");
  EXPECT_EQ(decodeError(R"({"at":1.5,"full":false,"changes":[]})"), "at: must be Unix milliseconds, an integer");
  EXPECT_EQ(decodeError(R"({"at":1,"full":false,"changes":[]})"),
            "changes: must be a list of 1 to 400 changes (0 only when full)");
  EXPECT_EQ(decodeError(R"({"at":1,"full":0,"changes":[]})"), "full: must be true or false");
  EXPECT_EQ(decodeError(R"({"at":1,"full":false,"changes":[{"camera":"Door","online":true,"state":"streaming"}]})"),
            "changes[0].camera: must be 1 to 64 of a-z, 0-9, '_' and '-'");
  EXPECT_EQ(decodeError(R"({"at":1,"full":false,"changes":[{"camera":"door","online":1,"state":"streaming"}]})"),
            "changes[0].online: must be true, false or null");
  EXPECT_EQ(decodeError(R"({"at":1,"full":false,"changes":[{"camera":"door","online":null,"state":"streaming"}]})"),
            "changes[0].state: online null goes with \"unshared\"");
  EXPECT_EQ(decodeError(R"({"at":1,"full":false,"changes":[{"camera":"door","online":true,"state":"unshared"}]})"),
            "changes[0].state: \"unshared\" goes with online null");
  EXPECT_EQ(decodeError(R"({"at":1,"full":false,"changes":[{"camera":"door","online":true,"state":"Up!"}]})"),
            "changes[0].state: must be 1 to 32 of a-z and '_'");
  EXPECT_EQ(decodeError(R"({"at":1,"full":false,"changes":[{"camera":"door","online":true,"state":"streaming","x":0}]})"),
            "changes[0]: unknown key \"x\"");
  EXPECT_EQ(decodeError(R"({"at":1,"full":false,"changes":[{"camera":"door","online":true,"state":"streaming"},)"
                        R"({"camera":"door","online":false,"state":"retrying"}]})"),
            "changes[1].camera: a camera is listed twice");
  EXPECT_EQ(decodeError(std::string(500, '[')), "health.changes: too many objects and arrays");

  // The largest message the reporter makes fits an outbox message.
  HealthChanges largest{at(1), true, {}};
  for (size_t i = 0; i < kMaxHealthChanges; ++i) {
    largest.changes.push_back({std::string(60, 'a') + std::to_string(1000 + i), false, std::string(32, 'x')});
  }
  EXPECT_LE(encode(largest).size(), kMaxMessageBodyBytes);
  EXPECT_TRUE(decodeHealthChanges(encode(largest)));

  auto bad = decodeHealthSummary(bytes(R"({"at":1,"cameras_total":2,"cameras_online":3})"));
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.status().message(), "cameras_online: must not exceed cameras_total");
  bad = decodeHealthSummary(bytes(R"({"at":1,"cameras_total":2})"));
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.status().message(), "health.summary: \"cameras_online\" is required");
}

TEST(HealthMessagesTest, OverviewFiguresAndNodesBelowRoundTripAndAreRefusedNamingTheField) {
  NodeFigures f{.camerasRecording = 2, .rate7d = 0.9812, .rate30d = std::nullopt, .storageUsedBytes = 1 << 30,
                .storageBytesPerDay = 5 << 20, .storageCapacityBytes = uint64_t{1} << 40, .oldestRecording = at(-86400),
                .alarmsOpen = 1};
  HealthSummary summary{.at = at(2), .camerasTotal = 5, .camerasOnline = 3, .figures = f, .daily = {0.5, std::nullopt, 1.0}};
  summary.below.push_back({{"house7"}, "Zhang family", "household", true, at(1), 3, 2, f});
  summary.below.push_back({.path = {"village2", "house1"}, .name = "Li", .tier = "household"});
  auto s = decodeHealthSummary(encode(summary));
  ASSERT_TRUE(s) << s.status().toString();
  EXPECT_EQ(*s, summary);
  const HealthSummary withheld{.at = at(3), .withheld = true};
  const std::vector<uint8_t> text = encode(withheld);
  EXPECT_EQ(std::string(text.begin(), text.end()), R"({"at":1700000003000,"withheld":true})");
  s = decodeHealthSummary(encode(withheld));
  ASSERT_TRUE(s);
  EXPECT_EQ(*s, withheld);

  auto error = [](std::string_view body) {
    auto m = decodeHealthSummary(bytes(body));
    return m ? "" : m.status().message();
  };
  const std::string head = R"({"at":1,"cameras_total":2,"cameras_online":1,"recording":1,"rate_7d":0.5,"rate_30d":null,)"
                           R"("storage":[1,2,3],"oldest":null,"alarms":0,"daily":[],)";
  const std::string row = R"([["house7"],"Zhang","household",true,null,2,1,1,0.5,null,1,2,3,null,0])";
  EXPECT_EQ(error(head + R"("below":[)" + row + "]}"), "");
  EXPECT_EQ(error(R"({"at":1,"withheld":true,"cameras_total":1})"), "health.summary: unknown key \"cameras_total\"");
  EXPECT_EQ(error(R"({"at":1,"withheld":false})"), "withheld: must be true");
  EXPECT_EQ(error(head + R"("below":[],"x":1})"), "health.summary: unknown key \"x\"");
  EXPECT_EQ(error(R"({"at":1,"cameras_total":2,"cameras_online":1,"recording":3,"rate_7d":0.5,"rate_30d":null,)"
                  R"("storage":[1,2,3],"oldest":null,"alarms":0,"daily":[],"below":[]})"),
            "recording: must not exceed cameras_total");
  EXPECT_EQ(error(R"({"at":1,"cameras_total":2,"cameras_online":1,"recording":1,"rate_7d":1.5,"rate_30d":null,)"
                  R"("storage":[1,2,3],"oldest":null,"alarms":0,"daily":[],"below":[]})"),
            "rate_7d: must be a rate 0..1 or null");
  EXPECT_EQ(error(R"({"at":1,"cameras_total":2,"cameras_online":1,"recording":1,"rate_7d":1,"rate_30d":null,)"
                  R"("storage":[1,2],"oldest":null,"alarms":0,"daily":[],"below":[]})"),
            "storage: must be [used, per day, capacity]");
  EXPECT_EQ(error(head + R"("below":[)" + row + "," + row + "]}"), "below[1]: a node is listed twice");
  EXPECT_EQ(error(head + R"("below":[[["a","b","c"],"Zhang","household",true,null,2,1,1,0.5,null,1,2,3,null,0]]})"),
            "below[0].path: must be 1 to 2 node ids");
  EXPECT_EQ(error(head + R"("below":[[["house7"],"Zhang","mayor",true,null,2,1,1,0.5,null,1,2,3,null,0]]})"),
            "below[0].tier: must be a tier");
  EXPECT_EQ(error(head + R"("below":[[["house7"],"Zhang","household",true,null,1,2,1,0.5,null,1,2,3,null,0]]})"),
            "below[0].cameras_online: must not exceed cameras_total");
  EXPECT_EQ(error(head + R"("below":[[["house7"],"Zhang","household",true,null,2,1]]})"),
            "below[0]: must be a list of 15 fields");
  std::string daily = "[";
  for (size_t i = 0; i <= kMaxDailyRates; ++i) daily += i ? ",1" : "1";
  EXPECT_EQ(error(R"({"at":1,"cameras_total":2,"cameras_online":1,"recording":1,"rate_7d":1,"rate_30d":null,)"
                  R"("storage":[1,2,3],"oldest":null,"alarms":0,"daily":)" + daily + R"(],"below":[]})"),
            "daily: must be a list of at most 31 rates");
}

TEST(OverviewTest, AChildWithoutTotalsIsItsLinkAloneAndWhatOthersHoldBelowGoesUpUnderThem) {
  std::vector<ChildLinkStatus> children{{.id = "village2", .name = "Li village", .tier = Tier::kVillage, .state = "offline"},
                                        {.id = "village1", .name = "Zhang village", .tier = Tier::kVillage, .state = "connected"}};
  HealthSummary v1{.at = at(1), .camerasTotal = 1, .camerasOnline = 1, .daily = {1.0, 0.5}};
  v1.below.push_back({.path = {"house7"}, .name = "Zhang", .tier = "household", .camerasTotal = 3, .camerasOnline = 2});
  const std::map<std::string, HealthSummary> summaries{{"village1", v1}, {"village2", {.at = at(1), .withheld = true}}};
  const std::vector<NodeRow> rows = nodesBelow(children, summaries);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].node.path, std::vector<std::string>{"village1"});
  EXPECT_TRUE(rows[0].totals && rows[0].node.connected);
  EXPECT_EQ(rows[1].node.path, (std::vector<std::string>{"village1", "house7"}));
  EXPECT_EQ(rows[1].node.camerasOnline, 2);
  EXPECT_EQ(rows[2].node.path, std::vector<std::string>{"village2"});
  EXPECT_FALSE(rows[2].totals);
  EXPECT_EQ(rows[2].node.camerasTotal, 0);

  // Upward: only nodes with totals; the daily rates weighted by cameras (4 below village1, 4 here).
  HealthSummary own{.at = at(2), .camerasTotal = 4, .camerasOnline = 4, .daily = {std::nullopt, 0.0, 1.0}};
  addNodesBelow(own, rows);
  ASSERT_EQ(own.below.size(), 2u);
  EXPECT_EQ(own.below[1].path, (std::vector<std::string>{"village1", "house7"}));
  EXPECT_EQ(own.daily, (DailyRates{std::nullopt, 0.5, 0.75}));
}

TEST(OnlineTimeTest, EachStateLastsUntilTheNextAndOnlyReportedTimeCounts) {
  const std::vector<HealthTransition> h = {{at(0), true, "streaming"},
                                           {at(60), false, "retrying"},
                                           {at(90), true, "streaming"},
                                           {at(150), std::nullopt, "unshared"}};
  // [30, 120): online 30..60 and 90..120, offline 60..90.
  OnlineTime t = onlineTime(h, at(30), at(120));
  EXPECT_DOUBLE_EQ(t.onlineSeconds, 60);
  EXPECT_DOUBLE_EQ(t.knownSeconds, 90);
  EXPECT_DOUBLE_EQ(*t.rate, 60.0 / 90.0);
  // No longer reported from 150: not counted either way.
  t = onlineTime(h, at(0), at(1000));
  EXPECT_DOUBLE_EQ(t.onlineSeconds, 120);
  EXPECT_DOUBLE_EQ(t.knownSeconds, 150);
  // Before the first report nothing is known.
  t = onlineTime(std::span(h).subspan(1), at(0), at(90));
  EXPECT_DOUBLE_EQ(t.onlineSeconds, 0);
  EXPECT_DOUBLE_EQ(t.knownSeconds, 30);
  EXPECT_DOUBLE_EQ(*t.rate, 0);
  EXPECT_FALSE(onlineTime(h, at(200), at(300)).rate);
  EXPECT_FALSE(onlineTime({}, at(0), at(300)).rate);
  // Fractions of a second count.
  const std::vector<HealthTransition> brief = {{WallTime::fromUnixMicros(kT0), true, "streaming"},
                                               {WallTime::fromUnixMicros(kT0 + 250'000), false, "retrying"}};
  t = onlineTime(brief, at(0), at(1));
  EXPECT_DOUBLE_EQ(t.onlineSeconds, 0.25);
  EXPECT_DOUBLE_EQ(*t.rate, 0.25);
}

class HealthStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { open({}); }
  void open(HealthStoreOptions options) {
    store_.reset();
    auto s = HealthStore::open((keys_.dir() / "health.db").string(), clock_, options);
    ASSERT_TRUE(s) << s.status().toString();
    store_ = std::move(*s);
  }
  void add(int64_t seconds, std::vector<CameraHealthChange> changes, bool full = false) {
    ASSERT_TRUE(store_->addChanges("house7", {at(seconds), full, std::move(changes)}).isOk());
  }
  std::vector<CameraHealthHistory> history(int64_t from, int64_t to) {
    auto h = store_->history("house7", at(from), at(to));
    EXPECT_TRUE(h) << h.status().toString();
    return h ? *h : std::vector<CameraHealthHistory>{};
  }

  testing::TestKeys keys_;
  ManualClock clock_{at(0)};
  std::unique_ptr<HealthStore> store_;
};

TEST_F(HealthStoreTest, SummariesAreKeptWholeAcrossARestartAndAWithheldOneIsForgotten) {
  HealthSummary whole{.at = at(10), .camerasTotal = 3, .camerasOnline = 2,
                      .figures = {.camerasRecording = 2, .rate7d = 0.5, .alarmsOpen = 1}, .daily = {0.25, 1.0}};
  whole.below.push_back({.path = {"house7"}, .name = "Zhang", .tier = "household", .camerasTotal = 1});
  ASSERT_TRUE(store_->addSummary("village1", whole).isOk());
  ASSERT_TRUE(store_->addSummary("village2", {.at = at(10), .camerasTotal = 1}).isOk());
  open({});
  auto kept = store_->summaries();
  ASSERT_EQ(kept.size(), 2u);
  EXPECT_EQ(kept["village1"], whole);
  // The owner stops sharing its totals: nothing of them stays, and an older summary given again brings nothing back.
  ASSERT_TRUE(store_->addSummary("village1", {.at = at(20), .withheld = true}).isOk());
  ASSERT_TRUE(store_->addSummary("village2", {.at = at(5), .camerasTotal = 9}).isOk());
  open({});
  kept = store_->summaries();
  EXPECT_EQ(kept.size(), 1u);
  EXPECT_EQ(kept["village2"].camerasTotal, 1);
  EXPECT_FALSE(store_->child("village1")->summary);
}

TEST_F(HealthStoreTest, TotalsAreSharedUntilTheOwnerTurnsThemOffAndThatSurvivesARestart) {
  EXPECT_TRUE(*store_->sharesTotals());
  ASSERT_TRUE(store_->setSharesTotals(false).isOk());
  open({});
  EXPECT_FALSE(*store_->sharesTotals());
  ASSERT_TRUE(store_->setSharesTotals(true).isOk());
  EXPECT_TRUE(*store_->sharesTotals());
}

TEST_F(HealthStoreTest, ReportedCamerasHaveTheirRatesOverTheWeekAndTheMonth) {
  constexpr int64_t kDay = 86400;
  add(-40 * kDay, {{"door", true, "streaming"}, {"yard", true, "streaming"}}, true);
  add(-20 * kDay, {{"door", false, "retrying"}});
  add(-5 * kDay, {{"door", true, "streaming"}});
  add(-1 * kDay, {{"yard", std::nullopt, "unshared"}});
  clock_.setWall(at(0));
  auto cameras = store_->reportedCameras(at(0));
  ASSERT_TRUE(cameras) << cameras.status().toString();
  ASSERT_EQ(cameras->size(), 1u);  // the yard is no longer reported
  const ReportedCamera& door = cameras->front();
  EXPECT_EQ(door.child, "house7");
  EXPECT_EQ(door.camera, "door");
  EXPECT_TRUE(*door.last.online);
  EXPECT_DOUBLE_EQ(*door.week.rate, 5.0 / 7);
  EXPECT_DOUBLE_EQ(*door.month.rate, 15.0 / 30);
}

// The overview asks for every reported camera on every request: they come
// from memory. A change shows at once; the rates follow the time with the
// child's summary once they are kRatesAge old, else within 2 × kRatesAge,
// and a restart computes them again.
TEST_F(HealthStoreTest, ReportedCamerasShowAChangeAtOnceAndTheirRatesWithinTwoMinutes) {
  static_assert(HealthStore::kRatesAge == std::chrono::seconds(60));
  auto door = [&](int64_t seconds) {
    clock_.setWall(at(seconds));
    auto cameras = store_->reportedCameras(at(seconds));
    EXPECT_TRUE(cameras && cameras->size() == 1u);
    return cameras && !cameras->empty() ? cameras->front() : ReportedCamera{};
  };
  add(0, {{"door", true, "streaming"}}, true);
  clock_.setWall(at(100));
  add(100, {{"door", false, "retrying"}});
  EXPECT_FALSE(*door(100).last.online);
  EXPECT_DOUBLE_EQ(*door(100).week.rate, 1.0);  // online 100 s of 100
  EXPECT_DOUBLE_EQ(*door(159).week.rate, 1.0);  // as computed at 100
  clock_.setWall(at(160));
  ASSERT_TRUE(store_->addSummary("house7", {.at = at(160), .camerasTotal = 1}).isOk());
  EXPECT_DOUBLE_EQ(*door(160).week.rate, 100.0 / 160);
  EXPECT_DOUBLE_EQ(*door(280).week.rate, 100.0 / 160);
  EXPECT_DOUBLE_EQ(*door(281).week.rate, 100.0 / 281);  // no summary since: computed on the way
  clock_.setWall(at(300));
  add(300, {{"door", true, "streaming"}});
  const ReportedCamera now = door(300);
  EXPECT_TRUE(*now.last.online);
  EXPECT_DOUBLE_EQ(*now.week.rate, 100.0 / 300);
  clock_.setWall(at(330));
  open({});
  EXPECT_DOUBLE_EQ(*door(330).week.rate, 130.0 / 330);
}

// Attack F4: a child's `health.changes` messages cost the parent no
// computation of its month of rates each (a flapping child could make it
// do a month's work per message): a burst of them is one computation, at
// the next read, which sees the newest state; a restart computes nothing
// before the first read (a county with many children starts at once).
TEST_F(HealthStoreTest, ABurstOfChangesIsRatedOnceAtTheNextReadWhichSeesTheNewestState) {
  add(0, {{"door", true, "streaming"}, {"yard", true, "streaming"}}, true);
  const uint64_t before = store_->rateComputations();
  constexpr int kBurst = 200;
  for (int i = 1; i <= kBurst; ++i) {
    add(i, {{"door", i % 2 == 0, i % 2 == 0 ? "streaming" : "retrying"}});
  }
  EXPECT_EQ(store_->rateComputations(), before);  // none per message
  clock_.setWall(at(kBurst + 100));
  auto cameras = store_->reportedCameras(at(kBurst + 100));
  ASSERT_TRUE(cameras && cameras->size() == 2u);
  EXPECT_EQ(store_->rateComputations(), before + 1);
  EXPECT_EQ(cameras->front().camera, "door");
  EXPECT_EQ(cameras->front().last, (HealthTransition{at(kBurst), true, "streaming"}));  // the newest
  EXPECT_DOUBLE_EQ(*cameras->front().week.rate, (kBurst / 2 + 100.0) / (kBurst + 100));
  // Read again with nothing new: computed no more.
  ASSERT_TRUE(store_->reportedCameras(at(kBurst + 100)));
  EXPECT_EQ(store_->rateComputations(), before + 1);
  add(kBurst + 100, {{"door", false, "retrying"}});
  cameras = store_->reportedCameras(at(kBurst + 100));
  EXPECT_FALSE(*cameras->front().last.online);
  EXPECT_EQ(store_->rateComputations(), before + 2);

  open({});
  EXPECT_EQ(store_->rateComputations(), 0u);
  cameras = store_->reportedCameras(at(kBurst + 100));
  ASSERT_TRUE(cameras && cameras->size() == 2u);
  EXPECT_FALSE(*cameras->front().last.online);
  EXPECT_EQ(store_->rateComputations(), 1u);
}

TEST_F(HealthStoreTest, EachTransitionIsKeptOnceInOrderAndGivesTheRate) {
  add(0, {{"door", false, "connecting"}, {"yard", true, "streaming"}}, true);
  add(60, {{"door", true, "streaming"}});
  add(60, {{"door", true, "streaming"}});  // given again after a kill -9: nothing new
  add(90, {{"door", false, "retrying"}});
  add(95, {{"door", false, "stopped"}});  // still offline: not a transition
  ASSERT_TRUE(store_->addSummary("house7", {.at = at(90), .camerasTotal = 3, .camerasOnline = 1}).isOk());
  ASSERT_TRUE(store_->addSummary("house7", {.at = at(80), .camerasTotal = 9, .camerasOnline = 9}).isOk());  // older: ignored
  clock_.setWall(at(200));

  auto h = history(30, 120);
  ASSERT_EQ(h.size(), 2u);
  EXPECT_EQ(h[0].camera, "door");
  EXPECT_EQ(h[0].last, (HealthTransition{at(90), false, "retrying"}));
  EXPECT_EQ(h[0].transitions,
            (std::vector<HealthTransition>{{at(60), true, "streaming"}, {at(90), false, "retrying"}}));
  EXPECT_DOUBLE_EQ(h[0].time.onlineSeconds, 30);
  EXPECT_DOUBLE_EQ(h[0].time.knownSeconds, 90);
  EXPECT_EQ(h[1].camera, "yard");
  EXPECT_TRUE(h[1].transitions.empty());
  EXPECT_DOUBLE_EQ(*h[1].time.rate, 1);
  // The range ends now at the latest.
  h = history(0, 100000);
  EXPECT_DOUBLE_EQ(h[1].time.knownSeconds, 200);

  auto child = store_->child("house7");
  ASSERT_TRUE(child);
  EXPECT_EQ(child->summary, (HealthSummary{.at = at(90), .camerasTotal = 3, .camerasOnline = 1}));
  EXPECT_EQ(child->camerasReported, 2);
  EXPECT_EQ(child->camerasReportedOnline, 1);

  // A full list without the yard (unshared while the household was down):
  // no longer reported. A clock stepping back keeps the order of messages.
  add(150, {{"door", true, "streaming"}}, true);
  add(100, {{"door", false, "retrying"}});
  h = history(0, 200);
  EXPECT_EQ(h[0].transitions.back(), (HealthTransition{at(150), false, "retrying"}));
  EXPECT_EQ(h[1].last, (HealthTransition{at(150), std::nullopt, "unshared"}));
  EXPECT_DOUBLE_EQ(h[1].time.knownSeconds, 150);
  child = store_->child("house7");
  EXPECT_EQ(child->camerasReported, 1);
  // Another child's cameras are apart; an unknown child has none.
  EXPECT_TRUE(store_->history("house8", at(0), at(200))->empty());
}

TEST_F(HealthStoreTest, OldTransitionsGoButEachCamerasStateAtTheCutoffStaysAndAFloodIsCapped) {
  open({.keep = std::chrono::hours(1), .maxTransitionsPerChild = 4});
  add(0, {{"door", true, "streaming"}});
  add(10, {{"door", false, "retrying"}});
  add(20, {{"door", true, "streaming"}});
  clock_.advance(2h);  // the cutoff is now at(3600)
  add(7000, {{"door", false, "retrying"}});
  auto h = history(0, 7200);
  ASSERT_EQ(h.size(), 1u);
  EXPECT_EQ(h[0].transitions,
            (std::vector<HealthTransition>{{at(20), true, "streaming"}, {at(7000), false, "retrying"}}));
  EXPECT_DOUBLE_EQ(h[0].time.onlineSeconds, 6980);

  // A flood: only the newest are kept once pruning runs (each hour).
  open({.maxTransitionsPerChild = 4});
  for (int i = 0; i < 10; ++i) add(7001 + i, {{"door", i % 2 == 0, i % 2 == 0 ? "streaming" : "retrying"}});
  clock_.advance(2h);
  add(7100, {{"yard", true, "streaming"}});
  size_t kept = 0;
  for (const auto& c : history(0, 20000)) kept += c.transitions.size();
  EXPECT_EQ(kept, 4u);
}

// The household's side: what its reporter queues for the village, read
// from its outbox's database, then given to a village's store.
class HealthReporterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto o = Outbox::open((keys_.dir() / "outbox.db").string(), bus_);
    ASSERT_TRUE(o) << o.status().toString();
    outbox_ = std::move(*o);
    sources_.cameras = [this] { return cameras_; };
    sources_.rights = [this](const std::string& camera) -> Result<TierRights> { return rights_[camera]; };
    cameras_ = {{.id = "door"}, {.id = "yard"}, {.id = "shed"}};
    rights_["door"] = {{Tier::kVillage, {access::ShareRight::kLive}}};
    rights_["yard"] = {{Tier::kCounty, {access::ShareRight::kSnapshot}}};
  }
  std::unique_ptr<HealthReporter> reporter() {
    return std::make_unique<HealthReporter>(*outbox_, sources_, Tier::kVillage, clock_);
  }
  // Every message queued for the parent, as (type, body), in order.
  std::vector<std::pair<std::string, std::string>> queued() {
    std::vector<std::pair<std::string, std::string>> out;
    auto db = openDatabase((keys_.dir() / "outbox.db").string(), "");
    EXPECT_TRUE(db);
    {
      SqlQuery q(*db,
                 "SELECT b.type, b.bytes FROM outgoing o JOIN body b ON b.id = o.body WHERE o.peer = '' "
                 "ORDER BY o.seq");
      while (*q.next()) {
        auto b = q.blob(1);
        out.emplace_back(q.text(0), std::string(b.begin(), b.end()));
      }
    }
    sqlite3_close(*db);
    return out;
  }
  void stream(const std::string& id, camera::CameraState state) {
    for (auto& c : cameras_) {
      if (c.id == id) c.state = state;
    }
  }

  testing::TestKeys keys_;
  Bus bus_;
  std::unique_ptr<Outbox> outbox_;
  ManualClock clock_{at(0)};
  CatalogSources sources_;
  std::vector<camera::CameraStatus> cameras_;
  std::map<std::string, TierRights> rights_;
};

TEST_F(HealthReporterTest, OnlySharedCamerasAreNamedEachFlipOnceAndOneSummaryWaitsAtATime) {
  auto r = reporter();
  ASSERT_TRUE(r->poll().isOk());
  clock_.advance(1s);
  ASSERT_TRUE(r->poll().isOk());  // nothing changed: nothing queued
  stream("door", camera::CameraState::kStreaming);
  stream("shed", camera::CameraState::kStreaming);  // not shared: only the counts say it
  clock_.advance(1s);
  ASSERT_TRUE(r->poll().isOk());
  stream("door", camera::CameraState::kRetrying);
  clock_.advance(1s);
  ASSERT_TRUE(r->poll().isOk());
  stream("door", camera::CameraState::kConnecting);  // still offline
  rights_.erase("yard");
  clock_.advance(1s);
  ASSERT_TRUE(r->poll().isOk());
  r.reset();
  // Restarted: the full list again; the yard is not in it.
  clock_.advance(1s);
  ASSERT_TRUE(reporter()->poll().isOk());

  const auto q = queued();
  std::vector<std::pair<std::string, std::string>> want = {
      {"health.changes",
       R"({"at":1700000000000,"changes":[{"camera":"door","online":false,"state":"connecting"},)"
       R"({"camera":"yard","online":false,"state":"connecting"}],"full":true})"},
      {"health.summary", R"({"at":1700000000000,"cameras_online":0,"cameras_total":3})"},
      {"health.changes",
       R"({"at":1700000002000,"changes":[{"camera":"door","online":true,"state":"streaming"}],"full":false})"},
      // No summary for the new counts: the first one is not acknowledged yet.
      {"health.changes",
       R"({"at":1700000003000,"changes":[{"camera":"door","online":false,"state":"retrying"}],"full":false})"},
      {"health.changes",
       R"({"at":1700000004000,"changes":[{"camera":"yard","online":null,"state":"unshared"}],"full":false})"},
      {"health.changes",
       R"({"at":1700000005000,"changes":[{"camera":"door","online":false,"state":"connecting"}],"full":true})"},
      {"health.summary", R"({"at":1700000005000,"cameras_online":1,"cameras_total":3})"},
  };
  EXPECT_EQ(q, want);
  for (const auto& [type, body] : q) EXPECT_EQ(body.find("shed"), std::string::npos);

  // At the village, each given twice (a kill -9 between the receiver's commit and the outbox's).
  auto store = HealthStore::open((keys_.dir() / "health.db").string(), clock_);
  ASSERT_TRUE(store);
  for (const auto& [type, body] : q) {
    for (int twice = 0; twice < 2; ++twice) {
      if (type == kHealthChangesMessage) {
        ASSERT_TRUE((*store)->addChanges("house7", *decodeHealthChanges(bytes(body))).isOk());
      } else {
        ASSERT_TRUE((*store)->addSummary("house7", *decodeHealthSummary(bytes(body))).isOk());
      }
    }
  }
  auto h = (*store)->history("house7", at(0), at(10));
  ASSERT_TRUE(h);
  ASSERT_EQ(h->size(), 2u);
  EXPECT_EQ((*h)[0].transitions, (std::vector<HealthTransition>{{at(0), false, "connecting"},
                                                                {at(2), true, "streaming"},
                                                                {at(3), false, "retrying"}}));
  EXPECT_DOUBLE_EQ((*h)[0].time.onlineSeconds, 1);
  EXPECT_EQ((*h)[1].transitions,
            (std::vector<HealthTransition>{{at(0), false, "connecting"}, {at(4), std::nullopt, "unshared"}}));
}

TEST_F(HealthReporterTest, TheOverviewsFiguresGoUpWhileTheOwnerSharesTotalsAndOnlyWithheldOnceItStops) {
  bool shared = true;
  HealthReporterOptions options;
  options.overview = [](HealthSummary& s) {
    s.figures.alarmsOpen = 1;
    s.daily = {0.5};
    s.below.push_back({.path = {"house7"}, .name = "Zhang", .tier = "household", .camerasTotal = 2});
  };
  options.totalsShared = [&shared] { return shared; };
  auto r = std::make_unique<HealthReporter>(*outbox_, sources_, Tier::kVillage, clock_, options);
  ASSERT_TRUE(r->poll().isOk());
  // The owner turns totals off (and the node restarts: the first summary goes at once).
  r.reset();
  shared = false;
  clock_.advance(1s);
  ASSERT_TRUE(HealthReporter(*outbox_, sources_, Tier::kVillage, clock_, options).poll().isOk());
  const auto q = queued();
  ASSERT_EQ(q.size(), 4u);
  EXPECT_EQ(q[1].first, "health.summary");
  auto first = decodeHealthSummary(bytes(q[1].second));
  ASSERT_TRUE(first) << first.status().toString();
  EXPECT_EQ(first->figures.alarmsOpen, 1);
  EXPECT_EQ(first->daily, (std::vector<std::optional<double>>{0.5}));
  ASSERT_EQ(first->below.size(), 1u);
  EXPECT_EQ(first->below[0].path, std::vector<std::string>{"house7"});
  EXPECT_EQ(q[3], (std::pair<std::string, std::string>{"health.summary", R"({"at":1700000001000,"withheld":true})"}));
}

}  // namespace
// A child's clock far ahead cannot freeze a camera's history, and a child
// cannot name cameras without end.
TEST_F(HealthStoreTest, AClockAheadIsTakenAsNowAndCamerasPerChildAreBounded) {
  open({.maxCamerasPerChild = 2, .maxClockAhead = std::chrono::seconds(60)});
  add(100000, {{"door", true, "streaming"}});  // a day ahead of the clock, at(0)
  clock_.setWall(at(200));
  add(150, {{"door", false, "retrying"}});
  auto h = history(0, 200);
  ASSERT_EQ(h.size(), 1u);
  EXPECT_EQ(h[0].transitions,
            (std::vector<HealthTransition>{{at(60), true, "streaming"}, {at(150), false, "retrying"}}));
  add(160, {{"yard", true, "streaming"}, {"shed", true, "streaming"}});
  h = history(0, 200);
  ASSERT_EQ(h.size(), 2u);
  EXPECT_EQ(h[1].camera, "yard");
}

}  // namespace vigil::link

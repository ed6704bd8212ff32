#include <gtest/gtest.h>

#include <sqlite3.h>

#include <filesystem>

#include "uptime/outage.h"
#include "uptime/recorder.h"
#include "uptime/store.h"

namespace vigil::uptime {
namespace {

using namespace std::chrono_literals;

constexpr int64_t kT0 = 1'700'000'000'000'000;  // µs
WallTime at(int64_t seconds) { return WallTime::fromUnixMicros(kT0 + seconds * 1'000'000); }

camera::CameraStatus status(camera::CameraState state, std::string reason = "") {
  camera::CameraStatus s;
  s.id = "door";
  s.state = state;
  s.reason = std::move(reason);
  return s;
}

class UptimeStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("uptime_test_" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::unique_ptr<UptimeStore> open() {
    auto store = UptimeStore::open((dir_ / "uptime.db").string(), clock_);
    EXPECT_TRUE(store) << store.status().toString();
    return store ? std::move(*store) : nullptr;
  }
  void advanceTo(int64_t seconds) { clock_.setWall(at(seconds)); }

  std::filesystem::path dir_;
  ManualClock clock_{at(0)};
};

TEST(OutageTest, EachCameraStateAndReasonMapsToOnePlainCode) {
  using camera::CameraState;
  const std::optional<std::string> none;
  EXPECT_EQ(outageNow(status(CameraState::kStreaming), none), std::nullopt);
  EXPECT_EQ(outageNow(status(CameraState::kStreaming, "storage full: recording stopped"), none), "storage_full");
  EXPECT_EQ(outageNow(status(CameraState::kRetrying, "unauthenticated: 401 Unauthorized"), none), "auth_failed");
  EXPECT_EQ(outageNow(status(CameraState::kRetrying, "permission_denied: 403"), none), "auth_failed");
  EXPECT_EQ(outageNow(status(CameraState::kRetrying, "unavailable: camera closed the connection"), none),
            "camera_unreachable");
  EXPECT_EQ(outageNow(status(CameraState::kRetrying, "deadline_exceeded: no answer to DESCRIBE within 10.0 s"), none),
            "camera_unreachable");
  EXPECT_EQ(outageNow(status(CameraState::kRetrying, "deadline_exceeded: no media for 10.0 s"), none), "no_media");
  EXPECT_EQ(outageNow(status(CameraState::kRetrying, "not_found: 404 Not Found"), none), "no_media");
  EXPECT_EQ(outageNow(status(CameraState::kRetrying, "unimplemented: the camera offers no H.264 or H.265 video"), none),
            "no_media");
  // Connecting continues what is open; a first session is "connecting".
  EXPECT_EQ(outageNow(status(CameraState::kConnecting), std::string("auth_failed")), "auth_failed");
  EXPECT_EQ(outageNow(status(CameraState::kConnecting), std::string("node_down")), "node_down");
  EXPECT_EQ(outageNow(status(CameraState::kConnecting), none), "connecting");
  // Stopping (the node stops) changes nothing.
  EXPECT_EQ(outageNow(status(CameraState::kStopped), none), std::nullopt);
  EXPECT_EQ(outageNow(status(CameraState::kStopped), std::string("no_media")), "no_media");
}

TEST_F(UptimeStoreTest, OutagesAreKeptWithTheirReasonAndTheRateMatchesThemToTheSecond) {
  auto store = open();
  ASSERT_TRUE(store->start({"door", "yard"}).isOk());
  EXPECT_EQ(store->openOutage("door"), "connecting");  // not online before its first frame
  ASSERT_TRUE(store->set("door", std::nullopt).isOk());
  ASSERT_TRUE(store->set("yard", std::nullopt).isOk());
  advanceTo(10);
  ASSERT_TRUE(store->set("door", "camera_unreachable").isOk());
  advanceTo(40);
  ASSERT_TRUE(store->set("door", std::nullopt).isOk());
  advanceTo(60);
  ASSERT_TRUE(store->set("door", "auth_failed").isOk());
  ASSERT_TRUE(store->set("door", "auth_failed").isOk());  // no change: nothing kept
  advanceTo(100);
  EXPECT_FALSE(store->set("shed", "no_media").isOk());  // not configured

  auto h = store->health("door", at(-50), at(200));  // clipped to [0, now = 100)
  ASSERT_TRUE(h) << h.status().toString();
  EXPECT_EQ(h->countedSeconds, 100);
  EXPECT_EQ(h->onlineSeconds, 30);
  EXPECT_EQ(h->onlineRate, 0.3);
  ASSERT_EQ(h->outages.size(), 2u);
  EXPECT_EQ(h->outages[0], (Outage{at(10), at(40), "camera_unreachable", false}));
  EXPECT_EQ(h->outages[1], (Outage{at(60), at(100), "auth_failed", true}));

  // A window inside: the outages clipped to it.
  h = store->health("door", at(20), at(70));
  ASSERT_TRUE(h);
  EXPECT_EQ(h->countedSeconds, 50);
  EXPECT_EQ(h->onlineSeconds, 20);
  ASSERT_EQ(h->outages.size(), 2u);
  EXPECT_EQ(h->outages[0], (Outage{at(20), at(40), "camera_unreachable", false}));
  EXPECT_EQ(h->outages[1], (Outage{at(60), at(70), "auth_failed", false}));

  h = store->health("yard", at(0), at(100));
  ASSERT_TRUE(h);
  EXPECT_EQ(h->onlineRate, 1.0);
  EXPECT_TRUE(h->outages.empty());
  h = store->health("shed", at(0), at(100));
  ASSERT_TRUE(h);
  EXPECT_EQ(h->onlineRate, std::nullopt);  // never configured: nothing counts

  const auto opened = store->outagesOpened();
  EXPECT_EQ(opened.at({"door", "auth_failed"}), 1u);
  EXPECT_EQ(opened.at({"door", "camera_unreachable"}), 1u);
  EXPECT_EQ(store->openOutages().at("yard"), std::nullopt);
}

// Another program's connection makes the outage table refuse writes, as
// a full disk does, until allowed again.
class RefusedWrites {
 public:
  explicit RefusedWrites(const std::filesystem::path& db) {
    EXPECT_EQ(sqlite3_open(db.c_str(), &db_), SQLITE_OK);
    exec("CREATE TRIGGER refuse_insert BEFORE INSERT ON outage BEGIN SELECT RAISE(ABORT, 'disk full'); END;"
         "CREATE TRIGGER refuse_update BEFORE UPDATE ON outage BEGIN SELECT RAISE(ABORT, 'disk full'); END;");
  }
  ~RefusedWrites() { sqlite3_close(db_); }
  void allow() { exec("DROP TRIGGER refuse_insert; DROP TRIGGER refuse_update;"); }

 private:
  void exec(const char* sql) { EXPECT_EQ(sqlite3_exec(db_, sql, nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db_); }
  sqlite3* db_ = nullptr;
};

// The record test's small disk: the camera's storage_full is not written
// (the disk is full), and the camera is back online before there is room.
TEST_F(UptimeStoreTest, AnOutageOverBeforeItCouldBeWrittenIsStillKept) {
  auto store = open();
  ASSERT_TRUE(store->start({"door", "yard"}).isOk());
  ASSERT_TRUE(store->set("door", std::nullopt).isOk());
  ASSERT_TRUE(store->set("yard", "camera_unreachable").isOk());
  RefusedWrites full(dir_ / "uptime.db");
  advanceTo(10);
  EXPECT_FALSE(store->set("door", "storage_full").isOk());
  EXPECT_FALSE(store->set("yard", std::nullopt).isOk());  // an online stretch of a camera in an outage
  advanceTo(20);
  EXPECT_FALSE(store->set("door", "storage_full").isOk());  // tried again, no room yet
  advanceTo(40);
  EXPECT_FALSE(store->set("door", std::nullopt).isOk());
  EXPECT_FALSE(store->set("yard", "camera_unreachable").isOk());
  full.allow();
  advanceTo(50);
  ASSERT_TRUE(store->set("door", std::nullopt).isOk());  // the recorder's next poll
  ASSERT_TRUE(store->set("yard", "camera_unreachable").isOk());
  advanceTo(60);

  auto door = store->health("door", at(0), at(60));
  ASSERT_TRUE(door) << door.status().toString();
  ASSERT_EQ(door->outages.size(), 1u);
  EXPECT_EQ(door->outages[0], (Outage{at(10), at(40), "storage_full", false}));
  auto yard = store->health("yard", at(0), at(60));
  ASSERT_TRUE(yard) << yard.status().toString();
  ASSERT_EQ(yard->outages.size(), 2u);
  EXPECT_EQ(yard->outages[0], (Outage{at(0), at(10), "camera_unreachable", false}));
  EXPECT_EQ(yard->outages[1], (Outage{at(40), at(60), "camera_unreachable", true}));
  EXPECT_EQ(yard->onlineSeconds, 30);
}

TEST_F(UptimeStoreTest, ACrashEndsWhatWasOpenAtTheLastHeartbeatAndTheNodeIsDownUntilTheCameraStreams) {
  {
    auto store = open();
    ASSERT_TRUE(store->start({"door", "yard", "gate"}).isOk());
    for (const char* camera : {"door", "yard", "gate"}) ASSERT_TRUE(store->set(camera, std::nullopt).isOk());
    advanceTo(10);
    ASSERT_TRUE(store->set("door", "no_media").isOk());
    advanceTo(60);
    ASSERT_TRUE(store->beat().isOk());
    advanceTo(90);  // the node dies here, unseen: its last sign of life was 60
  }
  advanceTo(150);
  auto store = open();
  ASSERT_TRUE(store->start({"door", "yard", "shed"}).isOk());  // gate removed, shed new
  EXPECT_EQ(store->openOutage("door"), "node_down");
  EXPECT_EQ(store->openOutage("yard"), "node_down");
  EXPECT_EQ(store->openOutage("shed"), "connecting");
  advanceTo(155);
  ASSERT_TRUE(store->set("door", std::nullopt).isOk());  // streams again
  advanceTo(200);

  auto h = store->health("door", at(0), at(200));
  ASSERT_TRUE(h);
  ASSERT_EQ(h->outages.size(), 2u);
  EXPECT_EQ(h->outages[0], (Outage{at(10), at(60), "no_media", false}));
  EXPECT_EQ(h->outages[1], (Outage{at(60), at(155), "node_down", false}));
  EXPECT_EQ(h->countedSeconds, 200);
  EXPECT_EQ(h->onlineSeconds, 55);
  h = store->health("yard", at(0), at(200));
  ASSERT_TRUE(h);
  ASSERT_EQ(h->outages.size(), 1u);
  EXPECT_EQ(h->outages[0], (Outage{at(60), at(200), "node_down", true}));
  // Removed: counts until the last heartbeat of the run that had it.
  h = store->health("gate", at(0), at(200));
  ASSERT_TRUE(h);
  EXPECT_EQ(h->countedSeconds, 60);
  EXPECT_EQ(h->onlineRate, 1.0);
  // New: counts from its first start, connecting until its first frame.
  h = store->health("shed", at(0), at(200));
  ASSERT_TRUE(h);
  EXPECT_EQ(h->countedSeconds, 50);
  ASSERT_EQ(h->outages.size(), 1u);
  EXPECT_EQ(h->outages[0], (Outage{at(150), at(200), "connecting", true}));
}

// A long range of many outages: all of them count, the latest 1000 are
// listed and the rest counted as omitted; SQLite sums them up and reads
// only those listed (UPTIME.md invariant 16).
TEST_F(UptimeStoreTest, ALongRangeSumsUpEveryOutageAndListsTheLatestThousand) {
  auto store = open();
  ASSERT_TRUE(store->start({"door"}).isOk());
  ASSERT_TRUE(store->set("door", std::nullopt).isOk());
  {
    // 2500 outages of 2 s, every 4 s from 10 s, written behind the store's back in one transaction.
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((dir_ / "uptime.db").string().c_str(), &db), SQLITE_OK);
    std::string sql = "BEGIN;";
    for (int i = 0; i < 2500; ++i) {
      sql += "INSERT INTO outage (camera, start, end, reason) VALUES ('door', " +
             std::to_string(at(10 + 4 * i).unixMicros()) + ", " + std::to_string(at(12 + 4 * i).unixMicros()) +
             ", 'no_media');";
    }
    sql += "COMMIT;";
    EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
    sqlite3_close(db);
  }
  advanceTo(10010);
  ASSERT_TRUE(store->set("door", "auth_failed").isOk());
  advanceTo(10020);

  auto h = store->health("door", at(0), at(20000));
  ASSERT_TRUE(h) << h.status().toString();
  EXPECT_EQ(h->countedSeconds, 10020);
  EXPECT_EQ(h->onlineSeconds, 10020 - 2500 * 2 - 10);
  ASSERT_EQ(h->outages.size(), kMaxListedOutages);
  EXPECT_EQ(h->outagesOmitted, 2501 - 1000);
  EXPECT_EQ(h->outages.front(), (Outage{at(10 + 4 * 1501), at(12 + 4 * 1501), "no_media", false}));
  EXPECT_EQ(h->outages.back(), (Outage{at(10010), at(10020), "auth_failed", true}));

  // A range that begins inside an outage: that one is clipped, not lost.
  h = store->health("door", at(11), at(19));
  ASSERT_TRUE(h);
  EXPECT_EQ(h->countedSeconds, 8);
  EXPECT_EQ(h->onlineSeconds, 4);
  EXPECT_EQ(h->outagesOmitted, 0);
  EXPECT_EQ(h->outages, (std::vector<Outage>{{at(11), at(12), "no_media", false},
                                             {at(14), at(16), "no_media", false},
                                             {at(18), at(19), "no_media", false}}));
  // An open outage cut by the range's end is not ongoing there.
  h = store->health("door", at(10015), at(10018));
  ASSERT_TRUE(h);
  EXPECT_EQ(h->outages, (std::vector<Outage>{{at(10015), at(10018), "auth_failed", false}}));
  EXPECT_EQ(h->onlineRate, 0.0);
}

TEST_F(UptimeStoreTest, ARecorderStoppedCleanlyBeatsAtItsStopSoNothingIsLost) {
  std::vector<camera::CameraStatus> cameras{status(camera::CameraState::kConnecting)};
  {
    auto store = open();
    ASSERT_TRUE(store->start({"door"}).isOk());
    UptimeRecorder recorder(*store, [&] { return cameras; });
    ASSERT_TRUE(recorder.poll().isOk());  // its first session
    advanceTo(2);
    cameras[0] = status(camera::CameraState::kStreaming);
    ASSERT_TRUE(recorder.poll().isOk());
    advanceTo(30);
    cameras[0] = status(camera::CameraState::kRetrying, "unavailable: camera closed the connection");
    ASSERT_TRUE(recorder.poll().isOk());
    advanceTo(35);
    cameras[0] = status(camera::CameraState::kConnecting);
    ASSERT_TRUE(recorder.poll().isOk());
    advanceTo(37);
    cameras[0] = status(camera::CameraState::kStreaming);
    ASSERT_TRUE(recorder.poll().isOk());
    advanceTo(50);
    cameras[0] = status(camera::CameraState::kStopped);
    recorder.stop();  // records and beats at 50
  }
  advanceTo(80);
  auto store = open();
  ASSERT_TRUE(store->start({"door"}).isOk());
  advanceTo(83);
  cameras[0] = status(camera::CameraState::kConnecting);
  UptimeRecorder recorder(*store, [&] { return cameras; });
  ASSERT_TRUE(recorder.poll().isOk());
  advanceTo(84);
  cameras[0] = status(camera::CameraState::kStreaming);
  ASSERT_TRUE(recorder.poll().isOk());
  advanceTo(100);
  auto h = store->health("door", at(0), at(100));
  ASSERT_TRUE(h);
  ASSERT_EQ(h->outages.size(), 3u);
  EXPECT_EQ(h->outages[0], (Outage{at(0), at(2), "connecting", false}));
  EXPECT_EQ(h->outages[1], (Outage{at(30), at(37), "camera_unreachable", false}));
  EXPECT_EQ(h->outages[2], (Outage{at(50), at(84), "node_down", false}));
  EXPECT_EQ(h->onlineSeconds, 100 - 2 - 7 - 34);
}

TEST(RemoteHealthTest, OfflineStretchesAreOutagesAndWhatWasNotReportedDoesNotCount) {
  const std::vector<link::HealthTransition> history{{at(-10), true, "streaming"},
                                                    {at(20), false, "retrying"},
                                                    {at(30), true, "streaming"},
                                                    {at(50), std::nullopt, "unshared"},
                                                    {at(70), false, "retrying"}};
  const CameraHealth h = remoteCameraHealth(history, at(0), at(100), at(90));
  EXPECT_EQ(h.countedSeconds, 50 + 20);  // [0, 50) and [70, 90)
  EXPECT_EQ(h.onlineSeconds, 40);
  ASSERT_EQ(h.outages.size(), 2u);
  EXPECT_EQ(h.outages[0], (Outage{at(20), at(30), "offline", false}));
  EXPECT_EQ(h.outages[1], (Outage{at(70), at(90), "offline", true}));
}

}  // namespace
}  // namespace vigil::uptime

#include "app/node_register.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>

#include "access/crypto.h"
#include "access/sqlite_store.h"
#include "app/node_cameras.h"

namespace vigil::app {
namespace {

ConfiguredCamera camera(const std::string& id, const std::string& url) {
  ConfiguredCamera c;
  c.camera.id = id;
  c.camera.url = url;
  return c;
}

class NodeRegisterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("node_register_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    auto store = access::SqliteAccessStore::open((dir_ / "access.db").string());
    ASSERT_TRUE(store);
    store_ = std::move(*store);
    audit_ = std::make_unique<access::AuditLog>(*store_, clock_);
  }
  void TearDown() override {
    register_.reset();
    audit_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  // The node starting with `cameras` running; `disabled`: its cameras that do not run.
  NodeRegister& start(const std::vector<ConfiguredCamera>& cameras, const std::set<std::string>& disabled = {}) {
    register_.reset();
    auto isCamera = [&](const std::string& id) {
      return disabled.contains(id) ||
             std::any_of(cameras.begin(), cameras.end(), [&](const ConfiguredCamera& c) { return c.camera.id == id; });
    };
    auto opened = NodeRegister::open(dir_, {.id = "willow", .name = "Willow"}, cameras, isCamera, *audit_);
    EXPECT_TRUE(opened) << opened.status().message();
    register_ = std::move(*opened);
    return *register_;
  }
  bool listed(const std::string& camera) { return register_->store().listing(camera).has_value(); }
  // The register_change rows that unlisted a camera: "camera because client".
  std::vector<std::string> unlistings() {
    std::vector<std::string> out;
    auto rows = store_->auditRows(0, 1000);
    EXPECT_TRUE(rows);
    for (const access::AuditRow& r : *rows) {
      const auto detail = nlohmann::json::parse(r.detail);
      if (r.action == "register_change" && detail.contains("because")) {
        out.push_back(r.camera + " " + detail["because"].get<std::string>() + " " + r.client);
      }
    }
    return out;
  }

  std::filesystem::path dir_;
  ManualClock clock_{WallTime::fromUnixMicros(1'700'000'000'000'000)};
  std::unique_ptr<access::SqliteAccessStore> store_;
  std::unique_ptr<access::AuditLog> audit_;
  std::unique_ptr<NodeRegister> register_;
};

const public_register::Listing kSquare{"The village square", true};

// design/REGISTER.md: a camera of the config file taken out of it while
// the node is down, or pointed at another URL, leaves the register at the
// next start, as one changed from the API does; put back, it stays off
// until its owner lists it again. A disabled camera of the database (not
// running, still the node's) and one whose password changed keep theirs.
TEST_F(NodeRegisterTest, AFileCameraTakenOutOrMovedWhileTheNodeIsDownIsUnlistedAtTheNextStart) {
  const auto square = camera("square", "rtsp://cam-1/main");
  const auto lane = camera("lane", "rtsp://cam-2/main");
  const auto door = camera("door", "rtsp://admin:old@cam-3/main");
  const auto well = camera("well", "rtsp://cam-4/main");
  NodeRegister& first = start({square, lane, door, well});
  for (const char* id : {"square", "lane", "door", "well"}) ASSERT_TRUE(first.store().setListing(id, kSquare).isOk());

  start({camera("lane", "rtsp://cam-5/main"), camera("door", "rtsp://admin:new@cam-3/main")}, {"well"});
  EXPECT_FALSE(listed("square"));
  EXPECT_FALSE(listed("lane"));
  EXPECT_TRUE(listed("door"));
  EXPECT_TRUE(listed("well"));
  EXPECT_EQ(unlistings(), (std::vector<std::string>{"lane camera_new_view config", "square camera_removed config"}));

  start({square, camera("lane", "rtsp://cam-5/main"), door, well});
  EXPECT_FALSE(listed("square"));
  EXPECT_FALSE(listed("lane"));
  EXPECT_TRUE(listed("door"));
  EXPECT_TRUE(listed("well"));
  EXPECT_EQ(unlistings().size(), 2u);
}

// A camera re-pointed from the API is unlisted at once; listed again, it
// stays listed across a restart (the register keeps its new URLs).
TEST_F(NodeRegisterTest, ACameraMovedFromTheApiAndListedAgainStaysListedAcrossARestart) {
  NodeRegister& reg = start({camera("well", "rtsp://cam-1/main")});
  ASSERT_TRUE(reg.store().setListing("well", kSquare).isOk());
  const auto moved = camera("well", "rtsp://cam-2/main");
  ASSERT_TRUE(reg.cameraChanged({.id = "well", .camera = &moved, .newView = true}, {"admin", "10.0.0.7"}).isOk());
  EXPECT_FALSE(listed("well"));
  ASSERT_TRUE(reg.store().setListing("well", kSquare).isOk());
  start({moved});
  EXPECT_TRUE(listed("well"));
  EXPECT_EQ(unlistings(), (std::vector<std::string>{"well camera_new_view 10.0.0.7"}));
}

// Any change to a camera from the API (its masks, say) drops the picture
// the register keeps of it: the next one is taken anew.
TEST_F(NodeRegisterTest, ACameraChangedFromTheApiDropsItsKeptPicture) {
  const auto well = camera("well", "rtsp://cam-1/main");
  NodeRegister& reg = start({well});
  const auto since = WallTime::fromUnixMicros(1'700'000'000'000'000);
  ASSERT_TRUE(reg.pictures()->keep("well", "a jpeg", since, std::chrono::steady_clock::now(),
                                   reg.pictures()->changes("well")));
  ASSERT_EQ(reg.pictures()->last("well"), "a jpeg");
  auto masked = well;
  masked.detect.masks.push_back({});
  ASSERT_TRUE(reg.cameraChanged({.id = "well", .camera = &masked, .newView = false}, {"admin", "10.0.0.7"}).isOk());
  EXPECT_EQ(reg.pictures()->last("well"), std::nullopt);
}

// A camera given masks restarts the node in place; until then its stream
// has the old masks (or none): a picture taken meanwhile is neither kept
// nor shown.
TEST_F(NodeRegisterTest, ACameraGivenMasksKeepsNoNewPictureUntilTheRestart) {
  const auto well = camera("well", "rtsp://cam-1/main");
  NodeRegister& reg = start({well});
  const auto since = WallTime::fromUnixMicros(1'700'000'000'000'000);
  auto masked = well;
  masked.detect.masks.push_back({});
  ASSERT_TRUE(reg.cameraChanged({.id = "well", .camera = &masked, .newView = false}, {"admin", "10.0.0.7"}).isOk());
  // Taken after the change, from the stream that still runs under the old masks.
  EXPECT_FALSE(reg.pictures()->keep("well", "unmasked", since, std::chrono::steady_clock::now(),
                                    reg.pictures()->changes("well")));
  EXPECT_EQ(reg.pictures()->last("well"), std::nullopt);
  // The masks changed from the detection settings (runServe) hold it the same way.
  reg.pictures()->hold("lane");
  EXPECT_FALSE(reg.pictures()->keep("lane", "unmasked", since, std::chrono::steady_clock::now(),
                                    reg.pictures()->changes("lane")));
  // Another camera is not held.
  EXPECT_TRUE(reg.pictures()->keep("door", "a jpeg", since, std::chrono::steady_clock::now(),
                                   reg.pictures()->changes("door")));
}

// design/REGISTER.md, invariant 13 (attack F3): what register.db keeps of
// a camera's URLs is a keyed digest (under the node key), never a plain
// SHA-256 of them, which would let anyone with the database alone try
// guesses at a token in their query. The same URLs after a restart are the
// same view; a view kept plain by an earlier version is taken over when the
// URLs still give it, and is a move when they do not.
TEST_F(NodeRegisterTest, ACamerasUrlsAreKeptAsAKeyedDigestAndAPlainOneIsTakenOver) {
  const auto square = camera("square", "rtsp://cam-1/main?token=s3cret");
  const std::string plain = access::sha256Hex("rtsp://cam-1/main?token=s3cret\n");
  NodeRegister& first = start({square});
  ASSERT_TRUE(first.store().setListing("square", kSquare).isOk());
  auto views = first.store().views();
  ASSERT_TRUE(views);
  const std::string keyed = views->at("square");
  EXPECT_NE(keyed, plain);
  EXPECT_EQ(keyed.find(plain), std::string::npos);
  start({square});
  EXPECT_TRUE(listed("square"));
  EXPECT_EQ(register_->store().views()->at("square"), keyed);

  // As an earlier version kept them: the square unmoved, the lane moved while the node was down.
  const auto lane = camera("lane", "rtsp://cam-2/main?token=t0ken");
  ASSERT_TRUE(register_->store().setView("square", plain).isOk());
  ASSERT_TRUE(register_->store().setView("lane", access::sha256Hex("rtsp://cam-9/main?token=t0ken\n")).isOk());
  ASSERT_TRUE(register_->store().setListing("lane", kSquare).isOk());
  start({square, lane});
  EXPECT_TRUE(listed("square"));
  EXPECT_FALSE(listed("lane"));
  EXPECT_EQ(unlistings(), (std::vector<std::string>{"lane camera_new_view config"}));
  views = register_->store().views();
  EXPECT_EQ(views->at("square"), keyed);
  EXPECT_NE(views->at("lane").find("hmac-sha256:"), std::string::npos);
}

}  // namespace
}  // namespace vigil::app

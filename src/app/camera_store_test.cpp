// design/CAMERAS.md, invariants 1-3: a camera table from the API is read
// by the config's own reader; credentials are sealed at rest under the
// node key, whose file is 0600; the API's view never holds them.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "access/node_key.h"
#include "app/camera_json.h"
#include "app/camera_store.h"
#include "app/node_cameras.h"

namespace vigil::app {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

constexpr const char* kPassword = "Sekr1t-p4ss-W0rd";
constexpr const char* kOnvifPassword = "Onv1f-Ptz-S3cret";

class CameraStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static int counter = 0;
    dir_ = fs::temp_directory_path() / ("vigil-camera-store-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  access::SecretBox box(const std::string& keyFile = "node.key") {
    auto key = access::NodeKey::loadOrCreate(dir_ / keyFile);
    EXPECT_TRUE(key) << key.status().toString();
    return access::SecretBox(*key, "camera-secrets");
  }
  // Every byte SQLite wrote: the database and its write-ahead log.
  std::string databaseBytes() const {
    std::string all;
    for (const char* name : {"cameras.db", "cameras.db-wal"}) {
      std::ifstream in(dir_ / name, std::ios::binary);
      std::ostringstream bytes;
      bytes << in.rdbuf();
      all += bytes.str();
    }
    return all;
  }

  fs::path dir_;
};

TEST_F(CameraStoreTest, CredentialsAreSealedAtRestAndOpenAgain) {
  const json table = {{"id", "gate"},
                      {"name", "Front gate"},
                      {"url", std::string("rtsp://admin:") + kPassword + "@10.0.0.7/stream1"},
                      {"username", "admin"},
                      {"password", kPassword},
                      {"onvif", "http://10.0.0.7/onvif/device_service"},
                      {"onvif_username", "ptz-operator"},
                      {"onvif_password", kOnvifPassword},
                      {"record", "continuous"}};
  {
    auto store = CameraStore::open((dir_ / "cameras.db").string(), box());
    ASSERT_TRUE(store) << store.status().toString();
    ASSERT_TRUE((*store)->put({.id = "gate", .table = table, .enabled = true}).isOk());
  }
  const std::string bytes = databaseBytes();
  ASSERT_FALSE(bytes.empty());
  EXPECT_EQ(bytes.find(kPassword), std::string::npos) << "the password is in the database file";
  EXPECT_EQ(bytes.find(kOnvifPassword), std::string::npos) << "the ONVIF password is in the database file";
  EXPECT_EQ(bytes.find("ptz-operator"), std::string::npos) << "the ONVIF user is in clear";
  EXPECT_EQ(bytes.find("10.0.0.7"), std::string::npos) << "the URL (with its credentials) is in clear";
  EXPECT_NE(bytes.find("Front gate"), std::string::npos) << "the name is kept in clear";

  auto store = CameraStore::open((dir_ / "cameras.db").string(), box());
  ASSERT_TRUE(store);
  auto read = (*store)->get("gate");
  ASSERT_TRUE(read) << read.status().toString();
  EXPECT_EQ(read->table, table);
  EXPECT_TRUE(read->enabled);
}

TEST_F(CameraStoreTest, AnotherNodesKeyDoesNotOpenThem) {
  {
    auto store = CameraStore::open((dir_ / "cameras.db").string(), box());
    ASSERT_TRUE(store);
    ASSERT_TRUE((*store)->put({.id = "gate", .table = {{"id", "gate"}, {"password", kPassword}}}).isOk());
  }
  auto store = CameraStore::open((dir_ / "cameras.db").string(), box("other.key"));
  ASSERT_TRUE(store);
  auto read = (*store)->get("gate");
  ASSERT_FALSE(read);
  EXPECT_EQ(read.status().code(), StatusCode::kDataLoss);
}

TEST_F(CameraStoreTest, TheKeyFileIsMadeOnFirstUseWithMode0600) {
  auto cameras = NodeCameras::open(dir_.string(), {}, "vigil.toml");
  ASSERT_TRUE(cameras) << cameras.status().toString();
  struct stat st {};
  ASSERT_EQ(::stat((dir_ / "node.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  // A key others may read is refused rather than used.
  cameras->reset();
  fs::permissions(dir_ / "node.key", fs::perms::others_read, fs::perm_options::add);
  auto again = NodeCameras::open(dir_.string(), {}, "vigil.toml");
  ASSERT_FALSE(again);
  EXPECT_EQ(again.status().code(), StatusCode::kPermissionDenied);
}

TEST_F(CameraStoreTest, RemoveForgetsTheRow) {
  auto store = CameraStore::open((dir_ / "cameras.db").string(), box());
  ASSERT_TRUE(store);
  ASSERT_TRUE((*store)->put({.id = "gate", .table = {{"id", "gate"}}}).isOk());
  ASSERT_TRUE((*store)->remove("gate").isOk());
  EXPECT_EQ((*store)->remove("gate").code(), StatusCode::kNotFound);
  auto all = (*store)->list();
  ASSERT_TRUE(all);
  EXPECT_TRUE(all->empty());
}

TEST(CameraJsonTest, ReadByTheConfigsOwnReaderWithItsMessages) {
  auto ok = readCameraJson({{"id", "gate"},
                            {"url", "rtsp://10.0.0.7/stream1"},
                            {"sub_url", "rtsp://10.0.0.7/stream2"},
                            {"record", "events"},
                            {"retain_days", 7},
                            {"detect", json::array({"person"})},
                            {"zone", json::array({{{"name", "path"}, {"polygon", {{0, 0}, {1, 0}, {0.5, 1}}}}})}});
  ASSERT_TRUE(ok) << ok.status().toString();
  EXPECT_EQ(ok->camera.id, "gate");
  EXPECT_EQ(ok->camera.name, "gate");
  EXPECT_EQ(ok->camera.subUrl, "rtsp://10.0.0.7/stream2");
  EXPECT_EQ(ok->recording.record, storage::RecordMode::kEvents);
  EXPECT_EQ(ok->recording.retainDays, 7);
  EXPECT_TRUE(ok->detect.enabled());

  auto bad = readCameraJson({{"id", "gate"}, {"url", "http://10.0.0.7/"}});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.status().message(), "url: must be an rtsp:// URL");
  auto unknown = readCameraJson({{"id", "gate"}, {"url", "rtsp://h/"}, {"colour", "red"}});
  ASSERT_FALSE(unknown);
  EXPECT_TRUE(unknown.status().message().starts_with("colour: unknown key")) << unknown.status().message();
  auto missing = readCameraJson({{"url", "rtsp://h/"}});
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.status().message(), "id: is required");
  auto wrongType = readCameraJson({{"id", "gate"}, {"url", "rtsp://h/"}, {"retain_days", "seven"}});
  ASSERT_FALSE(wrongType);
  EXPECT_TRUE(wrongType.status().message().starts_with("retain_days:")) << wrongType.status().message();
  auto null = readCameraJson({{"id", "gate"}, {"url", nullptr}});
  ASSERT_FALSE(null);
  EXPECT_EQ(null.status().message(), "url: must not be null");
  // A string that would end the TOML string and add a key stays one value.
  auto injected = readCameraJson({{"id", "gate"}, {"url", "rtsp://h/\"\nrecord = \"off"}});
  ASSERT_TRUE(injected) << injected.status().toString();
  EXPECT_EQ(injected->recording.record, storage::RecordMode::kContinuous);
}

TEST(CameraJsonTest, TheApiViewHoldsNoCredential) {
  const json shown = publicCameraTable({{"id", "gate"},
                                        {"url", std::string("rtsp://admin:") + kPassword + "@10.0.0.7/s"},
                                        {"username", "admin"},
                                        {"password", kPassword},
                                        {"onvif", "http://10.0.0.7/onvif/device_service"},
                                        {"onvif_username", "operator"},
                                        {"onvif_password", kOnvifPassword}});
  EXPECT_EQ(shown.dump().find(kPassword), std::string::npos) << shown.dump();
  EXPECT_EQ(shown.dump().find(kOnvifPassword), std::string::npos) << shown.dump();
  EXPECT_TRUE(shown["has_password"].get<bool>());
  EXPECT_EQ(shown["url"], "rtsp://admin:***@10.0.0.7/s");
  EXPECT_EQ(shown["username"], "admin");
  EXPECT_EQ(shown["onvif"], "http://10.0.0.7/onvif/device_service");
  EXPECT_EQ(shown["onvif_username"], "operator");
  EXPECT_TRUE(shown.value("has_onvif_password", false)) << "the ONVIF password is said to be set";
  EXPECT_FALSE(publicCameraTable({{"id", "gate"}, {"url", "rtsp://10.0.0.7/s"}})["has_password"].get<bool>());
  // Each password says its own: the device's is not the camera's.
  const json onvifOnly = publicCameraTable({{"id", "gate"}, {"url", "rtsp://10.0.0.7/s"}, {"onvif_password", "x"}});
  EXPECT_FALSE(onvifOnly.value("has_password", true));
  EXPECT_TRUE(onvifOnly.value("has_onvif_password", false));
}

// The ONVIF device of a camera from the API (design/CAMERAS.md, "Adding a
// camera found on the network"): its address and its own login.
TEST(CameraJsonTest, TakesTheOnvifDeviceWithItsOwnLogin) {
  onvif::CameraOnvifConfig device;
  auto camera = readCameraJson({{"id", "gate"},
                                {"url", "rtsp://10.0.0.7/s"},
                                {"username", "viewer"},
                                {"password", "rtsp-only"},
                                {"onvif", "http://10.0.0.7:8080/onvif/device_service"},
                                {"onvif_username", "admin"},
                                {"onvif_password", kOnvifPassword}},
                               &device);
  ASSERT_TRUE(camera) << camera.status().toString();
  EXPECT_EQ(device.deviceUrl, "http://10.0.0.7:8080/onvif/device_service");
  const onvif::Credentials login = device.login(camera->camera.username, camera->camera.password);
  EXPECT_EQ(login.user, "admin");
  EXPECT_EQ(login.password, kOnvifPassword);
  // Without a login of its own, the device is reached with the camera's (as the file's are).
  onvif::CameraOnvifConfig shared;
  camera = readCameraJson({{"id", "gate"}, {"url", "rtsp://10.0.0.7/s"}, {"username", "viewer"},
                           {"password", "rtsp-only"}, {"onvif", "http://[fe80::1]/onvif/device_service"}},
                          &shared);
  ASSERT_TRUE(camera) << camera.status().toString();
  EXPECT_EQ(shared.login(camera->camera.username, camera->camera.password).password, "rtsp-only");
  // None: no device.
  onvif::CameraOnvifConfig none;
  ASSERT_TRUE(readCameraJson({{"id", "gate"}, {"url", "rtsp://10.0.0.7/s"}}, &none));
  EXPECT_TRUE(none.deviceUrl.empty());
}

TEST(CameraJsonTest, RefusesBadOnvifAddressesInWords) {
  const std::pair<json, std::string> cases[] = {
      {"rtsp://10.0.0.7/onvif", "onvif: must be an http:// URL"},
      {"https://10.0.0.7/onvif/device_service", "onvif: must be an http:// URL (https:// is not supported yet)"},
      {"10.0.0.7", "onvif: must be an http:// URL"},
      {"", "onvif: must be an http:// URL"},
      {"http:///onvif/device_service", "onvif: has no host"},
      {"http://10.0.0.7:99999/onvif", "onvif: has a bad port"},
      {"http://10.0.0.7:/onvif", "onvif: has a bad port"},
      {"http://admin:pw@10.0.0.7/onvif", "onvif: must not hold a user or password: give them apart"},
      {"http://10.0.0.7/onvif\r\nHost: x", "onvif: must have no space or control character"},
      {"http://10.0.0.7/onvif/device service", "onvif: must have no space or control character"},
      {"http://[fe80::1/onvif", "onvif: has a bad IPv6 address"},
      {42, "onvif: must be a string"},
  };
  for (const auto& [address, message] : cases) {
    auto bad = readCameraJson({{"id", "gate"}, {"url", "rtsp://10.0.0.7/s"}, {"onvif", address}});
    ASSERT_FALSE(bad) << address;
    EXPECT_EQ(bad.status().message(), message) << address;
  }
  auto alone = readCameraJson({{"id", "gate"}, {"url", "rtsp://10.0.0.7/s"}, {"onvif_password", "x"}});
  ASSERT_FALSE(alone);
  EXPECT_EQ(alone.status().message(), "onvif_password: needs onvif, the device's address");
}

TEST(CameraJsonTest, CredentialsInTheUrlMoveToTheirKeys) {
  json table = {{"id", "gate"}, {"url", "rtsp://admin:p%40ss@10.0.0.7/a"}, {"sub_url", "rtsp://admin:p%40ss@10.0.0.7/b"}};
  moveUrlCredentials(table);
  EXPECT_EQ(table["url"], "rtsp://10.0.0.7/a");
  EXPECT_EQ(table["sub_url"], "rtsp://10.0.0.7/b");
  EXPECT_EQ(table["username"], "admin");
  EXPECT_EQ(table["password"], "p@ss");
}

// CAMERAS inv 13: an admin may not read a camera's passwords, so a PUT
// that leaves one out keeps it only for the hosts it was given for: one
// that points the camera (or its ONVIF device) at another host must give
// it again, or a server there would be sent it (RTSP Basic in clear, a
// WS-Security digest to crack).
TEST(CameraJsonTest, APasswordLeftOutIsKeptOnlyForTheHostsItWasGivenFor) {
  const json stored = {{"id", "porch"},
                       {"url", "rtsp://10.0.0.7:554/main"},
                       {"sub_url", "rtsp://10.0.0.7:554/sub"},
                       {"username", "viewer"},
                       {"password", kPassword},
                       {"onvif", "http://10.0.0.7/onvif/device_service"},
                       {"onvif_username", "operator"},
                       {"onvif_password", kOnvifPassword}};
  auto edit = [&](json changes) {
    json sent = publicCameraTable(stored);  // as the edit form sends it back
    for (const char* shown : {"has_password", "has_onvif_password"}) sent.erase(shown);
    for (auto& [key, value] : changes.items()) {
      if (value.is_null()) {
        sent.erase(key);
      } else {
        sent[key] = value;
      }
    }
    Status s = keepStoredSecrets(stored, sent);
    return s.isOk() ? Result<json>(sent) : Result<json>(s);
  };
  // Same hosts (another path, another port): kept.
  auto same = edit({{"name", "Porch"}, {"url", "rtsp://10.0.0.7:8554/other"}, {"onvif", "http://10.0.0.7:80/onvif"}});
  ASSERT_TRUE(same) << same.status().toString();
  EXPECT_EQ((*same)["password"], kPassword);
  EXPECT_EQ((*same)["onvif_password"], kOnvifPassword);
  // The device taken out: its login goes with it, nothing refused.
  auto noDevice = edit({{"onvif", nullptr}, {"onvif_username", nullptr}});
  ASSERT_TRUE(noDevice) << noDevice.status().toString();
  EXPECT_FALSE(noDevice->contains("onvif_password"));
  EXPECT_EQ((*noDevice)["password"], kPassword);

  // The stream or the sub stream elsewhere: the camera's password again.
  for (const char* key : {"url", "sub_url"}) {
    auto moved = edit({{key, "rtsp://10.66.6.6/s"}});
    ASSERT_FALSE(moved) << key;
    EXPECT_EQ(moved.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(moved.status().message(),
              "password: give it again for the new address (host 10.66.6.6): a password left out is kept only for "
              "the hosts it was given for");
    EXPECT_TRUE(edit({{key, "rtsp://10.66.6.6/s"}, {"password", "typed again"}}));
  }
  // The device elsewhere: its own password again (the camera's is not
  // sent there while the device has its own).
  auto device = edit({{"onvif", "http://attacker.example:8080/onvif/device_service"}});
  ASSERT_FALSE(device);
  EXPECT_EQ(device.status().message().substr(0, 64),
            "onvif_password: give it again for the new address (host attacker");
  auto retyped = edit({{"onvif", "http://attacker.example/onvif"}, {"onvif_password", "typed again"}});
  ASSERT_TRUE(retyped) << retyped.status().toString();
  EXPECT_EQ((*retyped)["password"], kPassword);
  // A device without a password of its own is reached with the camera's:
  // moved elsewhere, that one is asked again.
  json noOwn = stored;
  noOwn.erase("onvif_username");
  noOwn.erase("onvif_password");
  json sent = noOwn;
  sent.erase("password");
  sent["onvif"] = "http://[fd00::66]:8080/onvif";
  Status refused = keepStoredSecrets(noOwn, sent);
  EXPECT_EQ(refused.code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(refused.message().starts_with("password: give it again for the new address (host [fd00::66])"))
      << refused.toString();
  // A camera with no password has none to send anywhere.
  json open = {{"id", "porch"}, {"url", "rtsp://10.0.0.7/main"}};
  json elsewhere = {{"id", "porch"}, {"url", "rtsp://10.66.6.6/main"}};
  EXPECT_TRUE(keepStoredSecrets(open, elsewhere).isOk());
}

}  // namespace
}  // namespace vigil::app

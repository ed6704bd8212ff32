// The one gate: every registered route, called without a session and with
// each role, answers 401 / 403 exactly as its declared access rule says.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <tuple>

#include "access/crypto.h"
#include "access/sqlite_store.h"
#include "http/access_routes.h"
#include "http/alarm_routes.h"
#include "http/broadcast_routes.h"
#include "http/camera_health_routes.h"
#include "http/camera_routes.h"
#include "http/detection_event_routes.h"
#include "http/detection_settings_routes.h"
#include "http/device_routes.h"
#include "http/event_routes.h"
#include "http/link_routes.h"
#include "http/live_routes.h"
#include "http/metrics_routes.h"
#include "http/overview_routes.h"
#include "http/recording_routes.h"
#include "http/register_routes.h"
#include "http/server.h"
#include "http/share_routes.h"
#include "storage/store.h"

namespace vigil::http {
namespace {

class RoutesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("vigil-routes-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    auto store = access::SqliteAccessStore::open((dir_ / "access.db").string());
    ASSERT_TRUE(store);
    store_ = std::move(*store);
    audit_ = std::make_unique<access::AuditLog>(*store_, clock_);
    // Many logins while the manual clock stands still: no node-wide ceiling.
    access::AccountsOptions accountsOptions;
    accountsOptions.throttle.checksPerSecond = 1000;
    accounts_ = std::make_unique<access::Accounts>(*store_, *audit_, clock_, accountsOptions);
    HttpServerOptions options;
    options.accounts = accounts_.get();
    options.cameraExists = [](std::string_view id) { return id == "gate" || id == "yard"; };
    options.hosts = {"vigil.test"};
    server_ = std::make_unique<HttpServer>(loops_, options);
    addCameraRoutes(*server_, "test", [] {
      std::vector<camera::CameraStatus> cams(2);
      cams[0].id = "gate";
      cams[1].id = "yard";
      cams[1].state = camera::CameraState::kRetrying;
      cams[1].reason = "unauthenticated: camera keeps answering 401 to DESCRIBE";
      cams[1].reasonCode = camera::ReasonCode::kWrongPassword;
      cams[1].since = WallTime::fromUnixMicros(1'700'000'000'000'000);
      return cams;
    });
    addAccessRoutes(*server_, *accounts_, *audit_, {.id = "village1", .tier = Tier::kVillage});
    access::DevicePairingOptions pairingOptions;
    pairingOptions.tally.background = false;
    pairing_ = std::make_unique<access::DevicePairing>(*accounts_, *audit_, clock_, pairingOptions);
    addDeviceRoutes(*server_, *accounts_, *pairing_, {.id = "village1", .tier = Tier::kVillage});
    addEventRoutes(
        *server_,
        [this](const std::string& camera, bool open) {
          if (camera != "gate") return Status::failedPrecondition("camera \"" + camera + "\" is not recorded in events mode");
          events_.emplace_back(camera, open);
          return Status::ok();
        },
        *audit_);
    auto media = storage::Store::open({.dataDir = (dir_ / "data").string()});
    ASSERT_TRUE(media);
    store_media_ = std::move(*media);
    addRecordingRoutes(*server_, {.store = store_media_.get(), .audit = audit_.get()});
    addLiveRoutes(*server_, {.live = &live_, .audit = audit_.get(), .loops = &loops_});
    shares_ = std::make_unique<access::CameraShares>(*store_, *audit_, clock_);
    addShareRoutes(*server_, *shares_);
    auto uptime = uptime::UptimeStore::open((dir_ / "uptime.db").string(), clock_);
    ASSERT_TRUE(uptime);
    uptime_ = std::move(*uptime);
    ASSERT_TRUE(uptime_->start({"gate", "yard"}).isOk());
    addCameraHealthRoutes(*server_, {.local = [](std::string_view) { return true; }, .uptime = uptime_.get()});
    addMetricsRoute(*server_, {.cameras = [] { return std::vector<camera::CameraStatus>{}; },
                               .live = &live_,
                               .store = store_media_.get(),
                               .uptime = uptime_.get()});
    auto key = access::NodeKey::loadOrCreate(dir_ / "node.key");
    ASSERT_TRUE(key);
    nodeKey_ = std::make_unique<access::NodeKey>(*key);
    auto linkStore = link::LinkStore::open((dir_ / "link.db").string());
    ASSERT_TRUE(linkStore);
    linkStore_ = std::move(*linkStore);
    enrolment_ = std::make_unique<link::Enrolment>(
        *linkStore_, *nodeKey_, link::NodeIdentity{"village-1", "Village", Tier::kVillage, nodeKey_->publicKey()}, clock_,
        *audit_);
    children_ = std::make_unique<link::ChildLinks>(*linkStore_, *nodeKey_, clock_);
    // Joining a parent: only its gate is tested here (tests/link_test.py joins real nodes).
    addLinkRoutes(*server_, {.enrolment = enrolment_.get(),
                             .children = children_.get(),
                             .store = linkStore_.get(),
                             .parent = {},
                             .joinParent = [](const access::Actor&, const std::string&,
                                              const std::string&) -> Result<link::ParentRecord> {
                               return Status::failedPrecondition("no parent in this test");
                             }});
    // The overview of a node without a link: its own row and cameras (tests/overview_test.py links real nodes).
    addOverviewRoutes(*server_, {.node = {.id = "village-1", .name = "=Li, \"east\" village", .tier = Tier::kVillage},
                                 .own = [] { return link::HealthSummary{.camerasTotal = 2, .camerasOnline = 1}; },
                                 .cameras = [] {
                                   return std::vector<OverviewCamera>{{.id = "gate", .name = "Gate", .online = true}};
                                 }});
    auto outbox = link::Outbox::open((dir_ / "outbox.db").string(), bus_);
    ASSERT_TRUE(outbox);
    outbox_ = std::move(*outbox);
    auto alarmStore = alarm::AlarmStore::open((dir_ / "alarms.db").string());
    ASSERT_TRUE(alarmStore);
    alarmStore_ = std::move(*alarmStore);
    alarms_ = std::make_unique<alarm::Alarms>(alarm::AlarmsContext{
        .store = alarmStore_.get(), .outbox = outbox_.get(), .bus = &bus_, .clock = &clock_, .selfId = "village-1"});
    addAlarmRoutes(*server_, {.alarms = alarms_.get(),
                              .audit = audit_.get(),
                              .cameraExists = [](std::string_view) { return true; }});
    auto noticeStore = alarm::NoticeStore::open((dir_ / "notices.db").string());
    ASSERT_TRUE(noticeStore);
    noticeStore_ = std::move(*noticeStore);
    notices_ = std::make_unique<alarm::Notices>(alarm::NoticesContext{
        .store = noticeStore_.get(), .outbox = outbox_.get(), .clock = &clock_, .selfId = "village-1",
        .selfTier = Tier::kVillage});
    addBroadcastRoutes(*server_, *notices_, *audit_);
    auto eventStore = detect::EventStore::open((dir_ / "events.db").string());
    ASSERT_TRUE(eventStore);
    eventStore_ = std::move(*eventStore);
    addDetectionEventRoutes(*server_, {.store = eventStore_.get(), .audit = audit_.get(), .clipRoll = [](const std::string& camera) {
                                         return camera == "gate" ? ClipRoll{std::chrono::seconds(3), std::chrono::seconds(7)}
                                                                 : ClipRoll{};
                                       }});
    addDetectionSettingsRoutes(
        *server_, {.get = [](const std::string& camera) -> Result<DetectionSettingsRoutesContext::Current> {
                     if (camera != "gate") return Status::notFound("no camera");
                     return DetectionSettingsRoutesContext::Current{};
                   },
                   .set = [](const std::string&, const std::optional<detect::CameraDetectConfig>&) { return Status::ok(); },
                   .audit = audit_.get()});
    auto registerStore = public_register::RegisterStore::open((dir_ / "register.db").string());
    ASSERT_TRUE(registerStore);
    registerStore_ = std::move(*registerStore);
    addRegisterRoutes(
        *server_, {.store = registerStore_.get(),
                   .audit = audit_.get(),
                   .nodeName = "Willow village",
                   .tier = Tier::kVillage,
                   .cameras = [] {
                     std::vector<camera::CameraStatus> cams(2);
                     cams[0].id = "gate";
                     cams[0].state = camera::CameraState::kStreaming;
                     cams[1].id = "yard";
                     return cams;
                   },
                   .listing = [this](const std::string& camera) -> std::optional<link::PublicListing> {
                     auto l = registerStore_->listing(camera);
                     if (!l) return std::nullopt;
                     return link::PublicListing{l->covers, "Willow village", 30, 4};
                   },
                   .rights = [this](const std::string& camera) { return shares_->rightsNow(camera, false); },
                   .below = {},
                   .pictures = [this](const std::string& camera) -> Result<std::shared_ptr<media::LiveStream>> {
                     return live_.stream(camera);
                   },
                   .rate = {.window = std::chrono::seconds(3600), .perAddress = 5, .perNode = 100}});
    for (const auto& [name, role] : {std::pair{"adm", access::Role::kAdmin}, std::pair{"opr", access::Role::kOperator},
                                     std::pair{"vwr", access::Role::kViewer}}) {
      ASSERT_TRUE(accounts_->addUser({"", "test"}, name, role, "password for tests", {"gate"}).isOk());
      names_[role] = name;
      tokens_[role] = freshToken(role);
    }
  }
  // A new session, for calls that may end the one they use (logout).
  std::string freshToken(access::Role role) {
    auto login = accounts_->login(names_[role], "password for tests", "127.0.0.1");
    EXPECT_TRUE(login);
    return login ? login->token : "";
  }
  void TearDown() override {
    server_.reset();
    store_media_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  // A request for `route`; a pattern's {id} becomes a camera the viewer
  // may see, any other {name} "x", so a route with parameters is reached
  // past its access check like any other.
  Request request(const RouteInfo& route, std::string_view token = {}) {
    Request req;
    req.method = route.method;
    req.path = std::regex_replace(std::regex_replace(route.path, std::regex("\\{id\\}"), "gate"),
                                  std::regex("\\{[^}/]+\\}"), "x");
    req.remoteAddress = "127.0.0.1";
    req.headers["host"] = "vigil.test";
    if (!token.empty()) req.headers["authorization"] = "Bearer " + std::string(token);
    return req;
  }

  std::filesystem::path dir_;
  ManualClock clock_{WallTime::fromUnixMicros(1'700'000'000'000'000)};
  EventLoopPool loops_{1};
  std::unique_ptr<access::SqliteAccessStore> store_;
  std::unique_ptr<access::AuditLog> audit_;
  std::unique_ptr<access::Accounts> accounts_;
  std::unique_ptr<access::CameraShares> shares_;
  std::unique_ptr<access::DevicePairing> pairing_;
  media::LiveRegistry live_;
  std::unique_ptr<storage::Store> store_media_;
  std::unique_ptr<uptime::UptimeStore> uptime_;
  std::unique_ptr<access::NodeKey> nodeKey_;
  std::unique_ptr<link::LinkStore> linkStore_;
  std::unique_ptr<link::Enrolment> enrolment_;
  std::unique_ptr<link::ChildLinks> children_;
  link::Bus bus_;
  std::unique_ptr<link::Outbox> outbox_;
  std::unique_ptr<alarm::AlarmStore> alarmStore_;
  std::unique_ptr<alarm::Alarms> alarms_;
  std::unique_ptr<alarm::NoticeStore> noticeStore_;
  std::unique_ptr<alarm::Notices> notices_;
  std::unique_ptr<detect::EventStore> eventStore_;
  std::unique_ptr<public_register::RegisterStore> registerStore_;
  std::unique_ptr<HttpServer> server_;
  std::map<access::Role, std::string> names_;
  std::map<access::Role, std::string> tokens_;
  std::vector<std::pair<std::string, bool>> events_;  // what the event routes asked for
};

// The public register's two routes are the one exception (DECISIONS.md 88):
// they answer only once an admin opened it (RegisterRoutesTest below).
TEST_F(RoutesTest, OnlyTheShellHealthLoginAndThePublicRegisterArePublic) {
  std::set<std::string> publicRoutes;
  for (const RouteInfo& r : server_->routes()) {
    if (r.access == Access::kPublic) publicRoutes.insert(r.method + " " + r.path);
  }
  // A TV asks for a pairing code and for its session without one (device_routes.h).
  EXPECT_EQ(publicRoutes, (std::set<std::string>{"GET /", "GET /healthz", "POST /api/v1/login", "POST /api/v1/devices/pair",
                                                 "POST /api/v1/devices/pair/wait", "GET /api/v1/register",
                                                 "GET /api/v1/register/cameras/{id}/snapshot.jpg"}));
}

// Device sessions (design/AUDIT.md "Device sessions for a TV"): a TV
// asks for a code without a session, a logged-in user confirms it, the TV
// gets a cookie that outlives the browser once; the code alone and a
// wrong secret get nothing; a revoked device session is 401 at once.
TEST_F(RoutesTest, ATvPairsByACodeAndGetsADeviceSessionCookieOnce) {
  auto call = [&](const std::string& method, const std::string& path, const std::string& body, const std::string& token) {
    Request req = request({method, path, Access::kPublic}, token);
    req.remoteAddress = token.empty() ? "10.0.0.7" : "10.0.0.8";
    req.headers["user-agent"] = "TV browser";
    req.body = body;
    return server_->handle(req);
  };
  Response started = call("POST", "/api/v1/devices/pair", "", "");
  ASSERT_EQ(started.status, 201) << started.body;
  const auto pairing = nlohmann::json::parse(started.body);
  const std::string code = pairing["code"];
  const std::string wait = nlohmann::json{{"pairing", pairing["pairing"]}}.dump();
  EXPECT_EQ(nlohmann::json::parse(call("POST", "/api/v1/devices/pair/wait", wait, "").body)["state"], "waiting");
  EXPECT_EQ(call("POST", "/api/v1/devices/pair/wait", R"({"pairing":"x"})", "").status, 400);
  EXPECT_EQ(call("POST", "/api/v1/devices/pair/wait", nlohmann::json{{"pairing", std::string(64, '0')}}.dump(), "").status, 404);
  // Confirming takes a session.
  EXPECT_EQ(call("POST", "/api/v1/devices", nlohmann::json{{"code", code}, {"name", "TV"}}.dump(), "").status, 401);
  const std::string viewer = tokens_[access::Role::kViewer];
  EXPECT_EQ(call("POST", "/api/v1/devices", R"({"code":"BBBB-BBBB","name":"TV","x":1})", viewer).status, 400);
  Response confirmed = call("POST", "/api/v1/devices", nlohmann::json{{"code", code}, {"name", "Living-room TV"}}.dump(), viewer);
  ASSERT_EQ(confirmed.status, 201) << confirmed.body;
  const auto device = nlohmann::json::parse(confirmed.body);
  EXPECT_EQ(device["device"], "Living-room TV");
  EXPECT_EQ(device["user"], "vwr");
  EXPECT_EQ(device["client"], "10.0.0.7");
  EXPECT_EQ(call("POST", "/api/v1/devices", nlohmann::json{{"code", code}, {"name", "TV"}}.dump(), viewer).status, 409);

  Response paired = call("POST", "/api/v1/devices/pair/wait", wait, "");
  ASSERT_EQ(paired.status, 200) << paired.body;
  EXPECT_EQ(nlohmann::json::parse(paired.body)["state"], "paired");
  EXPECT_EQ(nlohmann::json::parse(paired.body)["device"], "Living-room TV");
  std::string cookie;
  for (const auto& [name, value] : paired.headers) {
    if (name == "Set-Cookie") cookie = value;
  }
  EXPECT_THAT(cookie, ::testing::MatchesRegex("vigil_session=[0-9a-f]{64}; HttpOnly; SameSite=Strict; Path=/; Max-Age=34560000"));
  const std::string token = cookie.substr(14, 64);
  EXPECT_EQ(call("POST", "/api/v1/devices/pair/wait", wait, "").status, 404);  // once

  Response me = call("GET", "/api/v1/me", "", token);
  ASSERT_EQ(me.status, 200);
  EXPECT_EQ(nlohmann::json::parse(me.body)["device"], "Living-room TV");
  Response listed = call("GET", "/api/v1/devices", "", viewer);
  ASSERT_EQ(listed.status, 200);
  ASSERT_EQ(nlohmann::json::parse(listed.body).size(), 1u);
  EXPECT_EQ(call("DELETE", "/api/v1/sessions/" + device["id"].get<std::string>(), "", tokens_[access::Role::kAdmin]).status, 204);
  EXPECT_EQ(call("GET", "/api/v1/me", "", token).status, 401);
  EXPECT_EQ(nlohmann::json::parse(call("GET", "/api/v1/devices", "", viewer).body).size(), 0u);
}

// Closed (as it starts) the register is 404 to everyone without a session;
// opened, it lists only the cameras their owner listed, with what each
// tier may watch and counts, never a user's name; past the rate 429.
TEST_F(RoutesTest, ThePublicRegisterIsClosedUntilOpenedListsOnlyListedCamerasAndIsRateLimited) {
  auto get = [this](const std::string& path, const std::string& address = "203.0.113.7") {
    Request req;
    req.method = "GET";
    req.path = path;
    req.remoteAddress = address;
    req.headers["host"] = "vigil.test";
    return server_->handle(req);
  };
  auto put = [this](const std::string& path, const std::string& body) {
    Request req = request({"PUT", path, Access::kAdmin}, tokens_[access::Role::kAdmin]);
    req.path = path;
    req.body = body;
    return server_->handle(req);
  };
  EXPECT_EQ(get("/api/v1/register").status, 404);
  EXPECT_EQ(get("/api/v1/register/cameras/gate/snapshot.jpg").status, 404);
  ASSERT_EQ(put("/api/v1/cameras/gate/register", R"({"listed":true,"covers":"The gate onto the square"})").status, 200);
  ASSERT_TRUE(shares_->replace({"adm", "test"}, "gate",
                               {{Tier::kTownship, {access::ShareRight::kLive, access::ShareRight::kPlayback}, false, {}, {}}})
                  .isOk());
  EXPECT_EQ(get("/api/v1/register").status, 404);  // still closed
  auto opened = put("/api/v1/register/settings", R"({"open":true,"run_by":"Willow village committee"})");
  ASSERT_EQ(opened.status, 200) << opened.body;

  auto listed = get("/api/v1/register");
  ASSERT_EQ(listed.status, 200) << listed.body;
  const auto doc = nlohmann::json::parse(listed.body);
  EXPECT_EQ(doc["name"], "Willow village committee");
  ASSERT_EQ(doc["cameras"].size(), 1u);  // the yard is not listed
  const auto& gate = doc["cameras"][0];
  EXPECT_EQ(gate["covers"], "The gate onto the square");
  EXPECT_EQ(gate["watch"], nlohmann::json({{"owner", {"live", "snapshots", "recorded"}}, {"township", {"live", "recorded"}}}));
  EXPECT_EQ(gate["retention_days"], 30);
  EXPECT_EQ(gate["looks_30d"], 4);
  EXPECT_EQ(gate["online"], true);
  EXPECT_TRUE(gate["snapshot"].is_null());  // its owner shows no picture
  EXPECT_EQ(get("/api/v1/register/cameras/gate/snapshot.jpg").status, 404);
  for (const auto& [role, name] : names_) EXPECT_EQ(listed.body.find(name), std::string::npos) << name;
  EXPECT_EQ(listed.body.find("@"), std::string::npos);

  // An unknown key and an empty description are refused.
  EXPECT_EQ(put("/api/v1/cameras/yard/register", R"({"listed":true,"covers":"x","who":1})").status, 400);
  EXPECT_EQ(put("/api/v1/cameras/gate/register", R"({"listed":true,"covers":""})").status, 400);

  // Five requests an hour per address here (two so far): the sixth is 429, another address is not.
  for (int i = 0; i < 3; ++i) EXPECT_EQ(get("/api/v1/register").status, 200);
  auto refused = get("/api/v1/register");
  EXPECT_EQ(refused.status, 429);
  EXPECT_THAT(refused.headers, ::testing::Contains(::testing::Pair("Retry-After", ::testing::_)));
  EXPECT_EQ(get("/api/v1/register", "198.51.100.1").status, 200);

  // Closed again: 404 whatever the address.
  ASSERT_EQ(put("/api/v1/register/settings", R"({"open":false})").status, 200);
  EXPECT_EQ(get("/api/v1/register", "198.51.100.2").status, 404);
}

TEST_F(RoutesTest, EveryRouteAnswers401WithoutASessionAnd403ForTooLowARole) {
  const std::vector<RouteInfo> routes = server_->routes();
  ASSERT_GE(routes.size(), 20u);
  for (const RouteInfo& route : routes) {
    SCOPED_TRACE(route.method + " " + route.path + " (" + std::string(accessName(route.access)) + ")");
    if (route.access == Access::kPublic || route.access == Access::kNode) continue;
    EXPECT_EQ(server_->handle(request(route)).status, 401);
    EXPECT_EQ(server_->handle(request(route, std::string(64, '0'))).status, 401);  // unknown token
    for (const auto& [role, name] : names_) {
      const bool allowed = route.access == Access::kUser || (route.access == Access::kOperator && role >= access::Role::kOperator) ||
                           (route.access == Access::kAdmin && role == access::Role::kAdmin);
      const int status = server_->handle(request(route, freshToken(role))).status;
      if (allowed) {
        EXPECT_NE(status, 401) << access::roleName(role);
        EXPECT_NE(status, 403) << access::roleName(role);
      } else {
        EXPECT_EQ(status, 403) << access::roleName(role);
      }
    }
  }
}

// The gate checks the camera of every route about one: each such route
// declares its camera parameter, and a camera the user may not see
// answers exactly as one that does not exist (404), whatever the role.
TEST_F(RoutesTest, EveryCameraRouteDeclaresItsCameraAndTheGateAnswers404ForOthers) {
  int cameraRoutes = 0;
  for (const RouteInfo& route : server_->routes()) {
    SCOPED_TRACE(route.method + " " + route.path);
    const bool aboutOneCamera = route.path.starts_with("/api/v1/cameras/{id}");
    EXPECT_EQ(route.cameraParam, aboutOneCamera ? "id" : "");
    if (!aboutOneCamera) continue;
    ++cameraRoutes;
    auto call = [&](std::string_view camera, access::Role role) {
      RouteInfo on = route;
      on.path = std::regex_replace(route.path, std::regex("\\{id\\}"), std::string(camera));
      Request req = request(on, freshToken(role));
      if (route.webSocket) {
        req.headers["upgrade"] = "websocket";
        req.headers["connection"] = "Upgrade";
      }
      return server_->handle(req);
    };
    const access::Role least = route.access == Access::kAdmin      ? access::Role::kAdmin
                               : route.access == Access::kOperator ? access::Role::kOperator
                                                                   : access::Role::kViewer;
    // The viewer may see "gate" only; "yard" exists, "attic" does not.
    if (least == access::Role::kViewer) {
      Response hidden = call("yard", access::Role::kViewer);
      EXPECT_EQ(hidden.status, 404);
      EXPECT_EQ(hidden.body, R"({"error":"no camera \"yard\""})");
      EXPECT_EQ(call("gate", access::Role::kViewer).body.find("no camera"), std::string::npos);
    }
    Response missing = call("attic", least);
    EXPECT_EQ(missing.status, 404);
    EXPECT_EQ(missing.body, R"({"error":"no camera \"attic\""})");
    EXPECT_EQ(call("Bad!", least).body, R"({"error":"no such camera"})");
  }
  EXPECT_EQ(cameraRoutes, 17);  // with GET, PUT and DELETE ./detection, ./health, and GET and PUT ./register
}

TEST_F(RoutesTest, ARouteNamingACameraItDoesNotHaveIsRefused) {
  EXPECT_THROW(server_->route("GET", "/x/{cam}", {Access::kUser, "id"}, [](const Request&) { return Response{}; }),
               std::invalid_argument);
  EXPECT_THROW(server_->route("GET", "/x/{id}", {Access::kPublic, "id"}, [](const Request&) { return Response{}; }),
               std::invalid_argument);
}

// The tier link's routes take no user session: another node proves itself
// with its key (or an invitation code) over TLS 1.3, so without the TLS
// channel binding each refuses, with a session or without.
TEST_F(RoutesTest, NodeRoutesAreTheLinksAndNeedTls13) {
  std::set<std::string> nodeRoutes;
  for (const RouteInfo& r : server_->routes()) {
    if (r.access != Access::kNode) continue;
    nodeRoutes.insert(r.method + " " + r.path);
    SCOPED_TRACE(r.method + " " + r.path);
    for (const std::string& token : {std::string(), tokens_[access::Role::kAdmin]}) {
      Request req = request(r, token);
      req.body = R"({"nonce":"0000000000000000000000000000000000000000000000000000000000000000"})";
      if (r.webSocket) {
        req.headers["upgrade"] = "websocket";
        req.headers["connection"] = "Upgrade";
      }
      const Response res = server_->handle(req);
      if (r.path == "/api/v1/link/join") {
        EXPECT_EQ(res.status, 400);  // not even a join request
      } else {
        EXPECT_EQ(res.status, 409);
        EXPECT_THAT(res.body, ::testing::HasSubstr("TLS 1.3"));
      }
    }
  }
  EXPECT_EQ(nodeRoutes, (std::set<std::string>{"POST /api/v1/link/join/hello", "POST /api/v1/link/join",
                                               "GET /api/v1/link/connect"}));
}

TEST_F(RoutesTest, TheBearerSchemeIsCaseInsensitive) {
  RouteInfo me{"GET", "/api/v1/me", Access::kUser};
  for (const char* scheme : {"Bearer ", "bearer ", "BEARER "}) {
    Request req = request(me);
    req.headers["authorization"] = scheme + tokens_[access::Role::kViewer];
    EXPECT_EQ(server_->handle(req).status, 200) << scheme;
  }
}

// An API token of scope alarm reaches its two routes and no other, by
// any method (HEAD answered by a GET route included), whatever its user's
// role; a session of the same user reaches them all.
TEST_F(RoutesTest, AnAlarmTokenReachesOnlyTheAlarmRaiseAndReadRoutes) {
  auto made = accounts_->addApiToken({"", "test"}, names_[access::Role::kAdmin], "button", access::TokenScope::kAlarm);
  ASSERT_TRUE(made) << made.status().toString();
  for (const RouteInfo& route : server_->routes()) {
    if (route.access == Access::kPublic || route.access == Access::kNode) continue;
    const bool scoped = (route.method == "POST" && route.path == "/api/v1/alarms") ||
                        (route.method == "GET" && route.path == "/api/v1/alarms/{id}");
    for (const std::string& method : {route.method, std::string(route.method == "GET" ? "HEAD" : "")}) {
      if (method.empty()) continue;
      SCOPED_TRACE(method + " " + route.path);
      Request req = request(route, made->secret);
      req.method = method;
      const int status = server_->handle(req).status;
      if (scoped) {
        EXPECT_NE(status, 403);
        EXPECT_NE(status, 401);
      } else {
        EXPECT_EQ(status, 403);
      }
    }
  }
}

// A metrics token (Prometheus) reads /metrics and nothing else.
TEST_F(RoutesTest, AMetricsTokenReachesOnlyMetrics) {
  auto made = accounts_->addApiToken({"", "test"}, names_[access::Role::kAdmin], "prometheus", access::TokenScope::kMetrics);
  ASSERT_TRUE(made) << made.status().toString();
  for (const RouteInfo& route : server_->routes()) {
    if (route.access == Access::kPublic || route.access == Access::kNode) continue;
    SCOPED_TRACE(route.method + " " + route.path);
    const int status = server_->handle(request(route, made->secret)).status;
    if (route.method == "GET" && route.path == "/metrics") {
      EXPECT_EQ(status, 200);
    } else {
      EXPECT_EQ(status, 403);
    }
  }
}

// A camera's health: its outages and online rate over the range, behind
// the gate (the 404s: EveryCameraRouteDeclaresItsCameraAndTheGateAnswers404ForOthers).
TEST_F(RoutesTest, ACamerasHealthIsItsOutagesAndOnlineRateOverTheRange) {
  ASSERT_TRUE(uptime_->set("gate", std::nullopt).isOk());  // its first frame
  clock_.advance(std::chrono::seconds(10));
  ASSERT_TRUE(uptime_->set("gate", "auth_failed").isOk());
  clock_.advance(std::chrono::seconds(30));
  ASSERT_TRUE(uptime_->set("gate", std::nullopt).isOk());
  clock_.advance(std::chrono::seconds(60));
  RouteInfo health{"GET", "/api/v1/cameras/{id}/health", Access::kUser};
  Request req = request(health, tokens_[access::Role::kViewer]);
  req.query = "start=2023-11-14T22:13:00Z&end=2023-11-14T22:16:00Z";  // the store started at 22:13:20
  Response res = server_->handle(req);
  ASSERT_EQ(res.status, 200) << res.body;
  auto h = nlohmann::json::parse(res.body);
  EXPECT_EQ(h["counted_seconds"], 100);
  EXPECT_EQ(h["online_seconds"], 70);
  EXPECT_EQ(h["online_rate"], 0.7);
  EXPECT_EQ(h["outages"], nlohmann::json::parse(R"([{"start":"2023-11-14T22:13:30Z",
      "end":"2023-11-14T22:14:00Z","reason":"auth_failed","ongoing":false}])"));
  req.query = "start=2023-11-14T22:16:00Z&end=2023-11-14T22:13:00Z";
  EXPECT_EQ(server_->handle(req).status, 400);
}

TEST_F(RoutesTest, TheOverviewIsForOperatorsAndItsCsvIsQuotedAndNeverAFormula) {
  Response res = server_->handle(request({"GET", "/api/v1/overview", Access::kOperator}, tokens_[access::Role::kOperator]));
  ASSERT_EQ(res.status, 200) << res.body;
  auto o = nlohmann::json::parse(res.body);
  EXPECT_EQ(o["totals"]["cameras_total"], 2);
  EXPECT_EQ(o["nodes"][0]["link"], "self");
  EXPECT_EQ(o["cameras"][0]["id"], "gate");
  EXPECT_EQ(o["daily"].size(), 0u);
  Request csv = request({"GET", "/api/v1/overview.csv", Access::kOperator}, tokens_[access::Role::kOperator]);
  res = server_->handle(csv);
  ASSERT_EQ(res.status, 200) << res.body;
  EXPECT_EQ(res.contentType, "text/csv; charset=utf-8");
  EXPECT_THAT(res.body, ::testing::StartsWith("kind,id,node,name,tier,link,"));
  // A comma and quotes are quoted; a leading '=' cannot run as a formula.
  EXPECT_THAT(res.body, ::testing::HasSubstr("\r\nnode,,,\"'=Li, \"\"east\"\" village\",village,self,"));
  EXPECT_THAT(res.body, ::testing::HasSubstr("\r\ncamera,gate,,Gate,,,,,,,true,"));
  csv.query = "under=nowhere";
  EXPECT_EQ(server_->handle(csv).status, 404);
}

TEST_F(RoutesTest, MeAndTheLoginNameTheUserAndThisNodesIdAndTier) {
  Response res = server_->handle(request({"GET", "/api/v1/me", Access::kUser}, tokens_[access::Role::kOperator]));
  ASSERT_EQ(res.status, 200) << res.body;
  auto me = nlohmann::json::parse(res.body);
  EXPECT_EQ(me["role"], "operator");
  EXPECT_EQ(me["node"], "village1");
  EXPECT_EQ(me["tier"], "village");
  Request login = request({"POST", "/api/v1/login", Access::kPublic});
  login.body = R"({"user":"opr","password":"password for tests"})";
  res = server_->handle(login);
  ASSERT_EQ(res.status, 200) << res.body;
  auto answer = nlohmann::json::parse(res.body);
  EXPECT_EQ(answer["node"], "village1");
  EXPECT_EQ(answer["tier"], "village");
}

TEST_F(RoutesTest, CookieAuthNeedsAMatchingOriginToChangeState) {
  RouteInfo logout{"POST", "/api/v1/logout", Access::kUser};
  Request req = request(logout);
  req.headers["cookie"] = "theme=dark; vigil_session=" + tokens_[access::Role::kViewer];
  EXPECT_EQ(server_->handle(req).status, 403);  // no Origin
  req.headers["origin"] = "http://evil.example";
  EXPECT_EQ(server_->handle(req).status, 403);
  req.headers["origin"] = "http://vigil.test";
  EXPECT_EQ(server_->handle(req).status, 200);
  // Reading with a cookie needs no Origin.
  Request get = request({"GET", "/api/v1/me", Access::kUser});
  get.headers["cookie"] = "vigil_session=" + tokens_[access::Role::kAdmin];
  EXPECT_EQ(server_->handle(get).status, 200);
}

// The account routes, counted: a new one is added here and to the gate
// test above by registering it (design/AUDIT.md "Managing users").
TEST_F(RoutesTest, TheAccountRoutesAreTheseAndEachHasItsRule) {
  std::set<std::string> accountRoutes;
  for (const RouteInfo& r : server_->routes()) {
    if (r.path.starts_with("/api/v1/users") || r.path.starts_with("/api/v1/sessions") || r.path == "/api/v1/password") {
      accountRoutes.insert(r.method + " " + r.path + " " + std::string(accessName(r.access)));
    }
  }
  EXPECT_EQ(accountRoutes, (std::set<std::string>{
                               "GET /api/v1/users admin", "POST /api/v1/users admin", "POST /api/v1/users/cameras admin",
                               "GET /api/v1/users/{id} admin", "PUT /api/v1/users/{id} admin",
                               "DELETE /api/v1/users/{id} admin", "POST /api/v1/users/{id}/password admin",
                               "DELETE /api/v1/users/{id}/cameras/{camera} admin", "GET /api/v1/sessions user",
                               "DELETE /api/v1/sessions/{id} user", "POST /api/v1/password user"}));
}

TEST_F(RoutesTest, UserChangesValidateTheirBodiesAndLeaveAnAdmin) {
  const std::string admin = tokens_[access::Role::kAdmin];
  auto call = [&](const std::string& method, const std::string& path, const std::string& body, const std::string& token) {
    Request req = request({method, path, Access::kAdmin}, token);
    req.body = body;
    return server_->handle(req);
  };
  for (const auto& [body, error] : std::vector<std::pair<std::string, std::string>>{
           {"{}", "body: give role, disabled or both"},
           {R"({"role":"boss"})", "role: must be admin, operator or viewer"},
           {R"({"disabled":"yes"})", "disabled: must be true or false"},
           {R"({"role":"viewer","cameras":[]})", "cameras"},
           {"[", ""}}) {
    Response res = call("PUT", "/api/v1/users/vwr", body, admin);
    EXPECT_EQ(res.status, 400) << body;
    EXPECT_THAT(res.body, ::testing::HasSubstr(error)) << body;
  }
  EXPECT_EQ(call("PUT", "/api/v1/users/Bad!", R"({"role":"viewer"})", admin).status, 404);
  EXPECT_EQ(call("PUT", "/api/v1/users/nobody", R"({"role":"viewer"})", admin).status, 404);
  // adm is the only admin.
  Response last = call("PUT", "/api/v1/users/adm", R"({"role":"viewer"})", admin);
  EXPECT_EQ(last.status, 409) << last.body;
  EXPECT_EQ(call("DELETE", "/api/v1/users/adm", "", admin).status, 409);
  Response promoted = call("PUT", "/api/v1/users/opr", R"({"role":"admin"})", admin);
  ASSERT_EQ(promoted.status, 200) << promoted.body;
  EXPECT_EQ(nlohmann::json::parse(promoted.body)["role"], "admin");
  EXPECT_EQ(call("POST", "/api/v1/users/vwr/password", R"({"password":"short"})", admin).status, 400);
  // One's own password only with the current one (POST /api/v1/password).
  EXPECT_EQ(call("POST", "/api/v1/users/adm/password", R"({"password":"long enough password"})", admin).status, 403);
  EXPECT_EQ(call("POST", "/api/v1/users/vwr/password", R"({"pass":"long enough password"})", admin).status, 400);
  Response revoked = call("DELETE", "/api/v1/users/vwr/cameras/gate", "", admin);
  ASSERT_EQ(revoked.status, 200) << revoked.body;
  EXPECT_EQ(nlohmann::json::parse(revoked.body)["cameras"], nlohmann::json::array());
  EXPECT_EQ(call("DELETE", "/api/v1/users/vwr/cameras/gate", "", admin).status, 404);
}

TEST_F(RoutesTest, SessionsAreListedWithoutTheirTokensAndEndAtOnce) {
  const std::string viewer = tokens_[access::Role::kViewer];
  const std::string other = freshToken(access::Role::kViewer);
  auto call = [&](const std::string& method, const std::string& target, const std::string& token) {
    const size_t q = target.find('?');
    Request req = request({method, target.substr(0, q), Access::kUser}, token);
    if (q != std::string::npos) req.query = target.substr(q + 1);
    return server_->handle(req);
  };
  Response res = call("GET", "/api/v1/sessions", viewer);
  ASSERT_EQ(res.status, 200) << res.body;
  auto list = nlohmann::json::parse(res.body);
  ASSERT_EQ(list.size(), 2u);
  std::string otherId;
  for (const auto& s : list) {
    EXPECT_EQ(s["user"], "vwr");
    EXPECT_EQ(s["client"], "127.0.0.1");
    const std::string id = s["id"];
    EXPECT_EQ(id.size(), 16u);
    EXPECT_EQ(res.body.find(viewer.substr(0, 16)), std::string::npos);
    EXPECT_EQ(res.body.find(access::sha256Hex(viewer).substr(0, 16)), std::string::npos);
    if (!s["current"].get<bool>()) otherId = id;
  }
  ASSERT_FALSE(otherId.empty());
  // Another user's: a viewer neither lists them nor ends them.
  EXPECT_EQ(call("GET", "/api/v1/sessions?user=adm", viewer).status, 403);
  EXPECT_EQ(call("GET", "/api/v1/sessions?who=adm", viewer).status, 400);
  EXPECT_EQ(call("DELETE", "/api/v1/sessions/" + otherId, tokens_[access::Role::kOperator]).status, 404);
  EXPECT_EQ(call("GET", "/api/v1/me", other).status, 200);
  EXPECT_EQ(call("DELETE", "/api/v1/sessions/" + otherId, viewer).status, 204);
  EXPECT_EQ(call("GET", "/api/v1/me", other).status, 401);
  EXPECT_EQ(call("GET", "/api/v1/me", viewer).status, 200);
  // An admin lists anyone's, and deleting the user ends their sessions.
  auto byAdmin = nlohmann::json::parse(call("GET", "/api/v1/sessions?user=vwr", tokens_[access::Role::kAdmin]).body);
  ASSERT_EQ(byAdmin.size(), 1u);
  EXPECT_FALSE(byAdmin[0]["current"].get<bool>());
  EXPECT_EQ(call("DELETE", "/api/v1/users/vwr", tokens_[access::Role::kAdmin]).status, 204);
  EXPECT_EQ(call("GET", "/api/v1/me", viewer).status, 401);
}

TEST_F(RoutesTest, ViewerSeesOnlyGrantedCameras) {
  auto res = server_->handle(request({"GET", "/api/v1/cameras", Access::kUser}, tokens_[access::Role::kViewer]));
  ASSERT_EQ(res.status, 200);
  auto list = nlohmann::json::parse(res.body);
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0]["id"], "gate");
  res = server_->handle(request({"GET", "/api/v1/cameras", Access::kUser}, tokens_[access::Role::kOperator]));
  EXPECT_EQ(nlohmann::json::parse(res.body).size(), 2u);
}

// What the UI words as "Never connected · wrong password" (ARCHITECTURE.md
// "Camera states"): the reason's code, since when, and whether it ever streamed.
TEST_F(RoutesTest, TheCameraListSaysSinceWhenAndWhyInAWord) {
  auto res = server_->handle(request({"GET", "/api/v1/cameras", Access::kUser}, tokens_[access::Role::kOperator]));
  auto list = nlohmann::json::parse(res.body);
  ASSERT_EQ(list.size(), 2u);
  EXPECT_FALSE(list[0].contains("reason_code"));
  EXPECT_EQ(list[0]["since"], nullptr);
  EXPECT_EQ(list[1]["online"], false);
  EXPECT_EQ(list[1]["reason_code"], "wrong_password");
  EXPECT_EQ(list[1]["since"], "2023-11-14T22:13:20Z");
  EXPECT_EQ(list[1]["ever_streamed"], false);
}

TEST_F(RoutesTest, LoginSetsAStrictHttpOnlyCookie) {
  Request req = request({"POST", "/api/v1/login", Access::kPublic});
  req.body = R"({"user":"opr","password":"password for tests"})";
  Response res = server_->handle(req);
  ASSERT_EQ(res.status, 200) << res.body;
  std::string cookie;
  for (const auto& [k, v] : res.headers) {
    if (k == "Set-Cookie") cookie = v;
  }
  const std::string token = nlohmann::json::parse(res.body)["token"];
  EXPECT_EQ(cookie, "vigil_session=" + token + "; HttpOnly; SameSite=Strict; Path=/");
  req.body = R"({"user":"opr"})";
  res = server_->handle(req);
  EXPECT_EQ(res.status, 400);
  EXPECT_EQ(nlohmann::json::parse(res.body)["error"], "password: required");
}

TEST_F(RoutesTest, AuditQueryValidatesItsParameters) {
  const std::string admin = tokens_[access::Role::kAdmin];
  auto query = [&](std::string q) {
    Request req = request({"GET", "/api/v1/audit", Access::kAdmin}, admin);
    req.query = std::move(q);
    return server_->handle(req);
  };
  Response ok = query("user=opr");
  ASSERT_EQ(ok.status, 200);
  auto rows = nlohmann::json::parse(ok.body);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0]["action"], "login");
  EXPECT_EQ(nlohmann::json::parse(query("start=nope").body)["error"], "start: must be an RFC 3339 time");
  EXPECT_EQ(nlohmann::json::parse(query("user=Bad!").body)["error"],
            "user: must be an id ([a-z0-9_-]{1,64}) or <id>@<node id>");
  EXPECT_EQ(nlohmann::json::parse(query("start=2026-01-02T00:00:00Z&end=2026-01-01T00:00:00Z").body)["error"],
            "end: must be after start");
  EXPECT_EQ(query("limit=0").status, 400);
  auto error = [&](std::string q) {
    Response r = query(std::move(q));
    EXPECT_EQ(r.status, 400) << r.body;
    return nlohmann::json::parse(r.body)["error"].get<std::string>();
  };
  EXPECT_EQ(error("end=2026-13-01T00:00:00Z"), "end: must be an RFC 3339 time");
  EXPECT_EQ(error("camera=../gate"), "camera: must match [a-z0-9_-]{1,64}");
  EXPECT_EQ(error("limit=10001"), "limit: must be 1..10000");
  EXPECT_EQ(error("cam=gate"), "cam: unknown parameter (allowed: start, end, user, camera, limit, remote)");
  EXPECT_EQ(error("%FF%FE=1"), "query: unknown parameter (allowed: start, end, user, camera, limit, remote)");
  EXPECT_EQ(error("remote=yes"), "remote: must be true (looks from other tiers only)");
  EXPECT_EQ(error("user=desk@"), "user: must be an id ([a-z0-9_-]{1,64}) or <id>@<node id>");
  EXPECT_EQ(error("user=opr&user=adm"), "user: given more than once");
}

TEST_F(RoutesTest, AuditQueryFiltersByTimeUserAndCamera) {
  for (const char* camera : {"gate", "yard", "gate"}) {
    clock_.advance(std::chrono::minutes(1));
    ASSERT_TRUE(audit_->record({"opr", access::audit_kind::kPlayback, camera, "10.0.0.1", "{}"}).isOk());
  }
  auto listed = [&](std::string q) {
    Request req = request({"GET", "/api/v1/audit", Access::kAdmin}, tokens_[access::Role::kAdmin]);
    req.query = std::move(q);
    Response r = server_->handle(req);
    EXPECT_EQ(r.status, 200) << r.body;
    std::vector<std::string> out;
    for (const auto& row : nlohmann::json::parse(r.body)) {
      out.push_back(row["action"].get<std::string>() + " " + row["camera"].get<std::string>());
    }
    return out;
  };
  using Rows = std::vector<std::string>;
  EXPECT_EQ(listed("camera=gate"), (Rows{"playback gate", "playback gate"}));
  EXPECT_EQ(listed("user=opr&camera=yard"), Rows{"playback yard"});
  EXPECT_EQ(listed("user=vwr&camera=yard"), Rows{});
  // The three rows are 1, 2 and 3 minutes after the clock's start.
  const WallTime t0 = WallTime::fromUnixMicros(1'700'000'000'000'000);
  auto at = [&](int minutes) { return (t0 + std::chrono::minutes(minutes)).toRfc3339(); };
  EXPECT_EQ(listed("start=" + at(2) + "&end=" + at(3)), Rows{"playback yard"});
  EXPECT_EQ(listed("start=" + at(2) + "&camera=gate"), Rows{"playback gate"});
  EXPECT_EQ(listed("end=" + at(1) + "&user=opr"), Rows{"login "});
}

// "Who looked at my cameras" (design/AUDIT.md): a user who is not an
// admin reads only the looks at the cameras they may see, from anyone,
// without client addresses; another camera's rows never, and asking for
// one answers as the gate does.
TEST_F(RoutesTest, ANonAdminReadsOnlyTheLooksAtItsOwnCameras) {
  const std::string remote = R"({"remote":true,"tier":"village","via":["village1"],"right":"live"})";
  for (const auto& [user, action, camera, detail] : std::vector<std::tuple<std::string, std::string, std::string, std::string>>{
           {"opr", access::audit_kind::kPlayback, "gate", "{}"},
           {"opr", access::audit_kind::kPlayback, "yard", "{}"},
           {"adm", access::audit_kind::kShareChange, "gate", "{}"},
           {"desk@village1", access::audit_kind::kLiveStart, "gate", remote},
           {"adm", access::audit_kind::kSnapshot, "yard", "{}"},
           {"opr", access::audit_kind::kLiveStop, "gate", R"({"reason":"user_disabled"})"},
       }) {
    clock_.advance(std::chrono::seconds(1));
    ASSERT_TRUE(audit_->record({user, action, camera, "10.0.0.9", detail}).isOk());
  }
  auto rows = [&](access::Role role, std::string q) {
    Request req = request({"GET", "/api/v1/audit", Access::kUser}, tokens_[role]);
    req.query = std::move(q);
    Response r = server_->handle(req);
    EXPECT_EQ(r.status, 200) << r.body;
    std::vector<std::string> out;
    for (const auto& row : nlohmann::json::parse(r.body)) {
      if (role != access::Role::kAdmin) EXPECT_EQ(row["client"], "");
      out.push_back(row["user"].get<std::string>() + " " + row["action"].get<std::string>() + " " +
                    row["camera"].get<std::string>());
    }
    return out;
  };
  using Rows = std::vector<std::string>;
  const auto viewer = access::Role::kViewer;
  EXPECT_EQ(rows(viewer, ""), (Rows{"opr live_stop gate", "desk@village1 live_start gate", "opr playback gate"}));
  // What an admin did to another user's account is not the viewer's to read.
  Request stops = request({"GET", "/api/v1/audit", Access::kUser}, tokens_[viewer]);
  stops.query = "user=opr";
  EXPECT_EQ(nlohmann::json::parse(server_->handle(stops).body)[0]["detail"]["reason"], "access_ended");
  EXPECT_EQ(rows(viewer, "camera=gate&user=opr"), (Rows{"opr live_stop gate", "opr playback gate"}));
  EXPECT_EQ(rows(viewer, "remote=true"), Rows{"desk@village1 live_start gate"});
  // Operators see every camera, so every camera's looks; not the rest.
  EXPECT_EQ(rows(access::Role::kOperator, "").size(), 5u);
  EXPECT_EQ(rows(access::Role::kAdmin, "camera=gate").size(), 4u);  // the share change too
  Request yard = request({"GET", "/api/v1/audit", Access::kUser}, tokens_[viewer]);
  yard.query = "camera=yard";
  Response hidden = server_->handle(yard);
  EXPECT_EQ(hidden.status, 404);
  EXPECT_EQ(hidden.body, R"({"error":"no camera \"yard\""})");
}

// AUDIT.md "Who looked at my cameras", invariant 5: the store keeps to a
// non-admin's looks at their cameras, so rows of others' business, however
// many, hide no older look; a look at a camera gone is still left out.
TEST_F(RoutesTest, ANonAdminReadsItsLooksOlderThanTheNewestTwentyThousandRows) {
  namespace k = access::audit_kind;
  ASSERT_TRUE(audit_->record({"opr", k::kPlayback, "gate", "10.0.0.9", "{}"}).isOk());
  ASSERT_TRUE(audit_->record({"opr", k::kSnapshot, "yard", "10.0.0.9", "{}"}).isOk());
  {
    // 20 000 logins in one transaction behind the log's back (their chain
    // is not this test's business; one record() each would take a minute).
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((dir_ / "access.db").string().c_str(), &db), SQLITE_OK);
    const std::string sql =
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000) "
        "INSERT INTO audit (seq, at, user, action, camera, client, detail, prev_hash, hash) "
        "SELECT (SELECT max(seq) FROM audit) + i, " + std::to_string(clock_.now().unixMicros()) +
        ", 'adm', 'login', '', '10.0.0.9', '{}', '', hex(randomblob(32)) FROM n";
    EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
    sqlite3_close(db);
  }
  ASSERT_TRUE(audit_->record({"opr", k::kSnapshot, "shed", "10.0.0.9", "{}"}).isOk());  // no camera "shed" here
  auto answer = [&](access::Role role, std::string q) {
    Request req = request({"GET", "/api/v1/audit", Access::kUser}, tokens_[role]);
    req.query = std::move(q);
    Response r = server_->handle(req);
    EXPECT_EQ(r.status, 200) << r.body;
    std::string lines;
    for (const auto& row : nlohmann::json::parse(r.body)) {
      lines += row["action"].get<std::string>() + " " + row["camera"].get<std::string>() + "; ";
    }
    const bool cut = std::any_of(r.headers.begin(), r.headers.end(),
                                 [](const auto& h) { return h.first == "Vigil-Searched-From"; });
    return lines + (cut ? "cut" : "whole");
  };
  EXPECT_EQ(answer(access::Role::kViewer, ""), "playback gate; whole");
  EXPECT_EQ(answer(access::Role::kOperator, "limit=1"), "snapshot yard; whole");
  EXPECT_EQ(answer(access::Role::kOperator, ""), "snapshot yard; playback gate; whole");
  // What the store cannot filter (a row's detail) is still sought among the newest 20 000.
  EXPECT_EQ(answer(access::Role::kAdmin, "remote=true"), "cut");
}

// The rows link/looks.cpp writes at the owner, read back as looks: who,
// tier, what, how long (a live_stop paired with its live_start by length),
// refused with the reason; the node's own users' rows left out.
TEST_F(RoutesTest, AuditRemoteLooksAreSummedUpAndPaired) {
  auto remote = [](std::string tier, std::string extra) {
    return R"({"remote":true,"tier":")" + tier + R"(","via":["village1"])" + extra + "}";
  };
  struct Row {
    int minute;
    const char* user;
    const char* action;
    std::string detail;
  };
  const Row rows[] = {
      {1, "desk@village1", access::audit_kind::kLiveStart, remote("village", R"(,"right":"live")")},
      {2, "desk@village1", access::audit_kind::kLiveStart, remote("village", R"(,"right":"live")")},
      {3, "opr", access::audit_kind::kLiveStart, "{}"},
      {4, "desk@village1", access::audit_kind::kLiveStop, remote("village", R"(,"seconds":120.5,"reason":"closed")")},
      {5, "desk@village1", access::audit_kind::kRefused,
       remote("village", R"(,"right":"export","reason":"export not shared with the village","refused":7)")},
      {6, "desk@village1", access::audit_kind::kExport,
       remote("village", R"(,"right":"export","start":"2026-01-01T00:00:00Z","end":"2026-01-01T00:05:00Z")")},
      {7, "desk@village1", access::audit_kind::kLiveStop, remote("village", R"(,"seconds":360,"reason":"revoked: x")")},
  };
  for (const Row& r : rows) {
    clock_.setWall(WallTime::fromUnixMicros(1'700'000'000'000'000) + std::chrono::minutes(r.minute));
    ASSERT_TRUE(audit_->record({r.user, r.action, "gate", r.user == std::string("opr") ? "10.0.0.1" : "link", r.detail}).isOk());
  }
  auto looks = [&](std::string q) {
    Request req = request({"GET", "/api/v1/audit", Access::kAdmin}, tokens_[access::Role::kAdmin]);
    req.query = "remote=true" + q;
    Response r = server_->handle(req);
    EXPECT_EQ(r.status, 200) << r.body;
    return nlohmann::json::parse(r.body);
  };
  const auto all = looks("");
  ASSERT_EQ(all.size(), 6u) << all.dump();  // not opr's, nor the logins
  std::vector<std::string> what;
  for (const auto& row : all) what.push_back(row["action"].get<std::string>() + " " + row["look"]["what"].get<std::string>());
  EXPECT_EQ(what, (std::vector<std::string>{"live_stop live", "export export", "refused export", "live_stop live",
                                            "live_start live", "live_start live"}));
  // The 360 s stop at minute 7 opened at minute 1; the 120.5 s one at
  // minute 4 opened at minute 2.
  EXPECT_EQ(all[5]["look"]["seconds"], 360);
  EXPECT_EQ(all[5]["look"]["ended"], "revoked: x");
  EXPECT_EQ(all[5]["look"]["stop_seq"], all[0]["seq"]);
  EXPECT_EQ(all[0]["look"]["start_seq"], all[5]["seq"]);
  EXPECT_EQ(all[4]["look"]["seconds"], 120.5);
  EXPECT_EQ(all[4]["look"]["stop_seq"], all[3]["seq"]);
  EXPECT_EQ(all[4]["look"]["who"], "desk@village1");
  EXPECT_EQ(all[4]["look"]["tier"], "village");
  EXPECT_EQ(all[4]["look"]["via"], nlohmann::json::array({"village1"}));
  EXPECT_EQ(all[2]["look"]["refused"], true);
  EXPECT_EQ(all[2]["look"]["reason"], "export not shared with the village");
  EXPECT_EQ(all[2]["look"]["count"], 7);  // refusals counted into one row
  EXPECT_EQ(all[1]["look"]["refused"], false);
  EXPECT_EQ(all[1]["look"]["start"], "2026-01-01T00:00:00Z");
  EXPECT_EQ(all[1]["look"]["end"], "2026-01-01T00:05:00Z");
  // Combined with the other filters; the limit counts looks.
  EXPECT_EQ(looks("&user=desk@village1&limit=2").size(), 2u);
  EXPECT_EQ(looks("&camera=yard").size(), 0u);
  const auto since = looks("&start=" + (WallTime::fromUnixMicros(1'700'000'000'000'000) + std::chrono::minutes(5)).toRfc3339());
  ASSERT_EQ(since.size(), 3u);
  EXPECT_FALSE(since[2]["look"].contains("seconds"));  // the refused look
  EXPECT_FALSE(since[0]["look"].contains("start_seq"));  // its start is before the window
}

TEST_F(RoutesTest, EventRoutesOpenAndCloseAndAuditTheUser) {
  auto post = [&](std::string camera, std::string body) {
    Request req = request({"POST", "/api/v1/cameras/" + camera + "/events", Access::kOperator},
                          tokens_[access::Role::kOperator]);
    req.body = std::move(body);
    Response res = server_->handle(req);
    return std::pair(res.status, nlohmann::json::parse(res.body));
  };
  EXPECT_EQ(post("gate", R"({"action":"open","label":"gate left open"})"),
            std::pair(200, nlohmann::json{{"camera", "gate"}, {"event", "open"}}));
  EXPECT_EQ(post("gate", R"({"action":"close"})"), std::pair(200, nlohmann::json{{"camera", "gate"}, {"event", "closed"}}));
  EXPECT_EQ(events_, (std::vector<std::pair<std::string, bool>>{{"gate", true}, {"gate", false}}));
  EXPECT_EQ(post("yard", R"({"action":"open"})").first, 409);
  EXPECT_EQ(post("Gate!", R"({"action":"open"})"), std::pair(404, nlohmann::json{{"error", "no such camera"}}));
  EXPECT_EQ(post("gate", R"({"action":"shut"})"), std::pair(400, nlohmann::json{{"error", "action: must be open or close"}}));
  EXPECT_EQ(events_.size(), 2u);  // the refused calls changed nothing

  Request audit = request({"GET", "/api/v1/audit", Access::kAdmin}, tokens_[access::Role::kAdmin]);
  audit.query = "camera=gate";
  auto rows = nlohmann::json::parse(server_->handle(audit).body);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0]["user"], "opr");
  std::set<std::pair<std::string, std::string>> actions;
  for (const auto& r : rows) actions.emplace(r["action"], r["detail"].dump());
  EXPECT_EQ(actions, (std::set<std::pair<std::string, std::string>>{{"event_open", R"({"label":"gate left open"})"},
                                                                    {"event_close", "{}"}}));
}

// Detection events: a viewer sees the events of the cameras it may see
// only (404 for another's, as for none), filtered; a snapshot is a look,
// audited as one with the event's id.
TEST_F(RoutesTest, DetectionEventsShowOnlyVisibleCamerasAndTheirSnapshotsAreAudited) {
  const WallTime t0 = WallTime::fromUnixMicros(1'800'000'000'000'000);
  auto event = [&](std::string id, std::string camera, std::string label, int startS, std::optional<int> endS) {
    detect::DetectionEvent e{.id = std::move(id), .camera = std::move(camera), .label = std::move(label),
                             .topScore = 0.8125f, .start = t0 + std::chrono::seconds(startS),
                             .lastSeen = t0 + std::chrono::seconds(startS + 2)};
    if (endS) e.end = t0 + std::chrono::seconds(*endS);
    e.topBox = {64, 36, 320, 180};
    e.pictureWidth = 640;
    e.pictureHeight = 360;
    e.zones = {"porch"};
    return e;
  };
  ASSERT_TRUE(eventStore_->write(event("e1", "gate", "person", 0, 10), std::string("JPEG-e1")).isOk());
  ASSERT_TRUE(eventStore_->write(event("e2", "yard", "vehicle", 20, 30), std::string("JPEG-e2")).isOk());
  ASSERT_TRUE(eventStore_->write(event("e3", "gate", "motion", 40, std::nullopt), std::nullopt).isOk());
  auto get = [&](access::Role role, std::string path, std::string query = "") {
    Request req = request({"GET", path, Access::kUser}, tokens_[role]);
    req.query = std::move(query);
    return server_->handle(req);
  };
  auto ids = [&](access::Role role, std::string query) {
    Response r = get(role, "/api/v1/events", std::move(query));
    EXPECT_EQ(r.status, 200) << r.body;
    std::vector<std::string> out;
    for (const auto& e : nlohmann::json::parse(r.body)) out.push_back(e["id"]);
    return out;
  };
  const auto viewer = access::Role::kViewer, admin = access::Role::kAdmin;
  EXPECT_EQ(ids(viewer, ""), (std::vector<std::string>{"e3", "e1"}));
  EXPECT_EQ(ids(admin, ""), (std::vector<std::string>{"e3", "e2", "e1"}));
  EXPECT_EQ(ids(admin, "camera=yard"), std::vector<std::string>{"e2"});
  EXPECT_EQ(get(viewer, "/api/v1/events", "camera=yard").status, 404);
  EXPECT_EQ(ids(viewer, "label=person"), std::vector<std::string>{"e1"});
  EXPECT_EQ(get(viewer, "/api/v1/events", "label=cat").status, 400);
  EXPECT_EQ(ids(admin, "start=2027-01-15T08:00:15Z&end=2027-01-15T08:00:35Z"), std::vector<std::string>{"e2"});
  EXPECT_EQ(ids(admin, "limit=1"), std::vector<std::string>{"e3"});
  EXPECT_EQ(get(viewer, "/api/v1/events", "limit=0").status, 400);

  Response one = get(viewer, "/api/v1/events/e1");
  ASSERT_EQ(one.status, 200);
  EXPECT_EQ(nlohmann::json::parse(one.body),
            nlohmann::json::parse(R"({"id":"e1","camera":"gate","label":"person","score":0.813,
              "start":"2027-01-15T08:00:00Z","end":"2027-01-15T08:00:10Z","zones":["porch"],
              "box":[0.1,0.1,0.5,0.5],"snapshot":"/api/v1/events/e1/snapshot.jpg",
              "clip":{"start":"2027-01-15T07:59:57Z","end":"2027-01-15T08:00:17Z"}})"));
  EXPECT_EQ(nlohmann::json::parse(get(viewer, "/api/v1/events/e3").body)["end"], nullptr);
  EXPECT_EQ(get(viewer, "/api/v1/events/e2").status, 404);
  EXPECT_EQ(get(viewer, "/api/v1/events/e2").body, R"({"error":"no event \"e2\""})");  // as for none
  EXPECT_EQ(get(viewer, "/api/v1/events/nope").status, 404);
  EXPECT_EQ(get(admin, "/api/v1/events/e2").status, 200);

  EXPECT_EQ(get(viewer, "/api/v1/events/e2/snapshot.jpg").status, 404);
  EXPECT_EQ(get(viewer, "/api/v1/events/e3/snapshot.jpg").status, 404);  // none yet
  Response jpeg = get(viewer, "/api/v1/events/e1/snapshot.jpg");
  EXPECT_EQ(jpeg.status, 200);
  EXPECT_EQ(jpeg.contentType, "image/jpeg");
  EXPECT_EQ(jpeg.body, "JPEG-e1");
  Request audit = request({"GET", "/api/v1/audit", Access::kAdmin}, tokens_[admin]);
  audit.query = "camera=gate";
  auto rows = nlohmann::json::parse(server_->handle(audit).body);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0]["user"], "vwr");
  EXPECT_EQ(rows[0]["action"], "snapshot");
  EXPECT_EQ(rows[0]["detail"]["event"], "e1");
}

TEST_F(RoutesTest, SharesRoundTripTurnOffAndAreAudited) {
  auto call = [&](std::string method, std::string camera, std::string body = "",
                  access::Role role = access::Role::kAdmin) {
    Request req = request({method, "/api/v1/cameras/" + camera + "/shares", Access::kAdmin}, tokens_[role]);
    req.body = std::move(body);
    Response res = server_->handle(req);
    return std::pair(res.status, nlohmann::json::parse(res.body, nullptr, false));
  };
  EXPECT_EQ(call("GET", "gate"), std::pair(200, nlohmann::json::array()));  // nothing shared by default
  const std::string list = R"([{"tier": "village", "rights": ["live", "playback", "export", "snapshot"],
      "only_during_alarm": false, "hours": "08:00-20:00", "expires_at": "2027-01-01T00:00:00Z"},
      {"tier": "county", "rights": ["snapshot"]}])";
  const auto stored = nlohmann::json::parse(
      R"([{"tier": "village", "rights": ["live", "playback", "export", "snapshot"], "only_during_alarm": false,
           "hours": "08:00-20:00", "expires_at": "2027-01-01T00:00:00Z"},
          {"tier": "county", "rights": ["snapshot"], "only_during_alarm": false, "hours": null, "expires_at": null}])");
  EXPECT_EQ(call("PUT", "gate", list), std::pair(200, stored));
  EXPECT_EQ(call("GET", "gate"), std::pair(200, stored));
  EXPECT_EQ(call("GET", "yard"), std::pair(200, nlohmann::json::array()));

  // Bad input: 400 naming the field, nothing changed.
  EXPECT_EQ(call("PUT", "gate", R"([{"tier": "village", "rights": ["live"], "hours": "8am-8pm"}])"),
            std::pair(400, nlohmann::json{{"error", "shares[0].hours: must be HH:MM-HH:MM, like 08:00-20:00 or 20:00-08:00"}}));
  EXPECT_EQ(call("PUT", "gate", R"([{"tier": "household", "rights": ["live"]}])").first, 400);
  EXPECT_EQ(call("PUT", "gate", R"({"tier": "village"})").first, 400);
  EXPECT_EQ(call("PUT", "gate", "[" + std::string(20000, ' ') + "]"),
            std::pair(413, nlohmann::json{{"error", "shares: body larger than 16 KiB"}}));
  // Admins only; a camera that does not exist is 404.
  EXPECT_EQ(call("PUT", "gate", "[]", access::Role::kOperator).first, 403);
  EXPECT_EQ(call("GET", "gate", "", access::Role::kViewer).first, 403);
  EXPECT_EQ(call("PUT", "attic", "[]"), std::pair(404, nlohmann::json{{"error", "no camera \"attic\""}}));
  Request anonymous = request({"PUT", "/api/v1/cameras/gate/shares", Access::kAdmin});
  anonymous.body = "[]";
  EXPECT_EQ(server_->handle(anonymous).status, 401);
  EXPECT_EQ(call("GET", "gate"), std::pair(200, stored));

  // Turning all sharing of a camera off is one call.
  EXPECT_EQ(call("PUT", "gate", "[]"), std::pair(200, nlohmann::json::array()));
  EXPECT_EQ(call("GET", "gate"), std::pair(200, nlohmann::json::array()));

  Request audit = request({"GET", "/api/v1/audit", Access::kAdmin}, tokens_[access::Role::kAdmin]);
  audit.query = "camera=gate";
  auto rows = nlohmann::json::parse(server_->handle(audit).body);
  ASSERT_EQ(rows.size(), 2u);  // newest first
  EXPECT_EQ(rows[0]["action"], "share_change");
  EXPECT_EQ(rows[0]["user"], "adm");
  EXPECT_EQ(rows[0]["detail"], (nlohmann::json{{"shares", nlohmann::json::array()}}));
  EXPECT_EQ(rows[1]["detail"], (nlohmann::json{{"shares", stored}}));
}

}  // namespace
}  // namespace vigil::http

#include "app/node_events.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

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

// `detect = ["motion"]` is a camera without an object stage: its motion
// makes "motion" events; the same motion on a camera detecting persons
// makes none. A camera without `detect` makes none either (its tracker
// waits for settings from the UI that turn detection on).
TEST(NodeEventsTest, AMotionOnlyCameraMakesMotionEvents) {
  Dir dir;
  auto store = detect::EventStore::open((dir.path / "events.db").string()).value();
  std::vector<ConfiguredCamera> configs(3);
  configs[0].camera.id = "yard";
  configs[0].detect.motionOnly = true;
  configs[1].camera.id = "door";
  configs[1].detect.labels = {detect::Label::kPerson};
  configs[2].camera.id = "attic";
  const auto cameras = eventCameras(configs);
  ASSERT_EQ(cameras.size(), 3u);
  NodeEvents events({.store = store.get()}, cameras);
  for (const char* camera : {"yard", "door", "attic"}) {
    auto picture =
        std::make_shared<detect::BgrImage>(detect::BgrImage{320, 180, std::vector<uint8_t>(320 * 180 * 3, 90)});
    events.analyse({.camera = camera, .time = kT0, .motion = {{10, 10, 60, 40}}, .picture = std::move(picture)});
  }
  auto listed = store->list({}).value();
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].camera, "yard");
  EXPECT_EQ(listed[0].label, "motion");
  EXPECT_EQ(store->snapshot(listed[0].id).value().substr(0, 2), "\xff\xd8");
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

// ---------------------------------------------------------------------------
// Against a real mosquitto, with mosquitto_sub as Home Assistant's side.

namespace vigil::app {
namespace {

// A process started with its stdout and stderr to `log`; stopped by its PID.
class Peer {
 public:
  Peer(std::vector<std::string> args, const std::filesystem::path& log) {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    if (posix_spawnp(&pid_, argv[0], &actions, nullptr, argv.data(), environ) != 0) pid_ = 0;
    posix_spawn_file_actions_destroy(&actions);
  }
  ~Peer() {
    if (pid_ == 0) return;
    ::kill(pid_, SIGTERM);
    ::waitpid(pid_, nullptr, 0);
  }
  bool started() const { return pid_ != 0; }
  // Waits for the process to end by itself (its own timeout bounds it).
  void waitExit() {
    if (pid_ != 0) ::waitpid(pid_, nullptr, 0);
    pid_ = 0;
  }

 private:
  pid_t pid_ = 0;
};

std::string readAll(const std::filesystem::path& file) {
  std::ifstream in(file);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Waits (at most 60 s: a bound, not a measurement) until `done` says yes.
bool waitUntil(const std::function<bool()>& done) {
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(50ms);
  }
  return true;
}

uint16_t freePort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

// Home Assistant finds each camera's motion, occupancy and snapshot
// entities (retained); a person's visit is published as new -> update ->
// end with before/after, and the camera's motion, person count and
// snapshot as retained states.
TEST(NodeEventsMqttTest, HomeAssistantEntitiesAndFrigateEventsOnARealBroker) {
  Dir dir;
  const uint16_t port = freePort();
  {
    std::ofstream conf(dir.path / "mosquitto.conf");
    conf << "listener " << port << " 127.0.0.1\nallow_anonymous true\npersistence false\nuser root\n";
  }
  Peer broker({"mosquitto", "-c", (dir.path / "mosquitto.conf").string()}, dir.path / "mosquitto.log");
  ASSERT_TRUE(broker.started());
  ASSERT_TRUE(waitUntil([&] { return readAll(dir.path / "mosquitto.log").find("running") != std::string::npos; }));
  // Line-buffered: what it prints is in its log as it comes.
  const std::vector<std::string> sub = {"stdbuf", "-oL", "mosquitto_sub", "-h", "127.0.0.1", "-p", std::to_string(port)};
  auto subscribe = [&](std::vector<std::string> more, const std::string& name) {
    std::vector<std::string> args = sub;
    args.insert(args.end(), more.begin(), more.end());
    return std::make_unique<Peer>(args, dir.path / name);
  };
  // Events are not retained: the subscriber is in before they come (-d prints its SUBACK).
  auto events = subscribe({"-d", "-t", "vigil/house-1/events", "-F", "EVENT %p"}, "events.log");
  ASSERT_TRUE(waitUntil([&] { return readAll(dir.path / "events.log").find("SUBACK") != std::string::npos; }));

  auto store = detect::EventStore::open((dir.path / "events.db").string()).value();
  notify::NotifyConfig config;
  config.mqtt = "mqtt://127.0.0.1:" + std::to_string(port);
  config.broker = {"127.0.0.1", port};
  auto notifier = notify::Notifier::open(config, {.id = "house-1", .name = "House 1"}).value();
  NodeEvents node({.store = store.get(), .notifier = notifier.get()},
                  {{.id = "door", .tracker = {.quiet = 1s, .refresh = 60s}, .retainDays = 30}});
  node.addDiscovery();
  notifier->start([](const notify::RaiseCommand&) {});

  // --retained-only stops at the first message published after it
  // subscribed: one that subscribes while the node is still publishing sees
  // only part, so it asks again until it sees `count` (bounded: 20 tries).
  auto readRetained = [&](const std::string& topic, int count, const std::string& format) {
    const auto file = dir.path / ("retained-" + std::to_string(count) + ".log");
    std::vector<std::string> args = {"timeout", "10"};
    args.insert(args.end(), sub.begin(), sub.end());
    for (const std::string& a : std::vector<std::string>{"-t", topic, "--retained-only", "-C", std::to_string(count),
                                                         "-W", "5", "-F", format}) {
      args.push_back(a);
    }
    std::filesystem::remove(file);  // a file of an earlier read is not this one's
    auto lines = [&] {
      const std::string out = readAll(file);
      return std::count(out.begin(), out.end(), '\n');
    };
    for (int attempt = 0; attempt < 20 && lines() < count; ++attempt) {
      if (attempt > 0) std::this_thread::sleep_for(250ms);
      Peer once(args, file);
      once.waitExit();
    }
    return readAll(file);
  };
  // The node's two entities and the camera's five.
  const std::string configs = readRetained("homeassistant/#", 7, "%t %p");
  EXPECT_NE(configs.find("homeassistant/binary_sensor/house-1/door_motion/config"), std::string::npos) << configs;
  EXPECT_NE(configs.find("homeassistant/sensor/house-1/door_person/config"), std::string::npos);
  EXPECT_NE(configs.find("homeassistant/sensor/house-1/door_vehicle/config"), std::string::npos);
  EXPECT_NE(configs.find("homeassistant/sensor/house-1/door_animal/config"), std::string::npos);
  EXPECT_NE(configs.find("homeassistant/camera/house-1/door_snapshot/config"), std::string::npos);
  EXPECT_NE(configs.find(R"("state_topic":"vigil/house-1/door/motion")"), std::string::npos);
  EXPECT_NE(configs.find(R"("topic":"vigil/house-1/door/snapshot")"), std::string::npos);

  for (auto [ms, score] : {std::pair{0, 0.6f}, {200, 0.9f}, {400, 0.7f}}) {
    detect::FrameAnalysis a = person(ms, 10 + ms / 20, score);
    a.motion = {{0, 0, 50, 50}};
    node.analyse(a);
  }
  EXPECT_EQ(readRetained("vigil/house-1/door/motion", 1, "%p"), "ON\n");
  EXPECT_EQ(readRetained("vigil/house-1/door/person", 1, "%p"), "1\n");
  EXPECT_EQ(readRetained("vigil/house-1/door/person/snapshot", 1, "%x").substr(0, 4), "ffd8");  // a JPEG
  // Quiet for a second on the camera's clock: the event ends.
  ASSERT_TRUE(waitUntil([&] {
    node.tick(WallTime::fromUnixMicros(0));
    const std::string out = readAll(dir.path / "events.log");
    return out.find(R"("type":"end")") != std::string::npos;
  }));
  std::vector<nlohmann::json> published;
  std::istringstream lines(readAll(dir.path / "events.log"));
  for (std::string line; std::getline(lines, line);) {
    if (line.starts_with("EVENT ")) published.push_back(nlohmann::json::parse(line.substr(6)));
  }
  ASSERT_EQ(published.size(), 3u);
  EXPECT_EQ(published[0]["type"], "new");
  EXPECT_EQ(published[1]["type"], "update");
  EXPECT_EQ(published[2]["type"], "end");
  EXPECT_EQ(published[1]["before"]["top_score"], published[0]["after"]["top_score"]);
  EXPECT_NEAR(published[1]["after"]["top_score"].get<double>(), 0.9, 1e-6);
  EXPECT_EQ(published[2]["before"]["end_time"], nullptr);
  EXPECT_EQ(published[2]["after"]["end_time"], 1'800'000'000.4);
  for (const auto& p : published) EXPECT_EQ(p["after"]["id"], published[0]["after"]["id"]);
  EXPECT_EQ(readRetained("vigil/house-1/door/person", 1, "%p"), "0\n");
  EXPECT_EQ(readRetained("vigil/house-1/door/motion", 1, "%p"), "OFF\n");
  notifier->stop();
}

}  // namespace
}  // namespace vigil::app

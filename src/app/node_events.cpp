#include "app/node_events.h"

#include <fmt/format.h>

#include <boost/asio/post.hpp>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "base/log.h"
#include "detect/snapshot.h"

namespace vigil::app {

namespace {

using json = nlohmann::json;
using detect::EventChange;

constexpr auto kPruneEvery = std::chrono::hours(1);
constexpr const char* kObjectLabels[] = {"person", "vehicle", "animal"};

double unixSeconds(WallTime t) { return static_cast<double>(t.unixMicros()) / 1e6; }

json frigateObject(const detect::DetectionEvent& e) {
  const detect::Box& b = e.box;
  return {{"id", e.id},
          {"camera", e.camera},
          {"frame_time", unixSeconds(e.lastSeen)},
          {"label", e.label},
          {"sub_label", nullptr},
          {"score", e.score},
          {"top_score", e.topScore},
          {"false_positive", false},
          {"start_time", unixSeconds(e.start)},
          {"end_time", e.end ? json(unixSeconds(*e.end)) : json(nullptr)},
          {"box", {b.x, b.y, b.x + b.width, b.y + b.height}},
          {"area", b.width * b.height},
          {"entered_zones", e.zones},
          {"has_snapshot", true},
          {"has_clip", true},
          {"active", !e.end.has_value()}};
}

std::string_view frigateType(EventChange::Kind kind) {
  switch (kind) {
    case EventChange::Kind::kStart: return "new";
    case EventChange::Kind::kUpdate: return "update";
    case EventChange::Kind::kEnd: return "end";
  }
  return "update";
}

}  // namespace

std::string frigateEventJson(const EventChange& change) {
  // Frigate's "new" has the object as both before and after.
  const detect::DetectionEvent& before = change.kind == EventChange::Kind::kStart ? change.after : change.before;
  return json{{"type", frigateType(change.kind)}, {"before", frigateObject(before)}, {"after", frigateObject(change.after)}}
      .dump();
}

NodeEvents::NodeEvents(NodeEventsContext context, const std::vector<EventCamera>& cameras)
    : context_(std::move(context)) {
  for (const EventCamera& c : cameras) cameras_.emplace(c.id, std::make_unique<Camera>(c));
}

NodeEvents::~NodeEvents() = default;

void NodeEvents::addDiscovery() {
  notify::Notifier* n = context_.notifier;
  if (!n) return;
  for (const auto& [id, camera] : cameras_) {
    {
      MutexLock lock(camera->mutex);
      publishStates(*camera);  // motion OFF, no one there: until an analysis says otherwise
    }
    n->addDiscovery("binary_sensor", id + "_motion",
                    json{{"name", id + " motion"},
                         {"device_class", "motion"},
                         {"state_topic", n->topic(id + "/motion")},
                         {"payload_on", "ON"},
                         {"payload_off", "OFF"}}
                        .dump());
    for (const char* label : kObjectLabels) {
      n->addDiscovery("sensor", fmt::format("{}_{}", id, label),
                      json{{"name", fmt::format("{} {} count", id, label)},
                           {"state_topic", n->topic(fmt::format("{}/{}", id, label))},
                           {"state_class", "measurement"}}
                          .dump());
    }
    n->addDiscovery("camera", id + "_snapshot",
                    json{{"name", id + " snapshot"}, {"topic", n->topic(id + "/snapshot")}}.dump());
  }
}

void NodeEvents::analyse(const detect::FrameAnalysis& analysis) {
  auto it = cameras_.find(analysis.camera);
  if (it == cameras_.end()) return;
  Camera& camera = *it->second;
  MutexLock lock(camera.mutex);
  camera.lastFrame = analysis.time;
  camera.lastArrival = std::chrono::steady_clock::now();
  apply(camera, camera.tracker.analyse(analysis));
  publishStates(camera);
}

void NodeEvents::configure(const std::string& camera, const detect::CameraDetectConfig& config) {
  auto it = cameras_.find(camera);
  if (it == cameras_.end()) return;
  MutexLock lock(it->second->mutex);
  it->second->tracker.reconfigure(config.zones, !config.motionOnly);
}

void NodeEvents::tick(WallTime now) {
  const auto steadyNow = std::chrono::steady_clock::now();
  for (const auto& [id, camera] : cameras_) {
    MutexLock lock(camera->mutex);
    if (camera->lastFrame == WallTime()) continue;  // never analysed: nothing to end
    // The camera's clock now, as far as the node can tell.
    const WallTime cameraNow = camera->lastFrame + std::chrono::duration_cast<std::chrono::microseconds>(
                                                        steadyNow - camera->lastArrival);
    apply(*camera, camera->tracker.expire(cameraNow));
    publishStates(*camera);
  }
  {
    MutexLock lock(pruneMutex_);
    if (now - lastPrune_ < kPruneEvery) return;
    lastPrune_ = now;
  }
  for (const auto& [id, camera] : cameras_) {
    if (camera->retainDays <= 0) continue;
    auto pruned = context_.store->prune(id, now + -std::chrono::microseconds(std::chrono::hours(24) * camera->retainDays));
    if (!pruned) {
      log::error("detect.events.prune_failed", {{"camera", id}, {"error", pruned.status()}});
    } else if (*pruned > 0) {
      log::info("detect.events.pruned", {{"camera", id}, {"events", *pruned}});
    }
  }
}

void NodeEvents::apply(Camera& camera, std::vector<EventChange> changes) {
  for (EventChange& change : changes) {
    const detect::DetectionEvent& e = change.after;
    std::optional<std::string> snapshot;
    if (change.topPicture) {
      auto jpeg = detect::boxedPictureToJpeg(*change.topPicture, e.topBox);
      if (jpeg) {
        snapshot = std::move(*jpeg);
      } else {
        log::warn("detect.events.snapshot_failed", {{"event", e.id}, {"error", jpeg.status()}});
      }
    }
    if (Status s = context_.store->write(e, snapshot); !s.isOk()) {
      log::error("detect.events.not_stored", {{"event", e.id}, {"camera", camera.id}, {"error", s}});
    }
    if (change.kind == EventChange::Kind::kStart) {
      log::info("detect.event.start", {{"event", e.id}, {"camera", camera.id}, {"label", e.label}});
    } else if (change.kind == EventChange::Kind::kEnd) {
      log::info("detect.event.end", {{"event", e.id}, {"camera", camera.id}, {"label", e.label}});
    }
    // The recording opens with the camera's first open event and closes
    // with its last (storage adds the pre- and post-roll). A manual event
    // already open (POST .../events) is left as it is.
    const int wasOpen = camera.open;
    if (change.kind == EventChange::Kind::kStart) ++camera.open;
    if (change.kind == EventChange::Kind::kEnd) --camera.open;
    if (camera.recordsEvents && context_.setEventOpen && (wasOpen == 0) != (camera.open == 0)) {
      if (Status s = context_.setEventOpen(camera.id, camera.open > 0); !s.isOk()) {
        log::info("detect.events.recording_unchanged", {{"camera", camera.id}, {"reason", s.message()}});
      }
    }
    tell(change, snapshot);
  }
}

void NodeEvents::endLeftOpen(const std::vector<detect::DetectionEvent>& closed) {
  for (const detect::DetectionEvent& e : closed) {
    EventChange change{.kind = EventChange::Kind::kEnd, .before = e, .after = e};
    change.before.end.reset();
    log::info("detect.event.end", {{"event", e.id}, {"camera", e.camera}, {"label", e.label}, {"left_open", true}});
    tell(change, std::nullopt);
  }
}

void NodeEvents::tell(const EventChange& change, const std::optional<std::string>& snapshot) {
  notify::Notifier* n = context_.notifier;
  if (!n) return;
  const detect::DetectionEvent& e = change.after;
  // The same id for the same change, also when told again after a restart.
  const notify::Event event{.id = fmt::format("{}.{}.{}", e.id, frigateType(change.kind), e.lastSeen.unixMicros()),
                            .topic = "events",
                            .json = frigateEventJson(change)};
  if (Status s = n->publish(event); !s.isOk()) {
    log::error("notify.not_queued", {{"event", e.id}, {"error", s}});
  }
  if (snapshot) {
    if (e.label != "motion") n->setState(fmt::format("{}/{}/snapshot", e.camera, e.label), *snapshot);
    n->setState(e.camera + "/snapshot", *snapshot);
  }
}

void NodeEvents::publishStates(Camera& camera) {
  notify::Notifier* n = context_.notifier;
  if (!n) return;
  if (camera.motion != camera.tracker.motion()) {
    camera.motion = camera.tracker.motion();
    n->setState(camera.id + "/motion", *camera.motion ? "ON" : "OFF");
  }
  std::map<std::string, int> occupancy = camera.tracker.occupancy();
  for (const char* label : kObjectLabels) occupancy.try_emplace(label, 0);
  if (occupancy == camera.occupancy) return;
  for (const auto& [label, count] : occupancy) {
    auto was = camera.occupancy.find(label);
    if (was == camera.occupancy.end() || was->second != count) {
      n->setState(fmt::format("{}/{}", camera.id, label), std::to_string(count));
    }
  }
  camera.occupancy = std::move(occupancy);
}

std::vector<EventCamera> eventCameras(const std::vector<ConfiguredCamera>& cameras) {
  std::vector<EventCamera> out;
  for (const auto& [camera, recording, detect] : cameras) {
    out.push_back({.id = camera.id,
                   .tracker = {.zones = detect.zones, .objectStage = !detect.motionOnly},
                   .retainDays = recording.retainDays,
                   .recordsEvents = recording.record == storage::RecordMode::kEvents});
  }
  return out;
}

Result<std::unique_ptr<NodeEventsRunner>> NodeEventsRunner::open(const std::string& dataDir,
                                                                 std::vector<ConfiguredCamera>& cameras,
                                                                 notify::Notifier* notifier) {
  auto store = detect::EventStore::open((std::filesystem::path(dataDir) / "events.db").string());
  if (!store) return store.status();
  auto closed = (*store)->closeLeftOpen();
  if (!closed) return closed.status();
  auto settings = DetectionSettings::load(**store, cameras);
  if (!settings) return settings.status();
  std::unique_ptr<NodeEventsRunner> runner(
      new NodeEventsRunner(std::move(*store), std::move(*settings), cameras, notifier));
  runner->events_.addDiscovery();
  runner->events_.endLeftOpen(*closed);
  return runner;
}

NodeEventsRunner::NodeEventsRunner(std::unique_ptr<detect::EventStore> store,
                                   std::unique_ptr<DetectionSettings> settings,
                                   const std::vector<ConfiguredCamera>& cameras, notify::Notifier* notifier)
    : store_(std::move(store)),
      settings_(std::move(settings)),
      events_({.store = store_.get(),
               .setEventOpen =
                   [this](const std::string& camera, bool open) {
                     Node* node = node_.load();
                     return node ? node->setEventOpen(camera, open) : Status::unavailable("the node is not running");
                   },
               .notifier = notifier},
              eventCameras(cameras)) {
  for (const auto& [camera, recording, detect] : cameras) {
    clipRolls_[camera.id] = {std::chrono::seconds(recording.preRollSeconds),
                             std::chrono::seconds(recording.postRollSeconds)};
  }
}

NodeEventsRunner::~NodeEventsRunner() = default;

NodeDetection NodeEventsRunner::detection(const detect::DetectConfig& config) {
  return {.config = config,
          .sink = [this](const detect::FrameAnalysis& a) { events_.analyse(a); },
          .configurable = true};
}

http::ClipRoll NodeEventsRunner::clipRoll(const std::string& camera) const {
  auto it = clipRolls_.find(camera);
  return it == clipRolls_.end() ? http::ClipRoll{} : it->second;
}

void NodeEventsRunner::start(EventLoopPool& loops, Node& node) {
  node_ = &node;
  timer_ = std::make_unique<boost::asio::steady_timer>(loops.loop(0));
  boost::asio::post(loops.loop(0), [this] { tickLater(); });
}

void NodeEventsRunner::stop() {
  stopped_ = true;
  if (timer_) timer_->cancel();
}

void NodeEventsRunner::tickLater() {
  if (stopped_) return;
  timer_->expires_after(std::chrono::seconds(1));
  timer_->async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    events_.tick(SystemClock().now());
    tickLater();
  });
}

}  // namespace vigil::app

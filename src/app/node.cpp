#include "app/node.h"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <future>
#include <map>
#include <set>

#include "base/log.h"
#include "detect/pipeline.h"
#include "detect/stream_switch.h"
#include "mask/masker.h"
#include "mask/masking_sink.h"
#include "storage/event_recorder.h"

namespace vigil::app {

namespace {
constexpr auto kShutdownGrace = std::chrono::milliseconds(500);
// In a camera's reason while its storage directory is full.
constexpr const char* kStorageFull = "storage full: recording stopped until retention frees space";

// Until the event tracker takes them: what detection saw, when it saw something.
void logAnalysis(const detect::FrameAnalysis& analysis) {
  if (analysis.motion.empty() && analysis.objects.empty()) return;
  const detect::Box& first = analysis.motion.empty() ? analysis.objects[0].box : analysis.motion[0];
  log::debug("detect.analysis", {{"camera", analysis.camera},
                                 {"motion", analysis.motion.size()},
                                 {"objects", analysis.objects.size()},
                                 {"box", fmt::format("{}x{}+{}+{}", first.width, first.height, first.x, first.y)},
                                 {"dropped", analysis.droppedFrames}});
}

}  // namespace

// A camera with record = "events": its event recorder, opened and closed
// from any thread, fed frames on the camera's loop.
struct Node::Events {
  Events(const std::string& id, storage::EventRecorderOptions options, storage::Store& store)
      : recorder(id, options), output(store, id) {}
  storage::EventRecorder recorder;
  storage::StoreOutput output;
};

// One stream's frames (a camera's main or sub stream) go first to the
// live registry (viewers wait on it), then to recording, then to
// detection; where to is resolved once, not looked up by the camera's id
// per frame. Called on the stream's loop only. Neither the store's queue
// nor detection's ever blocks it. With a sub stream, the camera's
// StreamSwitch picks which of the two detection reads.
class Node::CameraSink final : public camera::FrameSink {
 public:
  CameraSink(media::LiveRegistry& registry, std::shared_ptr<media::LiveStream> live, storage::Store* store,
             Events* events, detect::Pipeline* detection, detect::Pipeline::Camera* detected,
             detect::StreamSwitch* streamSwitch = nullptr, detect::StreamKind kind = detect::StreamKind::kMain)
      : registry_(registry),
        live_(std::move(live)),
        store_(store),
        events_(events),
        detection_(detection),
        detected_(detected),
        switch_(streamSwitch),
        kind_(kind) {}

  detect::Pipeline::Camera* detected() const { return detected_; }

  void onFrame(const std::string& cameraId, const media::SharedFrame& frame, bool newSegment) override {
    live_->publish(frame, newSegment);
    if (store_) {
      // At the first frame: a stream is given its directory when it first
      // records (Store::storageFull is false until then).
      if (!input_) input_ = store_->input(cameraId);
      if (input_) store_->append(*input_, frame, newSegment);
    } else if (events_) {
      events_->recorder.onFrame(*frame, newSegment, events_->output);
    }
    if (detected_) {
      bool segment = newSegment;
      if (!switch_ || switch_->take(kind_, *frame, std::chrono::steady_clock::now(), segment)) {
        detection_->push(*detected_, frame, segment);
      }
    }
  }

  // Audio goes to its own live stream (made at its first frame: a camera
  // without audio has none) and is recorded beside the video, continuously
  // or with the video's events (design/STORAGE.md, "Audio").
  void onAudio(const std::string& cameraId, const media::SharedFrame& frame, bool newSegment) override {
    if (kind_ == detect::StreamKind::kSub) return;  // the camera's sound is its main stream's
    if (!liveAudio_) liveAudio_ = registry_.stream(media::liveAudioStreamOf(cameraId));
    liveAudio_->publish(frame, newSegment);
    if (store_) {
      if (!audioInput_) audioInput_ = store_->input(storage::audioStreamOf(cameraId));
      if (audioInput_) store_->append(*audioInput_, frame, newSegment);
    } else if (events_) {
      events_->recorder.onAudio(*frame, newSegment, events_->output);
    }
  }

  // A viewer or a snapshot from now on starts at the next session's first
  // keyframe, never at a picture from before the camera's outage. What
  // was recorded stays: that is the past, kept as it came.
  void onSessionEnd(const std::string& /*cameraId*/) override {
    live_->dropCache();
    if (liveAudio_) liveAudio_->dropCache();
  }

 private:
  media::LiveRegistry& registry_;
  const std::shared_ptr<media::LiveStream> live_;
  std::shared_ptr<media::LiveStream> liveAudio_;
  storage::Store* const store_;  // null unless recorded continuously
  storage::DirWriter::Input* input_ = nullptr;
  storage::DirWriter::Input* audioInput_ = nullptr;
  Events* const events_;  // null unless recorded in events mode
  detect::Pipeline* const detection_;
  detect::Pipeline::Camera* const detected_;  // null unless the camera detects or may
  detect::StreamSwitch* const switch_;        // null without a sub stream
  const detect::StreamKind kind_;
};

// Destroyed in member order reversed: the camera first, then its sinks.
struct Node::Slot {
  std::string id;
  boost::asio::io_context* loop = nullptr;
  bool recorded = false;           // continuously or in events mode
  bool subRecorded = false;        // its sub stream too (record_sub)
  std::unique_ptr<Events> events;  // record = "events"
  std::unique_ptr<detect::StreamSwitch> detectSwitch;  // with a sub stream
  std::unique_ptr<CameraSink> sink;
  std::unique_ptr<mask::MaskingSink> masking;  // with masks `applies = "all"`: before the sink
  std::unique_ptr<camera::Camera> camera;
  // The sub stream (`sub_url`), on the same loop; all null without one.
  std::unique_ptr<CameraSink> subSink;
  std::unique_ptr<mask::MaskingSink> subMasking;
  std::unique_ptr<camera::Camera> subCamera;
};

Node::Node(EventLoopPool& loops, std::vector<ConfiguredCamera> cameras, storage::Store* store,
           camera::CameraOptions options, NodeDetection detection)
    : loops_(loops), store_(store), options_(options) {
  const bool configurable = detection.configurable;
  if (configurable ||
      std::any_of(cameras.begin(), cameras.end(), [](const ConfiguredCamera& c) { return c.detect.enabled(); })) {
    if (!detection.sink) detection.sink = logAnalysis;
    detection_ = std::make_unique<detect::Pipeline>(detection.config, std::move(detection.sink));
  }
  for (const auto& [config, recording, detect] : cameras) {
    for (const detect::Mask& m : detect.masks) {
      masks_[config.id].push_back(m.polygon);
      if (m.applies != detect::Mask::Applies::kAll) sharedMasks_[config.id].push_back(m.polygon);
    }
    // The pipeline takes its cameras before it starts: these are all it
    // will have (design/CAMERAS.md, invariant 4).
    if (configurable || detect.enabled()) detected_[config.id] = &detection_->addCamera(config.id, detect);
  }
  MutexLock lock(slotsMutex_);
  for (auto& camera : cameras) slots_.push_back(makeSlot(std::move(camera)));
}

std::shared_ptr<Node::Slot> Node::makeSlot(ConfiguredCamera c) {
  auto& [config, recording, detect] = c;
  auto slot = std::make_shared<Slot>();
  slot->id = config.id;
  slot->loop = &loops_.next();
  storage::Store* continuous = nullptr;
  if (store_ && recording.record == storage::RecordMode::kContinuous) continuous = store_;
  if (store_ && recording.record == storage::RecordMode::kEvents) {
    const storage::EventRecorderOptions options{
        .preRoll = MediaDuration(recording.preRollSeconds * MediaDuration::kTicksPerSecond),
        .postRoll = MediaDuration(recording.postRollSeconds * MediaDuration::kTicksPerSecond)};
    slot->events = std::make_unique<Events>(config.id, options, *store_);
  }
  slot->recorded = continuous != nullptr || slot->events != nullptr;
  detect::Pipeline::Camera* detected = nullptr;
  if (auto it = detected_.find(config.id); it != detected_.end()) {
    detected = it->second;
    detection_->configure(*detected, detect);
  } else if (detect.enabled()) {
    log::warn("detect.camera_not_started", {{"camera", config.id}, {"reason", "added while running: detects from the next start"}});
  }
  const bool hasSub = !config.subUrl.empty();
  if (hasSub) slot->detectSwitch = std::make_unique<detect::StreamSwitch>();
  slot->sink = std::make_unique<CameraSink>(live_, live_.stream(config.id), continuous, slot->events.get(),
                                            detection_.get(), detected, slot->detectSwitch.get(),
                                            detect::StreamKind::kMain);
  std::vector<detect::Polygon> maskAll;
  for (const detect::Mask& m : detect.masks) {
    if (m.applies == detect::Mask::Applies::kAll) maskAll.push_back(m.polygon);
  }
  // Masks `applies = "all"` (in picture coordinates) mask both streams.
  auto masked = [&](std::unique_ptr<mask::MaskingSink>& masking, CameraSink& sink) -> camera::FrameSink* {
    if (maskAll.empty()) return &sink;
    {
      MutexLock lock(maskingMutex_);
      if (!masking_) masking_ = std::make_unique<boost::asio::thread_pool>(mask::defaultThreads());
    }
    masking = std::make_unique<mask::MaskingSink>(*masking_, maskAll, sink);
    return masking.get();
  };
  if (hasSub) {
    camera::CameraConfig sub = camera::subStreamConfig(config);
    slot->subRecorded = continuous != nullptr && recording.recordSub;
    slot->subSink = std::make_unique<CameraSink>(live_, live_.stream(sub.id), slot->subRecorded ? store_ : nullptr, nullptr,
                                                 detection_.get(), detected, slot->detectSwitch.get(),
                                                 detect::StreamKind::kSub);
    slot->subCamera = std::make_unique<camera::Camera>(*slot->loop, std::move(sub),
                                                       masked(slot->subMasking, *slot->subSink), options_);
  }
  slot->camera = std::make_unique<camera::Camera>(*slot->loop, std::move(config), masked(slot->masking, *slot->sink),
                                                  options_);
  return slot;
}

Node::~Node() {
  if (detection_) detection_->stop();
  // Cameras must be destroyed on their loops when those still run; after
  // the loops stopped, no handler can race with the destructor.
  MutexLock lock(slotsMutex_);
  for (auto& slot : slots_) {
    slot->subCamera.reset();
    slot->camera.reset();
  }
}

std::vector<std::shared_ptr<Node::Slot>> Node::slots() const {
  MutexLock lock(slotsMutex_);
  return slots_;
}

std::shared_ptr<Node::Slot> Node::slot(const std::string& id) const {
  MutexLock lock(slotsMutex_);
  auto it = std::find_if(slots_.begin(), slots_.end(), [&](const auto& s) { return s->id == id; });
  return it == slots_.end() ? nullptr : *it;
}

void Node::start() {
  if (detection_) detection_->start();
  for (auto& slot : slots()) startCameras(*slot);
}

void Node::shutdown(std::function<void()> done) {
  for (auto& slot : slots()) {
    boost::asio::post(*slot->loop, [c = slot->camera.get()] { c->stop(); });
    if (slot->subCamera) boost::asio::post(*slot->loop, [c = slot->subCamera.get()] { c->stop(); });
  }
  auto timer = std::make_shared<boost::asio::steady_timer>(loops_.loop(0), kShutdownGrace);
  timer->async_wait([timer, done = std::move(done)](const boost::system::error_code&) { done(); });
}

void Node::startCameras(const Slot& slot) {
  boost::asio::post(*slot.loop, [c = slot.camera.get()] { c->start(); });
  if (slot.subCamera) boost::asio::post(*slot.loop, [c = slot.subCamera.get()] { c->start(); });
}

Status Node::addCamera(ConfiguredCamera camera) {
  const std::string id = camera.camera.id;
  std::shared_ptr<Slot> added;
  {
    MutexLock lock(slotsMutex_);
    if (std::any_of(slots_.begin(), slots_.end(), [&](const auto& s) { return s->id == id; })) {
      return Status::alreadyExists(fmt::format("camera \"{}\" is already running", id));
    }
    added = makeSlot(std::move(camera));
    slots_.push_back(added);
  }
  startCameras(*added);
  log::info("node.camera_added", {{"camera", id}});
  return Status::ok();
}

Status Node::removeCamera(const std::string& id, std::function<void()> done) {
  std::shared_ptr<Slot> removed;
  {
    MutexLock lock(slotsMutex_);
    auto it = std::find_if(slots_.begin(), slots_.end(), [&](const auto& s) { return s->id == id; });
    if (it == slots_.end()) return Status::notFound(fmt::format("no camera \"{}\"", id));
    removed = std::move(*it);
    slots_.erase(it);
  }
  // On its loop: stopped (it sends TEARDOWN), then destroyed after the
  // grace period, camera before sinks; its last recording is sealed.
  boost::asio::post(*removed->loop, [this, removed, done = std::move(done)]() mutable {
    removed->camera->stop();
    if (removed->subCamera) removed->subCamera->stop();
    auto timer = std::make_shared<boost::asio::steady_timer>(*removed->loop, kShutdownGrace);
    timer->async_wait([this, timer, removed = std::move(removed), done = std::move(done)](
                          const boost::system::error_code&) mutable {
      const std::string id = removed->id;
      const bool recorded = removed->recorded;
      const bool subRecorded = removed->subRecorded;
      removed.reset();
      if (recorded) store_->endSegment(id);
      if (subRecorded) store_->endSegment(camera::subStreamId(id));
      log::info("node.camera_removed", {{"camera", id}});
      if (done) done();
    });
  });
  return Status::ok();
}

std::vector<camera::CameraStatus> Node::cameraStatuses() const {
  std::vector<camera::CameraStatus> out;
  for (const auto& slot : slots()) {
    camera::CameraStatus status = slot->camera->status();
    if (slot->recorded && store_->storageFull(status.id)) {
      status.reason = status.reason.empty() ? kStorageFull : status.reason + "; " + kStorageFull;
      // A camera's own reason (it is dark) comes first.
      if (status.reasonCode == camera::ReasonCode::kNone) status.reasonCode = camera::ReasonCode::kStorageFull;
    }
    if (slot->sink->detected() && detection_->detects(*slot->sink->detected())) {
      const detect::Pipeline::Counts counts = detection_->counts(status.id);
      status.detecting = true;
      status.detectFramesAnalysed = counts.analysed;
      status.detectFramesDropped = counts.dropped;
      status.detectStream =
          detect::streamKindName(slot->detectSwitch ? slot->detectSwitch->current() : detect::StreamKind::kMain);
    }
    if (slot->subCamera) {
      const camera::CameraStatus sub = slot->subCamera->status();
      status.sub = camera::CameraStatus::SubStream{.state = sub.state,
                                                   .reason = sub.reason,
                                                   .codec = sub.codec,
                                                   .width = sub.width,
                                                   .height = sub.height,
                                                   .fps = sub.fps};
    }
    out.push_back(std::move(status));
  }
  return out;
}

std::string Node::liveStreamId(const std::string& cameraId, bool sub) const {
  if (!sub) return cameraId;
  const std::shared_ptr<Slot> s = slot(cameraId);
  if (!s || !s->subCamera) return cameraId;
  return s->subCamera->status().state == camera::CameraState::kStreaming ? s->subCamera->id() : cameraId;
}

bool Node::hasCamera(const std::string& id) const { return slot(id) != nullptr; }

std::vector<std::string> Node::recordedCameras() const {
  std::vector<std::string> out;
  for (const auto& slot : slots()) {
    if (slot->recorded) out.push_back(slot->id);
  }
  return out;
}

Status Node::setEventOpen(const std::string& cameraId, bool open) {
  const std::shared_ptr<Slot> s = slot(cameraId);
  if (!s) return Status::notFound(fmt::format("no camera \"{}\"", cameraId));
  if (s->events == nullptr) {
    return Status::failedPrecondition(fmt::format("camera \"{}\" is not recorded in events mode", cameraId));
  }
  if (open ? !s->events->recorder.open() : !s->events->recorder.close()) {
    return Status::failedPrecondition(open ? "an event is already open" : "no event is open");
  }
  return Status::ok();
}

Status Node::configureDetection(const std::string& cameraId, detect::CameraDetectConfig config) {
  const std::shared_ptr<Slot> s = slot(cameraId);
  if (!s) return Status::notFound(fmt::format("no camera \"{}\"", cameraId));
  detect::Pipeline::Camera* detected = s->sink->detected();
  if (detected == nullptr) {
    return Status::failedPrecondition(fmt::format("camera \"{}\" was started without detection", cameraId));
  }
  detection_->configure(*detected, std::move(config));
  return Status::ok();
}

}  // namespace vigil::app

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

// What each camera records to: the store (record = "continuous") or its
// event recorder (record = "events").
class Node::Recording {
 public:
  struct Events {
    Events(const std::string& id, storage::EventRecorderOptions options, storage::Store& store)
        : recorder(id, options), output(store, id) {}
    storage::EventRecorder recorder;  // open/close from any thread, frames on the camera's loop
    storage::StoreOutput output;
  };

  Recording(storage::Store* store, const std::vector<ConfiguredCamera>& cameras) : store_(store) {
    if (!store_) return;
    for (const auto& [camera, recording, detect] : cameras) {
      if (recording.record == storage::RecordMode::kContinuous) {
        continuous_.insert(camera.id);
        if (recording.recordSub && !camera.subUrl.empty()) continuous_.insert(camera::subStreamId(camera.id));
      }
      if (recording.record == storage::RecordMode::kEvents) {
        const storage::EventRecorderOptions options{
            .preRoll = MediaDuration(recording.preRollSeconds * MediaDuration::kTicksPerSecond),
            .postRoll = MediaDuration(recording.postRollSeconds * MediaDuration::kTicksPerSecond)};
        events_.emplace(camera.id, std::make_unique<Events>(camera.id, options, *store_));
      }
    }
  }
  // The store, if the stream (a camera's id, or its sub stream's with
  // record_sub) is recorded continuously; else null.
  storage::Store* continuous(const std::string& streamId) const {
    return continuous_.contains(streamId) ? store_ : nullptr;
  }
  // Null unless the camera is recorded in events mode.
  Events* events(const std::string& cameraId) const {
    auto it = events_.find(cameraId);
    return it == events_.end() ? nullptr : it->second.get();
  }
  bool storageFull(const std::string& cameraId) const {
    return (continuous_.contains(cameraId) || events_.contains(cameraId)) && store_->storageFull(cameraId);
  }

 private:
  storage::Store* store_;
  // Both read-only after construction: safe from every loop.
  std::set<std::string> continuous_;  // stream ids
  std::map<std::string, std::unique_ptr<Events>> events_;
};

// One stream's frames (a camera's main or sub stream) go first to the
// live registry (viewers wait on it), then to recording, then to
// detection; where to is resolved once, not looked up by the camera's id
// per frame. Called on the stream's loop only. Neither the store's queue
// nor detection's ever blocks it. With a sub stream, the camera's
// StreamSwitch picks which of the two detection reads.
class Node::CameraSink final : public camera::FrameSink {
 public:
  CameraSink(std::shared_ptr<media::LiveStream> live, storage::Store* store, Recording::Events* events,
             detect::Pipeline* detection, detect::Pipeline::Camera* detected,
             detect::StreamSwitch* streamSwitch = nullptr, detect::StreamKind kind = detect::StreamKind::kMain)
      : live_(std::move(live)),
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

 private:
  const std::shared_ptr<media::LiveStream> live_;
  storage::Store* const store_;  // null unless recorded continuously
  storage::DirWriter::Input* input_ = nullptr;
  Recording::Events* const events_;  // null unless recorded in events mode
  detect::Pipeline* const detection_;
  detect::Pipeline::Camera* const detected_;  // null unless the camera detects or may
  detect::StreamSwitch* const switch_;        // null without a sub stream
  const detect::StreamKind kind_;
};

struct Node::Slot {
  boost::asio::io_context* loop;
  std::unique_ptr<detect::StreamSwitch> detectSwitch;  // with a sub stream
  std::unique_ptr<CameraSink> sink;
  std::unique_ptr<mask::MaskingSink> masking;  // with masks `applies = "all"`: before the sink
  std::unique_ptr<camera::Camera> camera;  // destroyed before its sinks
  // The sub stream (`sub_url`), on the same loop; all null without one.
  std::unique_ptr<CameraSink> subSink;
  std::unique_ptr<mask::MaskingSink> subMasking;
  std::unique_ptr<camera::Camera> subCamera;
};

Node::Node(EventLoopPool& loops, std::vector<ConfiguredCamera> cameras, storage::Store* store,
           camera::CameraOptions options, NodeDetection detection)
    : loops_(loops),
      recording_(std::make_unique<Recording>(store, cameras)) {
  const bool configurable = detection.configurable;
  if (configurable ||
      std::any_of(cameras.begin(), cameras.end(), [](const ConfiguredCamera& c) { return c.detect.enabled(); })) {
    if (!detection.sink) detection.sink = logAnalysis;
    detection_ = std::make_unique<detect::Pipeline>(detection.config, std::move(detection.sink));
  }
  for (auto& [config, recording, detect] : cameras) {
    std::vector<detect::Polygon> maskAll;
    for (const detect::Mask& m : detect.masks) {
      masks_[config.id].push_back(m.polygon);
      (m.applies == detect::Mask::Applies::kAll ? maskAll : sharedMasks_[config.id]).push_back(m.polygon);
    }
    auto slot = std::make_unique<Slot>();
    slot->loop = &loops_.next();
    detect::Pipeline::Camera* detected =
        configurable || detect.enabled() ? &detection_->addCamera(config.id, detect) : nullptr;
    const bool hasSub = !config.subUrl.empty();
    if (hasSub) slot->detectSwitch = std::make_unique<detect::StreamSwitch>();
    slot->sink = std::make_unique<CameraSink>(live_.stream(config.id), recording_->continuous(config.id),
                                              recording_->events(config.id), detection_.get(), detected,
                                              slot->detectSwitch.get(), detect::StreamKind::kMain);
    // Masks `applies = "all"` (in picture coordinates) mask both streams.
    auto masked = [&](std::unique_ptr<mask::MaskingSink>& masking, CameraSink& sink) -> camera::FrameSink* {
      if (maskAll.empty()) return &sink;
      if (!masking_) masking_ = std::make_unique<boost::asio::thread_pool>(mask::defaultThreads());
      masking = std::make_unique<mask::MaskingSink>(*masking_, maskAll, sink);
      return masking.get();
    };
    if (hasSub) {
      camera::CameraConfig sub = camera::subStreamConfig(config);
      slot->subSink = std::make_unique<CameraSink>(live_.stream(sub.id), recording_->continuous(sub.id), nullptr,
                                                   detection_.get(), detected, slot->detectSwitch.get(),
                                                   detect::StreamKind::kSub);
      slot->subCamera = std::make_unique<camera::Camera>(*slot->loop, std::move(sub),
                                                         masked(slot->subMasking, *slot->subSink), options);
    }
    slot->camera = std::make_unique<camera::Camera>(*slot->loop, std::move(config),
                                                    masked(slot->masking, *slot->sink), options);
    slots_.push_back(std::move(slot));
  }
}

Node::~Node() {
  if (detection_) detection_->stop();
  // Cameras must be destroyed on their loops when those still run; after
  // the loops stopped, no handler can race with the destructor.
  for (auto& slot : slots_) {
    slot->subCamera.reset();
    slot->camera.reset();
  }
}

void Node::start() {
  if (detection_) detection_->start();
  for (auto& slot : slots_) {
    boost::asio::post(*slot->loop, [c = slot->camera.get()] { c->start(); });
    if (slot->subCamera) boost::asio::post(*slot->loop, [c = slot->subCamera.get()] { c->start(); });
  }
}

void Node::shutdown(std::function<void()> done) {
  for (auto& slot : slots_) {
    boost::asio::post(*slot->loop, [c = slot->camera.get()] { c->stop(); });
    if (slot->subCamera) boost::asio::post(*slot->loop, [c = slot->subCamera.get()] { c->stop(); });
  }
  auto timer = std::make_shared<boost::asio::steady_timer>(loops_.loop(0), kShutdownGrace);
  timer->async_wait([timer, done = std::move(done)](const boost::system::error_code&) { done(); });
}

std::vector<camera::CameraStatus> Node::cameraStatuses() const {
  std::vector<camera::CameraStatus> out;
  out.reserve(slots_.size());
  for (const auto& slot : slots_) {
    camera::CameraStatus status = slot->camera->status();
    if (recording_->storageFull(status.id)) {
      status.reason = status.reason.empty() ? kStorageFull : status.reason + "; " + kStorageFull;
      // A camera's own reason (it is dark) comes first.
      if (status.reasonCode == camera::ReasonCode::kNone) status.reasonCode = camera::ReasonCode::kStorageFull;
    }
    if (slot->sink->detected() && detection_->detects(*slot->sink->detected())) {
      const detect::Pipeline::Counts counts = detection_->counts(status.id);
      status.detecting = true;
      status.detectFramesAnalysed = counts.analysed;
      status.detectFramesDropped = counts.dropped;
      status.detectStream = detect::streamKindName(
          slot->detectSwitch ? slot->detectSwitch->current() : detect::StreamKind::kMain);
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
  auto slot = std::find_if(slots_.begin(), slots_.end(), [&](const auto& s) { return s->camera->id() == cameraId; });
  if (slot == slots_.end() || !(*slot)->subCamera) return cameraId;
  return (*slot)->subCamera->status().state == camera::CameraState::kStreaming ? (*slot)->subCamera->id() : cameraId;
}

bool Node::hasCamera(const std::string& id) const {
  return std::any_of(slots_.begin(), slots_.end(), [&](const auto& slot) { return slot->camera->id() == id; });
}

Status Node::setEventOpen(const std::string& cameraId, bool open) {
  if (!hasCamera(cameraId)) return Status::notFound(fmt::format("no camera \"{}\"", cameraId));
  Recording::Events* events = recording_->events(cameraId);
  if (events == nullptr) {
    return Status::failedPrecondition(fmt::format("camera \"{}\" is not recorded in events mode", cameraId));
  }
  if (open ? !events->recorder.open() : !events->recorder.close()) {
    return Status::failedPrecondition(open ? "an event is already open" : "no event is open");
  }
  return Status::ok();
}

Status Node::configureDetection(const std::string& cameraId, detect::CameraDetectConfig config) {
  auto slot = std::find_if(slots_.begin(), slots_.end(), [&](const auto& s) { return s->camera->id() == cameraId; });
  if (slot == slots_.end()) return Status::notFound(fmt::format("no camera \"{}\"", cameraId));
  detect::Pipeline::Camera* detected = (*slot)->sink->detected();
  if (detected == nullptr) {
    return Status::failedPrecondition(fmt::format("camera \"{}\" was started without detection", cameraId));
  }
  detection_->configure(*detected, std::move(config));
  return Status::ok();
}

}  // namespace vigil::app

#include "app/node.h"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <future>
#include <map>
#include <set>

#include "base/log.h"
#include "storage/event_recorder.h"

namespace vigil::app {

namespace {
constexpr auto kShutdownGrace = std::chrono::milliseconds(500);
// In a camera's reason while its storage directory is full.
constexpr const char* kStorageFull = "storage full: recording stopped until retention frees space";

}  // namespace

// Hands the frames of recording cameras to the store; the store's queue
// never blocks a camera's loop. Cameras in events mode go through their
// event recorder.
class Node::RecordingSink final : public camera::FrameSink {
 public:
  RecordingSink(storage::Store* store, const std::vector<CameraConfig>& cameras) : store_(store) {
    if (!store_) return;
    for (const CameraConfig& c : cameras) {
      if (c.record == RecordMode::kContinuous) recording_.insert(c.id);
      if (c.record == RecordMode::kEvents) {
        const storage::EventRecorderOptions options{
            .preRoll = MediaDuration(c.preRollSeconds * MediaDuration::kTicksPerSecond),
            .postRoll = MediaDuration(c.postRollSeconds * MediaDuration::kTicksPerSecond)};
        events_.emplace(c.id, std::make_unique<Events>(c.id, options, *store_));
      }
    }
  }
  void onFrame(const std::string& cameraId, const media::SharedFrame& frame, bool newSegment) override {
    if (recording_.contains(cameraId)) {
      store_->append(cameraId, frame, newSegment);
    } else if (auto it = events_.find(cameraId); it != events_.end()) {
      it->second->recorder.onFrame(*frame, newSegment, it->second->output);
    }
  }
  // Null unless the camera is recorded in events mode.
  storage::EventRecorder* recorder(const std::string& cameraId) const {
    auto it = events_.find(cameraId);
    return it == events_.end() ? nullptr : &it->second->recorder;
  }
  bool storageFull(const std::string& cameraId) const {
    return (recording_.contains(cameraId) || events_.contains(cameraId)) && store_->storageFull(cameraId);
  }

 private:
  struct Events {
    Events(const std::string& id, storage::EventRecorderOptions options, storage::Store& store)
        : recorder(id, options), output(store, id) {}
    storage::EventRecorder recorder;  // open/close from any thread, frames on the camera's loop
    storage::StoreOutput output;
  };
  storage::Store* store_;
  // Both read-only after construction: safe from every loop.
  std::set<std::string> recording_;
  std::map<std::string, std::unique_ptr<Events>> events_;
};

// Every frame goes first to the live registry (viewers wait on it), then
// to recording.
class Node::LiveSink final : public camera::FrameSink {
 public:
  LiveSink(media::LiveRegistry& live, const std::vector<CameraConfig>& cameras, camera::FrameSink& next)
      : next_(next) {
    for (const CameraConfig& c : cameras) streams_.emplace(c.id, live.stream(c.id));
  }
  void onFrame(const std::string& cameraId, const media::SharedFrame& frame, bool newSegment) override {
    if (auto it = streams_.find(cameraId); it != streams_.end()) it->second->publish(frame, newSegment);
    next_.onFrame(cameraId, frame, newSegment);
  }

 private:
  camera::FrameSink& next_;
  std::map<std::string, std::shared_ptr<media::LiveStream>> streams_;  // read-only after construction
};

struct Node::Slot {
  boost::asio::io_context* loop;
  std::unique_ptr<camera::Camera> camera;
};

Node::Node(EventLoopPool& loops, std::vector<CameraConfig> cameras, storage::Store* store,
           camera::CameraOptions options)
    : loops_(loops),
      sink_(std::make_unique<RecordingSink>(store, cameras)),
      liveSink_(std::make_unique<LiveSink>(live_, cameras, *sink_)) {
  for (CameraConfig& config : cameras) {
    auto slot = std::make_unique<Slot>();
    slot->loop = &loops_.next();
    slot->camera = std::make_unique<camera::Camera>(*slot->loop, std::move(config), liveSink_.get(), options);
    slots_.push_back(std::move(slot));
  }
}

Node::~Node() {
  // Cameras must be destroyed on their loops when those still run; after
  // the loops stopped, no handler can race with the destructor.
  for (auto& slot : slots_) slot->camera.reset();
}

void Node::start() {
  for (auto& slot : slots_) {
    boost::asio::post(*slot->loop, [c = slot->camera.get()] { c->start(); });
  }
}

void Node::shutdown(std::function<void()> done) {
  for (auto& slot : slots_) {
    boost::asio::post(*slot->loop, [c = slot->camera.get()] { c->stop(); });
  }
  auto timer = std::make_shared<boost::asio::steady_timer>(loops_.loop(0), kShutdownGrace);
  timer->async_wait([timer, done = std::move(done)](const boost::system::error_code&) { done(); });
}

std::vector<camera::CameraStatus> Node::cameraStatuses() const {
  std::vector<camera::CameraStatus> out;
  out.reserve(slots_.size());
  for (const auto& slot : slots_) {
    camera::CameraStatus status = slot->camera->status();
    if (sink_->storageFull(status.id)) {
      status.reason = status.reason.empty() ? kStorageFull : status.reason + "; " + kStorageFull;
    }
    out.push_back(std::move(status));
  }
  return out;
}

bool Node::hasCamera(const std::string& id) const {
  return std::any_of(slots_.begin(), slots_.end(), [&](const auto& slot) { return slot->camera->id() == id; });
}

Status Node::setEventOpen(const std::string& cameraId, bool open) {
  if (!hasCamera(cameraId)) return Status::notFound(fmt::format("no camera \"{}\"", cameraId));
  storage::EventRecorder* recorder = sink_->recorder(cameraId);
  if (recorder == nullptr) {
    return Status::failedPrecondition(fmt::format("camera \"{}\" is not recorded in events mode", cameraId));
  }
  if (open ? !recorder->open() : !recorder->close()) {
    return Status::failedPrecondition(open ? "an event is already open" : "no event is open");
  }
  return Status::ok();
}

}  // namespace vigil::app

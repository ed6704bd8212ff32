#include "app/node.h"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <algorithm>
#include <future>
#include <map>
#include <set>

#include "base/log.h"

namespace vigil::app {

namespace {
constexpr auto kShutdownGrace = std::chrono::milliseconds(500);

}  // namespace

// Hands the frames of recording cameras to the store; the store's queue
// never blocks a camera's loop.
class Node::RecordingSink final : public camera::FrameSink {
 public:
  RecordingSink(storage::Store* store, const std::vector<CameraConfig>& cameras) : store_(store) {
    for (const CameraConfig& c : cameras) {
      if (store_ && c.record == RecordMode::kContinuous) recording_.insert(c.id);
      if (c.record == RecordMode::kEvents) {
        log::warn("camera.record_mode", {{"camera", c.id}, {"mode", "events"},
                                         {"note", "event recording is not built yet; nothing is recorded"}});
      }
    }
  }
  void onFrame(const std::string& cameraId, const media::Frame& frame, bool newSegment) override {
    if (recording_.contains(cameraId)) store_->append(cameraId, frame, newSegment);
  }

 private:
  storage::Store* store_;
  std::set<std::string> recording_;  // read-only after construction: safe from every loop
};

// Every frame goes first to the live registry (viewers wait on it), then
// to recording.
class Node::LiveSink final : public camera::FrameSink {
 public:
  LiveSink(media::LiveRegistry& live, const std::vector<CameraConfig>& cameras, camera::FrameSink& next)
      : next_(next) {
    for (const CameraConfig& c : cameras) streams_.emplace(c.id, live.stream(c.id));
  }
  void onFrame(const std::string& cameraId, const media::Frame& frame, bool newSegment) override {
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
  for (const auto& slot : slots_) out.push_back(slot->camera->status());
  return out;
}

bool Node::hasCamera(const std::string& id) const {
  return std::any_of(slots_.begin(), slots_.end(), [&](const auto& slot) { return slot->camera->id() == id; });
}

}  // namespace vigil::app

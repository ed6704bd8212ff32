#include "app/node.h"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <future>

#include "base/log.h"

namespace vigil::app {

namespace {
constexpr auto kShutdownGrace = std::chrono::milliseconds(500);

// Until storage exists, frames are counted and dropped.
class NullSink final : public camera::FrameSink {
 public:
  void onFrame(const std::string&, const media::Frame&, bool) override {}
};
NullSink gNullSink;
}  // namespace

struct Node::Slot {
  boost::asio::io_context* loop;
  std::unique_ptr<camera::Camera> camera;
};

Node::Node(EventLoopPool& loops, std::vector<CameraConfig> cameras, camera::CameraOptions options)
    : loops_(loops) {
  for (CameraConfig& config : cameras) {
    auto slot = std::make_unique<Slot>();
    slot->loop = &loops_.next();
    slot->camera = std::make_unique<camera::Camera>(*slot->loop, std::move(config), &gNullSink, options);
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

}  // namespace vigil::app

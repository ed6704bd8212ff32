#pragma once
// A running node: its cameras, each on one event loop. What the node does
// with frames grows with the modules (storage, live view, detection); today
// it counts them.

#include <functional>
#include <memory>
#include <vector>

#include "base/config.h"
#include "base/event_loops.h"
#include "camera/camera.h"

namespace vigil::app {

class Node {
 public:
  Node(EventLoopPool& loops, std::vector<CameraConfig> cameras, camera::CameraOptions options = {});
  ~Node();

  // Starts every camera on its loop. Thread-safe.
  void start();
  // Stops every camera (each sends TEARDOWN), then calls `done` after a
  // short grace period so the TEARDOWNs can leave. Thread-safe.
  void shutdown(std::function<void()> done);

  std::vector<camera::CameraStatus> cameraStatuses() const;

 private:
  struct Slot;
  EventLoopPool& loops_;
  std::vector<std::unique_ptr<Slot>> slots_;
};

}  // namespace vigil::app

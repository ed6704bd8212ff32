#pragma once
// A running node: its cameras, each on one event loop, and where their
// frames go: the recording store for cameras with record = "continuous".
// (Live view and detection join here as they arrive.)

#include <functional>
#include <memory>
#include <vector>

#include "base/config.h"
#include "base/event_loops.h"
#include "camera/camera.h"
#include "storage/store.h"

namespace vigil::app {

class Node {
 public:
  // `store` may be null (nothing is recorded); it must outlive the node.
  Node(EventLoopPool& loops, std::vector<CameraConfig> cameras, storage::Store* store = nullptr,
       camera::CameraOptions options = {});
  ~Node();

  // Starts every camera on its loop. Thread-safe.
  void start();
  // Stops every camera (each sends TEARDOWN), then calls `done` after a
  // short grace period so the TEARDOWNs can leave. Thread-safe.
  void shutdown(std::function<void()> done);

  std::vector<camera::CameraStatus> cameraStatuses() const;

 private:
  struct Slot;
  class RecordingSink;
  EventLoopPool& loops_;
  std::unique_ptr<RecordingSink> sink_;
  std::vector<std::unique_ptr<Slot>> slots_;
};

}  // namespace vigil::app

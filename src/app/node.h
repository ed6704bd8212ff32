#pragma once
// A running node: its cameras, each on one event loop, and where their
// frames go: the live registry (every camera) and the recording store for
// cameras with record = "continuous". (Detection joins here when it arrives.)

#include <functional>
#include <memory>
#include <vector>

#include "base/config.h"
#include "base/event_loops.h"
#include "camera/camera.h"
#include "media/live.h"
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
  bool hasCamera(const std::string& id) const;
  // Each camera's live stream (by camera id): the current GOP and viewers.
  media::LiveRegistry& live() { return live_; }

 private:
  struct Slot;
  class RecordingSink;
  class LiveSink;
  EventLoopPool& loops_;
  media::LiveRegistry live_;
  std::unique_ptr<RecordingSink> sink_;
  std::unique_ptr<LiveSink> liveSink_;
  std::vector<std::unique_ptr<Slot>> slots_;
};

}  // namespace vigil::app

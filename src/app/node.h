#pragma once
// A running node: its cameras, each on one event loop, and where their
// frames go: the live registry (every camera), the recording store for
// cameras with record = "continuous" (and their sub streams with
// record_sub), an event recorder
// (storage/event_recorder.h) for cameras with record = "events", and
// detection's worker pool (detect/pipeline.h) for cameras with `detect` set.
// A camera with `sub_url` has a second camera::Camera for its sub stream,
// on the same loop: live as "<id>~sub", and what detection reads while it
// delivers (detect/stream_switch.h).

#include <functional>
#include <map>
#include <memory>
#include <vector>

#include "app/config.h"
#include "base/event_loops.h"
#include "camera/camera.h"
#include "detect/analysis.h"
#include "detect/config.h"
#include "media/live.h"
#include "storage/store.h"

namespace vigil::detect {
class Pipeline;
}
namespace boost::asio {
class thread_pool;
}

namespace vigil::app {

// Detection of the cameras with `detect` set: the pool's options and where
// every analysis goes. The sink is where the event tracker attaches; left
// empty, analyses that saw motion are logged at debug. `configurable`:
// every camera has its place in the pool, so that configureDetection()
// can turn detection on for one that started without.
struct NodeDetection {
  detect::DetectConfig config;
  detect::AnalysisSink sink;
  bool configurable = false;
};

class Node {
 public:
  // `store` may be null (nothing is recorded); it must outlive the node.
  // The detection sink is called on detection's workers until the node is
  // destroyed, which stops them first.
  Node(EventLoopPool& loops, std::vector<ConfiguredCamera> cameras, storage::Store* store = nullptr,
       camera::CameraOptions options = {}, NodeDetection detection = {});
  ~Node();

  // Starts every camera on its loop. Thread-safe.
  void start();
  // Stops every camera (each sends TEARDOWN), then calls `done` after a
  // short grace period so the TEARDOWNs can leave. Thread-safe.
  void shutdown(std::function<void()> done);

  // With "storage full" in the reason of a recorded camera whose storage
  // directory is full (design/STORAGE.md, Disk full), and detection's
  // counts for a camera with `detect` set.
  std::vector<camera::CameraStatus> cameraStatuses() const;
  bool hasCamera(const std::string& id) const;
  // Which live-registry stream serves a view of a camera of this node
  // asking for its sub stream (`sub`) or its main one: the sub stream
  // ("<id>~sub") while it streams, else the camera's id, its main stream
  // (design/ARCHITECTURE.md, "Sub streams"). Thread-safe.
  std::string liveStreamId(const std::string& cameraId, bool sub) const;
  // Each camera's live stream (by camera id): the current GOP and viewers.
  media::LiveRegistry& live() { return live_; }
  // The polygons of the privacy masks that apply to what is shared only
  // (`applies = "shared"`), by camera id: those the tier link masks.
  // Masks with `applies = "all"` are masked before the live registry,
  // recording and detection (mask/masking_sink.h).
  const std::map<std::string, std::vector<detect::Polygon>>& sharedMasks() const { return sharedMasks_; }
  // Every privacy mask polygon of each camera that has any, `all` ones too:
  // recorded video going up is masked with all of them (its recordings may
  // hold pictures from before an `all` mask, which were not masked).
  const std::map<std::string, std::vector<detect::Polygon>>& masks() const { return masks_; }
  bool hasMasks(const std::string& camera) const { return masks_.count(camera) > 0; }

  // Opens or closes the event of a camera with record = "events"; frames
  // follow from its next frame on. NotFound: no such camera;
  // FailedPrecondition: the camera is not recorded in events mode, or its
  // event is already open (open) or not open (close). Thread-safe.
  Status setEventOpen(const std::string& cameraId, bool open);

  // What a camera detects from its next picture on (labels, zones, masks).
  // NotFound: no such camera; FailedPrecondition: the node was made
  // without NodeDetection::configurable and the camera without detection.
  // Thread-safe.
  Status configureDetection(const std::string& cameraId, detect::CameraDetectConfig config);

 private:
  struct Slot;
  class Recording;
  class CameraSink;
  EventLoopPool& loops_;
  media::LiveRegistry live_;
  std::unique_ptr<Recording> recording_;
  std::unique_ptr<detect::Pipeline> detection_;  // null when no camera detects and none may
  // Masks `applies = "all"`; null when no camera has one. Outlives the slots.
  std::unique_ptr<boost::asio::thread_pool> masking_;
  std::vector<std::unique_ptr<Slot>> slots_;
  std::map<std::string, std::vector<detect::Polygon>> sharedMasks_;
  std::map<std::string, std::vector<detect::Polygon>> masks_;
};

}  // namespace vigil::app

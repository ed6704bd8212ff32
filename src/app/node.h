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
#include "base/mutex.h"
#include "base/event_loops.h"
#include "camera/camera.h"
#include "detect/analysis.h"
#include "detect/config.h"
#include "detect/pipeline.h"
#include "media/live.h"
#include "storage/store.h"

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

  // A camera added while the node runs (design/CAMERAS.md), made and wired
  // as the constructor does its cameras, and started. It detects only if
  // its id was among the constructor's with detection (the pipeline takes
  // its cameras before it starts); its privacy masks `applies = "all"`
  // are applied, those for the tiers above (sharedMasks()) are not:
  // cameras with such masks are added by a restart. AlreadyExists when
  // the id runs. With `sub_url`, its sub stream starts too. Thread-safe.
  Status addCamera(ConfiguredCamera camera);
  // Stops the camera and its sub stream (each sends TEARDOWN) and, after a
  // short grace period, destroys them, seals their last recordings and calls `done` (on its loop).
  // Its live stream stays in live() without frames; its recordings stay.
  // NotFound when it does not run. Thread-safe.
  Status removeCamera(const std::string& id, std::function<void()> done = nullptr);
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
  // The cameras running now that are recorded (continuously or on events).
  std::vector<std::string> recordedCameras() const;
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
  struct Events;
  class CameraSink;
  // The constructor's and addCamera()'s one way to make a camera's slot.
  std::shared_ptr<Slot> makeSlot(ConfiguredCamera camera);
  // Posts the start of the slot's camera and of its sub stream's, if any.
  void startCameras(const Slot& slot);
  std::vector<std::shared_ptr<Slot>> slots() const EXCLUDES(slotsMutex_);
  std::shared_ptr<Slot> slot(const std::string& id) const EXCLUDES(slotsMutex_);

  EventLoopPool& loops_;
  storage::Store* const store_;
  const camera::CameraOptions options_;
  media::LiveRegistry live_;
  std::unique_ptr<detect::Pipeline> detection_;  // null when no camera detects and none may
  // The pipeline's cameras, by id; made by the constructor only.
  std::map<std::string, detect::Pipeline::Camera*> detected_;
  // Masks `applies = "all"`; null until a camera has one. Outlives the slots.
  Mutex maskingMutex_;
  std::unique_ptr<boost::asio::thread_pool> masking_;
  mutable Mutex slotsMutex_;
  std::vector<std::shared_ptr<Slot>> slots_ GUARDED_BY(slotsMutex_);
  std::map<std::string, std::vector<detect::Polygon>> sharedMasks_;
  std::map<std::string, std::vector<detect::Polygon>> masks_;
};

}  // namespace vigil::app

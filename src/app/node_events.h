#pragma once
// A node's detection events (design/DETECT.md, "Events"): each camera's
// analyses through its EventTracker, each change stored in events.db with
// its snapshot, the event recording of record = "events" cameras opened
// while any of its events is open, and told to notify (which knows no
// detection): MQTT <prefix>/<node>/events in Frigate's shape, the
// per-camera motion, occupancy and snapshots, Home Assistant's entities,
// webhooks.
//
// Threads: analyse() on the detection workers (one camera's in order),
// tick() on a loop every second; a camera's state is under its own mutex.
// NodeEventsRunner wires it into a running node, the same for `vigil
// serve` and `vigil demo`.

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/steady_timer.hpp>

#include "app/config.h"
#include "app/detection_settings.h"
#include "app/node.h"
#include "base/event_loops.h"
#include "base/mutex.h"
#include "detect/analysis.h"
#include "detect/event_store.h"
#include "detect/events.h"
#include "http/detection_event_routes.h"
#include "notify/notifier.h"

namespace vigil::app {

struct EventCamera {
  std::string id;
  detect::TrackerOptions tracker;
  int retainDays = 30;  // storage's retain_days: events older are pruned
  bool recordsEvents = false;  // record = "events": its events open and close its recording
};

struct NodeEventsContext {
  detect::EventStore* store = nullptr;
  // Node::setEventOpen, for cameras with record = "events"; null: none.
  std::function<Status(const std::string& camera, bool open)> setEventOpen;
  notify::Notifier* notifier = nullptr;  // null: none
};

class NodeEvents {
 public:
  NodeEvents(NodeEventsContext context, const std::vector<EventCamera>& cameras);
  ~NodeEvents();
  // Publishes each camera's Home Assistant entities (before the notifier starts).
  void addDiscovery();

  // Tells the end of each event EventStore::closeLeftOpen closed (the node
  // stopped while it was open), as the tracker would have.
  void endLeftOpen(const std::vector<detect::DetectionEvent>& closed);

  // The pipeline's AnalysisSink. Analyses of a camera not given are dropped.
  void analyse(const detect::FrameAnalysis& analysis);
  // The camera's zones from its next analysis on (settings from the UI).
  void configure(const std::string& camera, const detect::CameraDetectConfig& config);
  // Ends what has been quiet (events of a camera whose analyses stopped)
  // and, hourly, prunes what is older than each camera's retention.
  void tick(WallTime now);

 private:
  struct Camera {
    explicit Camera(const EventCamera& c)
        : id(c.id), retainDays(c.retainDays), recordsEvents(c.recordsEvents), tracker(c.id, c.tracker) {}
    const std::string id;
    const int retainDays;
    const bool recordsEvents;
    Mutex mutex;
    detect::EventTracker tracker GUARDED_BY(mutex);
    int open GUARDED_BY(mutex) = 0;  // its events open: its recording is open while > 0
    // The last analysis: its frame's time and when it came. Events end on
    // the camera's clock, which may be off the node's.
    WallTime lastFrame GUARDED_BY(mutex);
    std::chrono::steady_clock::time_point lastArrival GUARDED_BY(mutex);  // its events open: its recording is open while > 0
    // What MQTT was last told (retained states), to publish changes only.
    std::optional<bool> motion GUARDED_BY(mutex);
    std::map<std::string, int> occupancy GUARDED_BY(mutex);
  };
  void apply(Camera& camera, std::vector<detect::EventChange> changes) REQUIRES(camera.mutex);
  void publishStates(Camera& camera) REQUIRES(camera.mutex);
  // To the notifier: the change as an event, and the snapshot as retained states.
  void tell(const detect::EventChange& change, const std::optional<std::string>& snapshot);

  const NodeEventsContext context_;
  std::map<std::string, std::unique_ptr<Camera>> cameras_;  // read-only after construction
  Mutex pruneMutex_;
  WallTime lastPrune_ GUARDED_BY(pruneMutex_);
};

// Every camera, as its event tracker takes it: one without detection gets
// no analyses until its owner turns detection on in the UI.
std::vector<EventCamera> eventCameras(const std::vector<ConfiguredCamera>& cameras);

// A node's detection events as `vigil serve` and `vigil demo` run them:
// <data_dir>/events.db, the trackers of the cameras with detection on fed
// by the node's detection sink, their Home Assistant entities, and a tick
// every second on loop 0 that ends what went quiet and prunes.
//
// Order: open() before the notifier starts (it adds the entities), then
// the Node built with detection(), then start() before node.start(). It
// must outlive the Node (whose destructor stops the workers that call the
// sink) and be destroyed before the loops (its timer).
class NodeEventsRunner {
 public:
  // Reads the detection settings the owner set in the UI into `cameras`
  // (DetectionSettings::load): the node starts with them.
  static Result<std::unique_ptr<NodeEventsRunner>> open(const std::string& dataDir,
                                                        std::vector<ConfiguredCamera>& cameras,
                                                        notify::Notifier* notifier);
  ~NodeEventsRunner();

  detect::EventStore* store() const { return store_.get(); }
  // The cameras' detection settings; whoever applies a change sets onChange().
  DetectionSettings* settings() const { return settings_.get(); }
  // What the Node takes: the pool's options and the sink into the trackers,
  // every camera with a place in the pool (settings may turn one on).
  NodeDetection detection(const detect::DetectConfig& config);
  // A camera's new settings, for its tracker (zones, object stage).
  void configure(const std::string& camera, const detect::CameraDetectConfig& config) { events_.configure(camera, config); }
  // A camera's pre- and post-roll (its event clip, in the events API).
  http::ClipRoll clipRoll(const std::string& camera) const;

  // record = "events" cameras open and close their recording on `node`
  // with their events; the tick starts on loop 0 of `loops`.
  void start(EventLoopPool& loops, Node& node);
  // Stops the tick. On loop 0.
  void stop();

 private:
  NodeEventsRunner(std::unique_ptr<detect::EventStore> store, std::unique_ptr<DetectionSettings> settings,
                   const std::vector<ConfiguredCamera>& cameras, notify::Notifier* notifier);
  void tickLater();

  std::unique_ptr<detect::EventStore> store_;
  std::unique_ptr<DetectionSettings> settings_;
  std::map<std::string, http::ClipRoll> clipRolls_;  // by camera
  std::atomic<Node*> node_{nullptr};
  NodeEvents events_;
  std::unique_ptr<boost::asio::steady_timer> timer_;
  bool stopped_ = false;  // on loop 0
};

// The change as Frigate's MQTT event: {"type": "new"|"update"|"end",
// "before", "after"}, each with id, camera, label, score, top_score,
// start_time, end_time (Unix seconds), box [x1, y1, x2, y2] in the
// analysed picture's pixels, entered_zones, has_snapshot...
std::string frigateEventJson(const detect::EventChange& change);

}  // namespace vigil::app

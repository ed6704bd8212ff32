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

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/mutex.h"
#include "detect/analysis.h"
#include "detect/event_store.h"
#include "detect/events.h"
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

  const NodeEventsContext context_;
  std::map<std::string, std::unique_ptr<Camera>> cameras_;  // read-only after construction
  Mutex pruneMutex_;
  WallTime lastPrune_ GUARDED_BY(pruneMutex_);
};

// The change as Frigate's MQTT event: {"type": "new"|"update"|"end",
// "before", "after"}, each with id, camera, label, score, top_score,
// start_time, end_time (Unix seconds), box [x1, y1, x2, y2] in the
// analysed picture's pixels, entered_zones, has_snapshot...
std::string frigateEventJson(const detect::EventChange& change);

}  // namespace vigil::app

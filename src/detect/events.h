#pragma once
// Detection events (design/DETECT.md, "Events"): a camera's analyses, in
// order, turned into one event per object (person, vehicle, animal) or,
// on a camera without an object stage, per stretch of motion ("motion").
// An object is followed from frame to frame by its label and its box's
// overlap; its event starts when it is first seen, is updated when its top
// score rises, it enters a zone or every `refresh`, and ends `quiet` after
// it was last seen. An object whose box stays put for `stationaryAfter`
// (a parked car) ends its event and starts none while it stays there.
//
// Not thread-safe: one tracker per camera, fed by one thread at a time.

#include <chrono>
#include <map>
#include <random>
#include <span>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/time.h"
#include "detect/analysis.h"
#include "detect/config.h"

namespace vigil::detect {

struct TrackerOptions {
  std::vector<Zone> zones;  // the camera's (include and ignore alike): where an event has been
  // False: the camera detects motion only, and its events are "motion".
  bool objectStage = true;
  std::chrono::seconds quiet{10};
  std::chrono::seconds stationaryAfter{30};
  // How long a stationary object unseen is remembered (a detector missing
  // a parked car for a while must not announce it again).
  std::chrono::seconds stationaryForget{600};
  std::chrono::seconds refresh{5};
};

struct DetectionEvent {
  std::string id;  // "<start unix ms>-<6 random letters>", unique across restarts
  std::string camera;
  std::string label;  // "person" | "vehicle" | "animal" | "motion"
  float score = 0;     // the latest
  float topScore = 0;  // motion: the largest share of the picture in motion
  WallTime start;
  WallTime lastSeen;
  std::optional<WallTime> end;
  Box box;     // where it was last seen, in the pixels of a picture of pictureWidth x pictureHeight
  Box topBox;  // where it was in the top-scoring picture
  int pictureWidth = 0;
  int pictureHeight = 0;
  std::vector<std::string> zones;  // entered, in order
};

struct EventChange {
  enum class Kind { kStart, kUpdate, kEnd };
  Kind kind = Kind::kStart;
  DetectionEvent before;  // kStart: none (empty id)
  DetectionEvent after;
  // The top-scoring picture when the top score rose with this change (the
  // snapshot to draw topBox on); null otherwise.
  std::shared_ptr<const BgrImage> topPicture;
};

class EventTracker {
 public:
  EventTracker(std::string camera, TrackerOptions options);

  // The changes one analysis makes, ends first.
  std::vector<EventChange> analyse(const FrameAnalysis& analysis);
  // Ends what has been quiet since before `now - quiet` (called on a
  // timer, so events end when a camera's analyses stop).
  std::vector<EventChange> expire(WallTime now);

  // Zones entered, and whether objects (else motion) make events, from the
  // next analysis on (settings from the UI).
  void reconfigure(std::vector<Zone> zones, bool objectStage) {
    options_.zones = std::move(zones);
    options_.objectStage = objectStage;
  }

  // Whether motion was seen within `quiet` of the last analysis.
  bool motion() const { return motion_; }
  // Objects seen and not yet forgotten, stationary ones included, by label.
  std::map<std::string, int> occupancy() const;

 private:
  struct Track {
    std::string label;
    DetectionEvent event;  // its open event; none (empty id) while stationary
    bool stationary = false;
    Box box;
    WallTime lastSeen;
    Box anchor;  // where it has stayed since anchorSince
    WallTime anchorSince;
    WallTime lastUpdate;
  };
  void follow(const FrameAnalysis& analysis, std::vector<EventChange>& out);
  void followMotion(const FrameAnalysis& analysis, std::vector<EventChange>& out);
  // The changes a sighting of `track` at `box` makes: its event's start
  // (it moves off after being stationary), update or end (stationary now).
  // Zones are entered by the feet of `parts` (the object's box, or each
  // motion box).
  void sighted(Track& track, float score, const Box& box, std::span<const Box> parts, const FrameAnalysis& analysis,
               std::vector<EventChange>& out);
  DetectionEvent startEvent(const std::string& label, float score, const Box& box, const FrameAnalysis& analysis);
  bool enterZones(DetectionEvent& event, const Box& box) const;
  void forget(WallTime now, std::vector<EventChange>& out);

  const std::string camera_;
  TrackerOptions options_;
  std::vector<Track> tracks_;
  std::mt19937_64 random_{std::random_device{}()};  // event ids
  bool motion_ = false;
  WallTime lastMotion_;
};

// Whether `p` lies inside `polygon` (even-odd rule).
bool insidePolygon(const Polygon& polygon, Point p);
// Intersection over union of two boxes, 0..1.
double overlap(const Box& a, const Box& b);

}  // namespace vigil::detect

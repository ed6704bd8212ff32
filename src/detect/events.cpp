#include "detect/events.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <tuple>

namespace vigil::detect {

namespace {

// Boxes of one object in consecutive analyses overlap at least this much
// (at 5 fps a walking person moves a fraction of its width per frame).
constexpr double kMinOverlap = 0.2;
// A box overlapping where the object has stayed this much has not moved.
constexpr double kStillOverlap = 0.8;
// An object gone quiet that had stayed put this long at its last sighting
// is remembered as stationary: the detector runs where things move, so a
// parked car is seen again only when something moves near it.
constexpr auto kParkedAfter = std::chrono::seconds(2);

// How well a box seen now continues a track's box: its overlap, or for a
// fast object that overlaps too little, a lower score the closer the
// centres are (within the track box's larger side); 0: not this object.
double continuation(const Box& track, const Box& seen) {
  const double iou = overlap(track, seen);
  if (iou >= kMinOverlap) return iou;
  const double dx = (track.x + track.width / 2.0) - (seen.x + seen.width / 2.0);
  const double dy = (track.y + track.height / 2.0) - (seen.y + seen.height / 2.0);
  const double size = std::max(track.width, track.height);
  const double distance = std::hypot(dx, dy);
  if (size <= 0 || distance > size) return 0;
  return kMinOverlap * (1 - distance / size) * 0.99;  // below any overlapping match
}

Box unite(const Box& a, const Box& b) {
  const int x = std::min(a.x, b.x);
  const int y = std::min(a.y, b.y);
  return {x, y, std::max(a.x + a.width, b.x + b.width) - x, std::max(a.y + a.height, b.y + b.height) - y};
}

}  // namespace

bool insidePolygon(const Polygon& polygon, Point p) {
  bool inside = false;
  for (size_t i = 0, j = polygon.size() - 1; i < polygon.size(); j = i++) {
    const Point& a = polygon[i];
    const Point& b = polygon[j];
    if ((a.y > p.y) != (b.y > p.y) && p.x < (b.x - a.x) * (p.y - a.y) / (b.y - a.y) + a.x) inside = !inside;
  }
  return inside;
}

double overlap(const Box& a, const Box& b) {
  const int w = std::min(a.x + a.width, b.x + b.width) - std::max(a.x, b.x);
  const int h = std::min(a.y + a.height, b.y + b.height) - std::max(a.y, b.y);
  if (w <= 0 || h <= 0) return 0;
  const double both = double(w) * h;
  return both / (double(a.width) * a.height + double(b.width) * b.height - both);
}

EventTracker::EventTracker(std::string camera, TrackerOptions options)
    : camera_(std::move(camera)), options_(std::move(options)) {}

std::vector<EventChange> EventTracker::analyse(const FrameAnalysis& analysis) {
  std::vector<EventChange> out;
  forget(analysis.time, out);  // first: an object back after the quiet period is a new one
  if (!analysis.motion.empty()) {
    motion_ = true;
    lastMotion_ = analysis.time;
  }
  if (options_.objectStage) {
    follow(analysis, out);
  } else {
    followMotion(analysis, out);
  }
  return out;
}

std::vector<EventChange> EventTracker::expire(WallTime now) {
  std::vector<EventChange> out;
  forget(now, out);
  return out;
}

std::map<std::string, int> EventTracker::occupancy() const {
  std::map<std::string, int> counts;
  for (const Track& t : tracks_) {
    if (t.label != "motion") ++counts[t.label];
  }
  return counts;
}

void EventTracker::follow(const FrameAnalysis& analysis, std::vector<EventChange>& out) {
  // Greedy: the best continuations first, each track and detection once.
  std::vector<std::tuple<double, size_t, size_t>> pairs;
  for (size_t t = 0; t < tracks_.size(); ++t) {
    for (size_t d = 0; d < analysis.objects.size(); ++d) {
      if (tracks_[t].label != labelName(analysis.objects[d].label)) continue;
      if (double c = continuation(tracks_[t].box, analysis.objects[d].box); c > 0) pairs.emplace_back(c, t, d);
    }
  }
  std::sort(pairs.begin(), pairs.end(), [](const auto& a, const auto& b) { return std::get<0>(a) > std::get<0>(b); });
  std::vector<bool> trackTaken(tracks_.size()), seenTaken(analysis.objects.size());
  for (const auto& [score, t, d] : pairs) {
    if (trackTaken[t] || seenTaken[d]) continue;
    trackTaken[t] = seenTaken[d] = true;
    const Detection& seen = analysis.objects[d];
    sighted(tracks_[t], seen.score, seen.box, std::span(&seen.box, 1), analysis, out);
  }
  for (size_t d = 0; d < analysis.objects.size(); ++d) {
    if (seenTaken[d]) continue;
    const Detection& seen = analysis.objects[d];
    Track track{.label = std::string(labelName(seen.label)),
                .event = startEvent(std::string(labelName(seen.label)), seen.score, seen.box, analysis),
                .box = seen.box,
                .lastSeen = analysis.time,
                .anchor = seen.box,
                .anchorSince = analysis.time,
                .lastUpdate = analysis.time};
    out.push_back({EventChange::Kind::kStart, {}, track.event, analysis.picture});
    tracks_.push_back(std::move(track));
  }
}

void EventTracker::followMotion(const FrameAnalysis& analysis, std::vector<EventChange>& out) {
  if (analysis.motion.empty()) return;
  Box all = analysis.motion.front();
  double area = 0;
  for (const Box& b : analysis.motion) {
    all = unite(all, b);
    area += double(b.width) * b.height;
  }
  const double picture = analysis.picture ? double(analysis.picture->width) * analysis.picture->height : 0;
  const float share = picture > 0 ? static_cast<float>(std::min(1.0, area / picture)) : 0;
  auto it = std::find_if(tracks_.begin(), tracks_.end(), [](const Track& t) { return t.label == "motion"; });
  if (it == tracks_.end()) {
    Track track{.label = "motion",
                .event = startEvent("motion", share, all, analysis),
                .box = all,
                .lastSeen = analysis.time,
                .lastUpdate = analysis.time};
    for (const Box& b : analysis.motion) enterZones(track.event, b);
    out.push_back({EventChange::Kind::kStart, {}, track.event, analysis.picture});
    tracks_.push_back(std::move(track));
    return;
  }
  // Motion never becomes stationary: its anchor follows it.
  it->anchor = all;
  it->anchorSince = analysis.time;
  sighted(*it, share, all, analysis.motion, analysis, out);
}

void EventTracker::sighted(Track& track, float score, const Box& box, std::span<const Box> parts,
                           const FrameAnalysis& analysis, std::vector<EventChange>& out) {
  const WallTime now = analysis.time;
  track.box = box;
  track.lastSeen = now;
  const bool still = overlap(track.anchor, box) >= kStillOverlap;
  if (!still) {
    track.anchor = box;
    track.anchorSince = now;
  }
  if (track.stationary) {
    if (still) return;
    track.stationary = false;  // it moves off: a new event
    track.event = startEvent(track.label, score, box, analysis);
    track.lastUpdate = now;
    out.push_back({EventChange::Kind::kStart, {}, track.event, analysis.picture});
    return;
  }
  const DetectionEvent before = track.event;
  DetectionEvent& event = track.event;
  event.score = score;
  event.box = box;
  event.lastSeen = now;
  if (analysis.picture) {
    event.pictureWidth = analysis.picture->width;
    event.pictureHeight = analysis.picture->height;
  }
  const bool rose = score > event.topScore;
  if (rose) {
    event.topScore = score;
    event.topBox = box;
  }
  bool entered = false;
  for (const Box& part : parts) entered = enterZones(event, part) || entered;
  if (still && now - track.anchorSince >= options_.stationaryAfter) {
    track.stationary = true;
    event.end = now;
    out.push_back({EventChange::Kind::kEnd, before, event, rose ? analysis.picture : nullptr});
    event = {};
    return;
  }
  if (rose || entered || now - track.lastUpdate >= options_.refresh) {
    track.lastUpdate = now;
    out.push_back({EventChange::Kind::kUpdate, before, event, rose ? analysis.picture : nullptr});
  }
}

DetectionEvent EventTracker::startEvent(const std::string& label, float score, const Box& box,
                                        const FrameAnalysis& analysis) {
  DetectionEvent event{.id = std::string(),
                       .camera = camera_,
                       .label = label,
                       .score = score,
                       .topScore = score,
                       .start = analysis.time,
                       .lastSeen = analysis.time,
                       .end = std::nullopt,
                       .box = box,
                       .topBox = box,
                       .pictureWidth = analysis.picture ? analysis.picture->width : 0,
                       .pictureHeight = analysis.picture ? analysis.picture->height : 0,
                       .zones = {}};
  std::string letters(6, 'a');
  for (char& c : letters) c = static_cast<char>('a' + random_() % 26);
  event.id = fmt::format("{}-{}", analysis.time.unixMicros() / 1000, letters);
  if (label != "motion") enterZones(event, box);
  return event;
}

bool EventTracker::enterZones(DetectionEvent& event, const Box& box) const {
  if (event.pictureWidth <= 0 || event.pictureHeight <= 0) return false;
  // Where an object stands: the middle of its box's bottom edge.
  const Point foot{(box.x + box.width / 2.0) / event.pictureWidth, double(box.y + box.height) / event.pictureHeight};
  bool entered = false;
  for (const Zone& zone : options_.zones) {
    if (std::find(event.zones.begin(), event.zones.end(), zone.name) != event.zones.end()) continue;
    if (!insidePolygon(zone.polygon, foot)) continue;
    event.zones.push_back(zone.name);
    entered = true;
  }
  return entered;
}

void EventTracker::forget(WallTime now, std::vector<EventChange>& out) {
  if (motion_ && now - lastMotion_ >= options_.quiet) motion_ = false;
  std::erase_if(tracks_, [&](Track& t) {
    if (now - t.lastSeen < (t.stationary ? options_.stationaryForget : options_.quiet)) return false;
    if (t.stationary) return true;
    const DetectionEvent before = t.event;
    t.event.end = t.lastSeen;
    out.push_back({EventChange::Kind::kEnd, before, t.event, nullptr});
    if (t.label == "motion" || t.lastSeen - t.anchorSince < kParkedAfter) return true;
    t.stationary = true;  // remembered where it stayed, from now
    t.lastSeen = now;
    t.event = {};
    return false;
  });
}

}  // namespace vigil::detect

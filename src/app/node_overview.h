#pragma once
// This node's own figures for the overview (design/UPTIME.md, "Overview"):
// its cameras' counts now, their online rates over 7 and 30 days and per
// day (uptime.db), its storage (used, written per day, capacity, the
// oldest recording) and its open alarms. What goes up in its health
// summary and heads GET /api/v1/overview. The counts are read at each
// call; the rest at most once a minute (30 days of history per camera).
// Thread-safe.

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "alarm/store.h"
#include "base/mutex.h"
#include "camera/camera.h"
#include "http/overview_routes.h"
#include "link/health_messages.h"
#include "storage/store.h"
#include "uptime/store.h"

namespace vigil::app {

inline constexpr int kOverviewDays = 30;  // daily rates: today and the 29 days before

struct NodeOverviewSources {
  std::function<std::vector<camera::CameraStatus>()> cameras;
  std::set<std::string> recorded;           // cameras whose record is not "off"
  storage::Store* store = nullptr;          // null: nothing recorded
  uint64_t minFreeBytes = 0;                // what recording leaves free on the disk
  uptime::UptimeStore* uptime = nullptr;    // null: no rates
  alarm::AlarmStore* alarms = nullptr;      // null: none
  const Clock* clock = &SystemClock::instance();
};

class NodeOverview {
 public:
  explicit NodeOverview(NodeOverviewSources sources);

  // The summary of this node alone: counts, figures, daily rates (no nodes below).
  link::HealthSummary own() EXCLUDES(mutex_);
  std::vector<http::OverviewCamera> cameras() EXCLUDES(mutex_);

 private:
  struct Slow {
    link::NodeFigures figures;  // without the counts of now (recording, alarms)
    std::vector<std::optional<double>> daily;
    std::map<std::string, std::pair<std::optional<double>, std::optional<double>>> rates;  // per camera: 7 d, 30 d
  };
  const Slow& slow() REQUIRES(mutex_);
  Slow compute(const std::vector<camera::CameraStatus>& cameras) REQUIRES(mutex_);
  bool recordingNow(const camera::CameraStatus& c) const;
  std::optional<WallTime> oldestRecording(const std::vector<camera::CameraStatus>& cameras, WallTime now)
      REQUIRES(mutex_);

  const NodeOverviewSources sources_;
  Mutex mutex_;
  std::optional<Slow> slow_ GUARDED_BY(mutex_);
  std::chrono::steady_clock::time_point computed_ GUARDED_BY(mutex_);
  std::map<std::string, WallTime> oldest_ GUARDED_BY(mutex_);  // per camera, its oldest recording seen last
};

}  // namespace vigil::app

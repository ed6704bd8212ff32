#pragma once
// Alerts for a node's owner and its desk (design/UPTIME.md, "Alerts"): a
// camera offline longer than a threshold, a disk about to fill, recording
// stopped, a link down. Each poll gives the conditions that hold now; an
// alert is told once per episode, when its condition has held for its
// kind's delay; while it lasts it is told again at most every
// `remindEvery`; when it ends it is told resolved (only if it was told).
// A condition that ends before its delay is never told. Not thread-safe:
// one poller.

#include <chrono>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "base/time.h"

namespace vigil::uptime {

namespace alert_kind {
inline constexpr const char* kCameraOffline = "camera_offline";
inline constexpr const char* kDiskFilling = "disk_filling";
inline constexpr const char* kRecordingStopped = "recording_stopped";
inline constexpr const char* kLinkDown = "link_down";
}  // namespace alert_kind

// A condition that holds now.
struct AlertCondition {
  std::string kind;     // an alert_kind
  std::string subject;  // a camera id, "storage", "parent" or a child's id
  WallTime since;       // when it began: a new `since` is a new episode
  std::string detail;   // why, in plain words (a camera's reason, how full)
};

// An alert as told: raised, reminded, resolved.
struct AlertChange {
  enum class Type { kRaised, kReminder, kResolved };
  Type type = Type::kRaised;
  std::string kind, subject, detail;
  WallTime since;  // the episode's start
  WallTime at;     // when this change was told
  int reminder = 0;  // 1, 2... for a reminder
  // "<kind>.<subject>.<since µs>.<raised|reminder-N|resolved>": a change told
  // again (after a restart) has the same id, so a webhook receiver drops it.
  std::string id() const;
};
std::string_view alertChangeName(AlertChange::Type type);  // "raised", "reminder", "resolved"

// An alert told and not resolved, as kept across a restart (alert_store.h).
struct ToldAlert {
  AlertCondition condition;  // with the detail it was last told with
  WallTime lastTold;
  int reminders = 0;
};

struct AlertOptions {
  // How long a condition of each kind holds before it is told; a kind not
  // here is told at once.
  std::map<std::string, std::chrono::seconds> delay;
  std::chrono::seconds remindEvery{6 * 3600};
};

class Alerts {
 public:
  explicit Alerts(AlertOptions options) : options_(std::move(options)) {}

  // `holding`: every condition that holds at `now` (one per kind and
  // subject); those held before and not now are over. The changes to tell.
  std::vector<AlertChange> observe(const std::vector<AlertCondition>& holding, WallTime now);
  // The alerts told and not resolved, oldest first.
  std::vector<AlertCondition> open() const;
  // The same with when each was last told, to keep; and given back after a
  // restart, before the first observe(): an episode whose condition still
  // holds with the same start goes on (not raised again, reminded on its
  // time), one that no longer holds is told resolved.
  std::vector<ToldAlert> told() const;
  void restore(const std::vector<ToldAlert>& told);

 private:
  struct Episode {
    AlertCondition condition;
    bool told = false;
    WallTime lastTold;
    int reminders = 0;
  };
  AlertChange change(AlertChange::Type type, const Episode& e, WallTime at) const;

  const AlertOptions options_;
  std::map<std::pair<std::string, std::string>, Episode> episodes_;
};

}  // namespace vigil::uptime

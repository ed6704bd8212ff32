#pragma once
// The parent's side of health up the tiers (design/LINK.md, "Health"):
// per child and per camera, the online/offline history its child
// reported through the outbox (link/health_messages.h), kept in
// <data_dir>/health.db for `keep` (90 days), and each child's last
// summary. From the history: the online rate (在线率) over a range.
//
// Idempotent: the outbox may give a message again after a kill -9 between
// the receiver's commit and its own; a change to the state already kept
// for a camera is not a transition, so nothing is kept twice.
// Thread-safe (one connection under a mutex).

#include <sqlite3.h>

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/time.h"
#include "link/health_messages.h"
#include "link/outbox.h"

namespace vigil::link {

struct HealthTransition {
  WallTime at;                 // the child's clock; never before the camera's previous transition
  std::optional<bool> online;  // none: not reported from then on (no longer shared)
  std::string state;
  bool operator==(const HealthTransition&) const = default;
};

struct OnlineTime {
  double onlineSeconds = 0;
  double knownSeconds = 0;     // reported online or offline
  std::optional<double> rate;  // onlineSeconds / knownSeconds; none when nothing is known
};
// Over [from, to): `history` in order of time, starting with the last
// transition before `from` when there is one. Each state lasts until the
// next transition (or `to`); before the first nothing is known.
OnlineTime onlineTime(std::span<const HealthTransition> history, WallTime from, WallTime to);

// Per camera and range (the rate counts them all).
inline constexpr size_t kMaxListedTransitions = 1000;

struct CameraHealthHistory {
  std::string camera;
  HealthTransition last;                      // its state now, as last reported
  OnlineTime time;                            // over the range asked
  std::vector<HealthTransition> transitions;  // within the range, at most the latest kMaxListedTransitions
  int64_t omitted = 0;                        // within the range, older than those listed
};

struct ChildHealth {
  std::optional<HealthSummary> summary;  // the last one, if any
  int64_t camerasReported = 0;           // cameras whose state it reports now
  int64_t camerasReportedOnline = 0;
};

// A camera a child reports now, with its online time over the last 7 and 30 days.
struct ReportedCamera {
  std::string child;
  std::string camera;
  HealthTransition last;
  OnlineTime week;
  OnlineTime month;
};

struct HealthStoreOptions {
  std::chrono::hours keep{24 * 90};   // transitions older are dropped, but each camera's last before then
  int64_t maxTransitionsPerChild = 200000;  // a child flapping its cameras cannot fill the disk
  size_t maxCamerasPerChild = 1024;         // nor naming ever more cameras (more are logged and dropped)
  // A child's time ahead of this node's by more is taken as now + this: one
  // wrong clock would otherwise freeze a camera's history (times only grow).
  std::chrono::seconds maxClockAhead{300};
};

class HealthStore {
 public:
  static Result<std::unique_ptr<HealthStore>> open(const std::string& path, const Clock& clock,
                                                   HealthStoreOptions options = {});
  ~HealthStore();
  HealthStore(const HealthStore&) = delete;
  HealthStore& operator=(const HealthStore&) = delete;

  Status addChanges(const std::string& childId, const HealthChanges& m);
  Status addSummary(const std::string& childId, const HealthSummary& m);
  // Per camera the child ever reported, over [from, min(to, now)).
  Result<std::vector<CameraHealthHistory>> history(const std::string& childId, WallTime from, WallTime to);
  Result<ChildHealth> child(const std::string& childId);
  // Every child's last summary (in memory: the overview reads them all).
  std::map<std::string, HealthSummary> summaries();
  // Every camera of every child reported now, with its online time over the
  // 7 and 30 days before min(to, now), from memory (the overview asks for
  // them all on every request: design/UPTIME.md, "Overview"). A child's
  // are computed again here, once per read at most, when it reported
  // changes since (so its cameras' states are never behind, and a burst of
  // messages costs one computation, not one each), and once they are
  // 2 × kRatesAge old (a child that sends no summary); with its summary
  // once they are kRatesAge old (off the reads, one a minute at most): its
  // rates may lag `to` by up to 2 × kRatesAge, as this node's own lag by a
  // minute. None is computed before the first read or summary (a county's
  // start does not wait for its children's months).
  Result<std::vector<ReportedCamera>> reportedCameras(WallTime to);
  static constexpr std::chrono::seconds kRatesAge{60};
  // How many times a child's rates were computed (each reads its month of
  // transitions), for tests.
  uint64_t rateComputations() {
    std::lock_guard lock(mutex_);
    return rateComputations_;
  }

  // This node's own side: the owner's switch "totals to the tiers above"
  // (design/UPTIME.md, "Overview"), on until the owner turns it off.
  Result<bool> sharesTotals();
  Status setSharesTotals(bool shared);
  // One camera's transitions: its last before `from`, if any, then those
  // in [from, min(to, now)), in order (what onlineTime() takes).
  Result<std::vector<HealthTransition>> timeline(const std::string& childId, const std::string& camera, WallTime from,
                                                 WallTime to);

 private:
  HealthStore(sqlite3* db, const Clock& clock, HealthStoreOptions options);
  // Drops what is past `keep`, and the child's oldest beyond its cap. Under mutex_.
  Status prune(const std::string& childId);
  Result<std::vector<HealthTransition>> timelineLocked(const std::string& childId, const std::string& camera,
                                                       WallTime from, WallTime to);
  // The child's reported cameras and their rates up to `to`, into rated_. Under mutex_.
  Status rate(const std::string& childId, WallTime to);

  const Clock& clock_;
  const HealthStoreOptions options_;
  std::mutex mutex_;
  sqlite3* db_;
  int64_t keptSincePrune_ = 0;
  std::map<std::string, HealthSummary> summaries_;  // as in the summary table
  struct Rated {
    WallTime to;  // what the rates are up to
    std::vector<ReportedCamera> cameras;
    bool stale = true;  // to be computed again at the next read
  };
  std::map<std::string, Rated> rated_;  // per child with transitions
  uint64_t rateComputations_ = 0;
  std::optional<std::chrono::steady_clock::time_point> pruned_;
};

// Registers the store as the outbox's receiver of both health messages
// from children. A message that does not decode is logged and taken
// (sending it again changes nothing); a store error is not taken.
void receiveChildHealth(Outbox& outbox, HealthStore& store);

}  // namespace vigil::link

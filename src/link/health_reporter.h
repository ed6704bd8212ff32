#pragma once
// The child's side of health up the tiers (design/LINK.md, "Health"): a
// thread looks at this node's cameras every `poll` and queues for the
// parent, through the outbox, each camera going online or offline, and
// now and then a summary (node-level counts). Only cameras shared with a
// tier from the parent's up are named (sharedUpward(): what the catalog
// lists); of the others only the counts go up. After each start the first
// message lists every reported camera (`full`), so a camera unshared or
// gone while this node was down is seen as no longer reported.
//
// At most one summary waits in the outbox: a link down for a week leaves
// every transition queued, not ten thousand summaries.

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <optional>
#include <thread>

#include "base/mutex.h"
#include "base/time.h"
#include "link/catalog.h"
#include "link/health_messages.h"
#include "link/outbox.h"

namespace vigil::link {

struct HealthReporterOptions {
  std::chrono::milliseconds poll{1000};
  std::chrono::seconds summaryEvery{60};  // and whenever the counts change
  // Fills the overview's part of a summary (figures, daily rates, the nodes
  // below) after its counts; null: the counts only.
  std::function<void(HealthSummary&)> overview;
  // The owner's switch "totals to the tiers above" (design/UPTIME.md,
  // "Overview"); false: the summary says only "withheld". Null: shared.
  std::function<bool()> totalsShared;
};

class HealthReporter {
 public:
  // `parentTier`: cameras shared with it or a tier above are reported.
  HealthReporter(Outbox& outbox, CatalogSources sources, Tier parentTier, const Clock& clock,
                 HealthReporterOptions options = {});
  ~HealthReporter();  // stop()s
  HealthReporter(const HealthReporter&) = delete;
  HealthReporter& operator=(const HealthReporter&) = delete;

  void start();
  void stop();
  // Queues what changed since the last poll (everything, the first time)
  // and, when due, a summary. The thread's work; public for tests.
  Status poll() EXCLUDES(mutex_);

 private:
  Status queueSummary(const HealthSummary& now) REQUIRES(mutex_);
  void run();

  Outbox& outbox_;
  const CatalogSources sources_;
  const Tier parentTier_;
  const Clock& clock_;
  const HealthReporterOptions options_;

  Mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ GUARDED_BY(mutex_) = false;
  bool listed_ GUARDED_BY(mutex_) = false;  // a full list was queued by this process
  std::map<std::string, CameraHealthChange> reported_ GUARDED_BY(mutex_);  // as queued last
  std::optional<HealthSummary> summary_ GUARDED_BY(mutex_);                // the last queued
  int64_t summarySeq_ GUARDED_BY(mutex_) = 0;                             // its outbox number
  std::chrono::steady_clock::time_point summaryQueued_ GUARDED_BY(mutex_);
  std::thread thread_;
};

}  // namespace vigil::link

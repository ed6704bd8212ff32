#pragma once
// The owning node's history of its cameras' outages (design/UPTIME.md),
// <data_dir>/uptime.db: when each camera was configured, each outage with
// its start, end and reason, and the last moment the node is known to
// have run (a heartbeat), so that neither a clean stop nor a crash loses
// what happened: at the next start an outage left open ends there, and
// the time until each camera streams again is `node_down`.
// Thread-safe (one connection under a mutex).

#include <sqlite3.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/mutex.h"
#include "base/time.h"
#include "uptime/outage.h"

namespace vigil::uptime {

class UptimeStore {
 public:
  static Result<std::unique_ptr<UptimeStore>> open(const std::string& path, const Clock& clock);
  ~UptimeStore();
  UptimeStore(const UptimeStore&) = delete;
  UptimeStore& operator=(const UptimeStore&) = delete;

  // At the node's start, with the cameras configured now: what the last run
  // left open ends at its last heartbeat; each camera configured then and
  // now is `node_down` from there on; a camera no longer configured stops
  // counting there; a new one counts from now, `connecting` until it
  // streams.
  Status start(const std::vector<std::string>& cameras) EXCLUDES(mutex_);
  // The node is alive now (every minute, and at a clean stop).
  Status beat() EXCLUDES(mutex_);
  // The camera's outage from now on (none: online); a change ends the open
  // one now and opens the new one. Only cameras given to start(). A
  // change that fails to be written (its disk full) is tried again by each
  // next call, at the time of the first change not written: what changed
  // meanwhile is one outage, with the reason of the last call; and when
  // the camera is back where it was before that is written, the stretch
  // it was away is still kept (the last state it went through, from the
  // first change to the return), not lost.
  Status set(const std::string& camera, const std::optional<std::string>& reason) EXCLUDES(mutex_);
  std::optional<std::string> openOutage(const std::string& camera) const EXCLUDES(mutex_);

  // Over [from, min(to, now)). A camera never configured counts nothing.
  Result<CameraHealth> health(const std::string& camera, WallTime from, WallTime to) EXCLUDES(mutex_);

  // For /metrics: per camera configured now, its open outage's reason
  // (none: online), and the outages this process opened, by camera and reason.
  std::map<std::string, std::optional<std::string>> openOutages() const EXCLUDES(mutex_);
  std::map<std::pair<std::string, std::string>, uint64_t> outagesOpened() const EXCLUDES(mutex_);

 private:
  UptimeStore(sqlite3* db, const Clock& clock);
  // Runs `body` in one transaction.
  Status inTransaction(const std::function<Status()>& body) REQUIRES(mutex_);
  Status beginOutage(const std::string& camera, const std::string& reason, int64_t at) REQUIRES(mutex_);

  const Clock& clock_;
  mutable Mutex mutex_;
  sqlite3* db_ GUARDED_BY(mutex_);
  // Changes of a camera not written yet (its disk full).
  struct Pending {
    int64_t at = 0;                       // the first one
    std::optional<std::string> away;      // the last state set other than the one kept
    int64_t backAt = 0;                   // when it was last set back to the one kept
  };
  // Writes what `pending` stands for, now that the camera is `reason`.
  Status writePending(const std::string& camera, const Pending& pending, const std::optional<std::string>& kept,
                      const std::optional<std::string>& reason) REQUIRES(mutex_);

  // Per camera configured now, its outage as last set, and as kept in the
  // database; they differ while a change could not be written (its disk
  // full): pending_ holds what happened meanwhile.
  std::map<std::string, std::optional<std::string>> open_ GUARDED_BY(mutex_);
  std::map<std::string, std::optional<std::string>> written_ GUARDED_BY(mutex_);
  std::map<std::string, Pending> pending_ GUARDED_BY(mutex_);
  std::map<std::pair<std::string, std::string>, uint64_t> opened_ GUARDED_BY(mutex_);
  int64_t lastAt_ GUARDED_BY(mutex_) = 0;  // no outage starts before the last one recorded (a clock stepping back)
};

}  // namespace vigil::uptime

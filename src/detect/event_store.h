#pragma once
// A node's detection events and the detection settings its owner set in
// the UI, <data_dir>/events.db (SQLite, WAL,
// synchronous=FULL): per event its camera, label, top score, start, end
// (none while open), the last time it was seen, the zones it entered, its
// box in the top-scoring picture and that picture as JPEG with the box
// drawn. Thread-safe (one connection under a mutex).

#include <sqlite3.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/mutex.h"
#include "base/status.h"
#include "detect/config.h"
#include "detect/events.h"

namespace vigil::detect {

struct EventQuery {
  std::optional<std::vector<std::string>> cameras;  // none: every camera
  std::string label;                                // empty: any
  std::optional<WallTime> start;                    // events not ended before it
  std::optional<WallTime> end;                      // events started before it
  size_t limit = 100;
};

class EventStore {
 public:
  static Result<std::unique_ptr<EventStore>> open(const std::string& path);
  ~EventStore();
  EventStore(const EventStore&) = delete;
  EventStore& operator=(const EventStore&) = delete;

  // Closes the events left open when the node stopped (a crash, or a
  // stop while something was in view) at their last update, and answers
  // them as closed, oldest first: their end is still to be told. Called
  // once, before the first write.
  Result<std::vector<DetectionEvent>> closeLeftOpen() EXCLUDES(mutex_);
  // Stores the event as it is now (by its id), with `snapshotJpeg` when
  // given (else the one stored stays).
  Status write(const DetectionEvent& event, const std::optional<std::string>& snapshotJpeg) EXCLUDES(mutex_);
  Result<std::optional<DetectionEvent>> get(const std::string& id) EXCLUDES(mutex_);
  // NotFound when the event has none (or is not here).
  Result<std::string> snapshot(const std::string& id) EXCLUDES(mutex_);
  // The cameras that have events here.
  Result<std::vector<std::string>> cameras() EXCLUDES(mutex_);
  // Newest first.
  Result<std::vector<DetectionEvent>> list(const EventQuery& query) EXCLUDES(mutex_);
  // Deletes the events of `camera` that started before `before`; how many.
  Result<int64_t> prune(const std::string& camera, WallTime before) EXCLUDES(mutex_);

  // The settings the owner set for `camera` (over its config file's), or
  // none to go back to the file's.
  Status setCameraSettings(const std::string& camera, const std::optional<CameraDetectConfig>& settings)
      EXCLUDES(mutex_);
  // Every camera's settings set in the UI. A row that does not parse (a
  // newer version's) is logged and left out.
  Result<std::map<std::string, CameraDetectConfig>> cameraSettings() EXCLUDES(mutex_);

 private:
  explicit EventStore(sqlite3* db) : db_(db) {}
  sqlite3* const db_;
  Mutex mutex_;
};

}  // namespace vigil::detect

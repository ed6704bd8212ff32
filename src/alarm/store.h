#pragma once
// A node's alarms, <data_dir>/alarms.db (SQLite, WAL, synchronous=FULL):
// per alarm its record (alarm.h), where it came from and went on this
// node (its route), and a history of what changed here. Each change takes
// the next number of a node-wide sequence, so a desk can ask for what
// changed since the number it last saw.
//
// Every write is one transaction; the record stays `unsent` until the
// messages it owes its neighbours are in the outbox (Alarms flushes it,
// and again after a restart). Thread-safe (one connection under a mutex).

#include <sqlite3.h>

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "alarm/alarm.h"
#include "base/status.h"
#include "base/time.h"

namespace vigil::alarm {

struct StoredAlarm {
  Alarm alarm;
  std::string fromChild;  // the child it came from; empty: raised here
  bool up = false;        // sent (or to be sent) to this node's parent
  WallTime receivedAt;    // stored here (this node's clock)
  int64_t change = 0;     // the number of its last change here
  int64_t raiseSeq = 0;   // the origin's: the outbox number of its last raise to the parent
  bool unsent = false;    // a change not yet in the outbox
};

struct HistoryLine {
  int64_t change = 0;
  WallTime at;
  std::string what;
};

class AlarmStore {
 public:
  static Result<std::unique_ptr<AlarmStore>> open(const std::string& path);
  ~AlarmStore();
  AlarmStore(const AlarmStore&) = delete;
  AlarmStore& operator=(const AlarmStore&) = delete;

  // Stores a new alarm (unsent), with `history`. AlreadyExists when its id is here.
  Status add(const StoredAlarm& a, WallTime at, const std::vector<std::string>& history);
  Result<std::optional<StoredAlarm>> get(const std::string& id);
  // Reads the alarm, lets `change` edit it and, when it says it changed
  // something (true), stores it, unsent, with `history` lines it added:
  // all in one transaction, so two changes never interleave. NotFound for
  // an unknown id; an error from `change` is returned and nothing stored.
  using Change = std::function<Result<bool>(StoredAlarm&, std::vector<std::string>& history)>;
  Result<StoredAlarm> update(const std::string& id, WallTime at, const Change& change);
  // Its messages are in the outbox: unsent is cleared unless it changed
  // since `change`.
  Status markSent(const std::string& id, int64_t change, int64_t raiseSeq);

  // Newest first; `state` none: all.
  Result<std::vector<StoredAlarm>> list(std::optional<State> state, size_t limit);
  // Changed after `change`, in order of change; at most `limit`.
  Result<std::vector<StoredAlarm>> changedSince(int64_t change, size_t limit);
  Result<std::vector<StoredAlarm>> unsent();
  // Received from a child, still open and not sent up, stored at or before `before`.
  Result<std::vector<StoredAlarm>> unescalated(WallTime before);
  // The newest alarm raised here that is not closed, or closed at or after `closedSince`.
  Result<std::optional<std::string>> openRaisedHere(WallTime closedSince);
  // How many alarms that came from `child` are not closed.
  Result<int64_t> notClosedFrom(const std::string& child);
  Result<std::vector<HistoryLine>> history(const std::string& id);
  Result<int64_t> lastChange();

 private:
  explicit AlarmStore(sqlite3* db) : db_(db) {}
  // Writes `a` (inserted or replaced) and its history lines; sets a.change. Under mutex_, in a transaction.
  Status write(StoredAlarm& a, bool insert, WallTime at, const std::vector<std::string>& history);
  Result<std::optional<StoredAlarm>> read(const std::string& id);

  std::mutex mutex_;
  sqlite3* db_;
};

}  // namespace vigil::alarm

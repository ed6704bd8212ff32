#pragma once
// Audit rows for what anyone can cause without logging in (failed and
// refused logins) or a node above can cause by asking (looks refused at
// the source), written so a flood cannot grow the audit log without
// bound: one row per (action, user, client, camera, detail) at most every window
// (a minute). Each event adds one to a named counter of its key. The first
// event of a key is written at once; the ones after it within the window
// are counted and written as one row when the window is over, which opens
// the next window. A row's detail is the event's own plus each counter
// that is not zero and "first", "last" (RFC 3339):
//   {"failed":310,"throttled":2,"first":"...","last":"..."}
// One client trying many names is one key past the first namesPerClient
// names of a window: the others are counted under user "*". Once maxKeys
// keys are being counted, further events of an action are counted under
// user "*", client "*" and no camera (and overflowDetail, when set), so
// memory and rows per window stay bounded.
//
// A thread (started at the first event) writes the counts as windows end;
// the destructor writes what is still counted. A crash loses at most a
// window of counts, never the first event of a key.

#include <chrono>
#include <condition_variable>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <tuple>

#include "access/audit.h"
#include "base/mutex.h"
#include "base/time.h"

namespace vigil::access {

// The user (and client) of a row that counts several.
inline constexpr const char* kAnyone = "*";

struct AuditTallyOptions {
  std::chrono::seconds window{60};
  size_t maxKeys = 1000;
  size_t namesPerClient = 10;
  // The detail of the row counting events past maxKeys; none: each event's
  // own (set it when callers' details are many: they are part of the key).
  std::optional<std::string> overflowDetail;
  // False: no thread; the owner calls flush() (tests with a ManualClock).
  bool background = true;
};

// Thread-safe.
class AuditTally {
 public:
  AuditTally(AuditLog& audit, const Clock& clock, AuditTallyOptions options = {});
  ~AuditTally();
  AuditTally(const AuditTally&) = delete;
  AuditTally& operator=(const AuditTally&) = delete;

  // Adds one to `counter` of the event's key (its detail, a JSON object,
  // is part of the key), writing the key's row now when it had none in
  // the last window. A failed write is returned and the counts kept for
  // the next try.
  Status count(const AuditEvent& event, const std::string& counter);
  // Writes the counts whose window is over (every count with `all`). The
  // first failure is returned; the rest are still tried.
  Status flush(bool all = false) EXCLUDES(mutex_);

 private:
  // action, client, camera, detail, user: one client's keys are next to each other.
  using Key = std::tuple<std::string, std::string, std::string, std::string, std::string>;
  struct Entry {
    std::map<std::string, int64_t> counts;  // not written yet
    WallTime first, last;
    std::optional<std::chrono::steady_clock::time_point> lastRow;
  };
  Status write(const Key& key, Entry& entry, std::chrono::steady_clock::time_point now) REQUIRES(mutex_);
  bool windowOver(const Entry& e, std::chrono::steady_clock::time_point now) const;
  void run();

  AuditLog& audit_;
  const Clock& clock_;
  const AuditTallyOptions options_;
  Mutex mutex_;  // held while a row is written, so a key never gets two in a window
  std::condition_variable wake_;
  std::map<Key, Entry> entries_ GUARDED_BY(mutex_);
  bool stopping_ GUARDED_BY(mutex_) = false;
  std::thread thread_;
};

}  // namespace vigil::access

#pragma once
// The alerts told and not resolved (alerts.h), kept in
// <data_dir>/alerts.db so that a restart neither tells them raised again
// nor forgets to tell them resolved (design/UPTIME.md, "Alerts").
// Thread-safe (one connection under a mutex).

#include <sqlite3.h>

#include <memory>
#include <string>
#include <vector>

#include "base/mutex.h"
#include "base/status.h"
#include "uptime/alerts.h"

namespace vigil::uptime {

class AlertStore {
 public:
  static Result<std::unique_ptr<AlertStore>> open(const std::string& path);
  ~AlertStore();
  AlertStore(const AlertStore&) = delete;
  AlertStore& operator=(const AlertStore&) = delete;

  Result<std::vector<ToldAlert>> load() EXCLUDES(mutex_);
  // In place of what was kept, in one transaction.
  Status save(const std::vector<ToldAlert>& told) EXCLUDES(mutex_);

 private:
  explicit AlertStore(sqlite3* db) : db_(db) {}
  mutable Mutex mutex_;
  sqlite3* db_ GUARDED_BY(mutex_);
};

}  // namespace vigil::uptime

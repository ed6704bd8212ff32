#pragma once
// A node's cameras' outage history (design/UPTIME.md), the same for
// `vigil serve` and `vigil demo`: <data_dir>/uptime.db, started with the
// cameras configured now (what the last run left open ends at its last
// heartbeat), and the recorder thread that keeps it current.

#include <memory>
#include <string>
#include <vector>

#include "app/config.h"
#include "app/node.h"
#include "uptime/recorder.h"
#include "uptime/store.h"

namespace vigil::app {

struct NodeUptime {
  // `node` must outlive the result; its recorder starts with start().
  static Result<std::unique_ptr<NodeUptime>> open(const std::string& dataDir,
                                                  const std::vector<ConfiguredCamera>& cameras, const Node& node);

  std::unique_ptr<uptime::UptimeStore> store;
  std::unique_ptr<uptime::UptimeRecorder> recorder;  // stop() it after the loops are joined: this run's last heartbeat
};

}  // namespace vigil::app

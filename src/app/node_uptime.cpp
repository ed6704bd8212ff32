#include "app/node_uptime.h"

#include <filesystem>

namespace vigil::app {

Result<std::unique_ptr<NodeUptime>> NodeUptime::open(const std::string& dataDir,
                                                     const std::vector<ConfiguredCamera>& cameras, const Node& node) {
  auto store = uptime::UptimeStore::open((std::filesystem::path(dataDir) / "uptime.db").string(),
                                         SystemClock::instance());
  if (!store) return Status(store.status().code(), "uptime.db: " + store.status().message());
  std::vector<std::string> ids;
  for (const ConfiguredCamera& c : cameras) ids.push_back(c.camera.id);
  if (Status s = (*store)->start(ids); !s.isOk()) return Status(s.code(), "uptime.db: " + s.message());
  auto out = std::make_unique<NodeUptime>();
  out->store = std::move(*store);
  out->recorder = std::make_unique<uptime::UptimeRecorder>(*out->store, [&node] { return node.cameraStatuses(); });
  return out;
}

}  // namespace vigil::app

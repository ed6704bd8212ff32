#include "app/node_access.h"

#include <fmt/format.h>

#include <filesystem>

namespace vigil::app {

Result<NodeAccess> openNodeAccess(const std::string& dataDir) {
  std::error_code ec;
  std::filesystem::create_directories(dataDir, ec);
  if (ec) return Status::unavailable(fmt::format("cannot create data directory {}: {}", dataDir, ec.message()));
  auto store = access::SqliteAccessStore::open((std::filesystem::path(dataDir) / "access.db").string());
  if (!store) return store.status();
  NodeAccess a;
  a.store = std::move(*store);
  a.audit = std::make_unique<access::AuditLog>(*a.store, SystemClock::instance());
  a.accounts = std::make_unique<access::Accounts>(*a.store, *a.audit, SystemClock::instance());
  return a;
}

Result<std::string> dataDirFrom(const std::string& configPath, const std::string& dataDir) {
  if (!dataDir.empty()) return dataDir;
  auto config = loadConfigFile(configPath);
  if (!config) return config.status();
  if (config->node.dataDir.empty()) {
    return Status::invalidArgument(fmt::format("{}: node.data_dir is not set", configPath));
  }
  return config->node.dataDir;
}

}  // namespace vigil::app

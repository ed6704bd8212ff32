#include "app/node_access.h"

#include <fmt/format.h>

#include <filesystem>

#include "access/postgres_store.h"
#include "access/sqlite_store.h"
#include "app/config.h"

namespace vigil::app {

namespace {

std::string sqlitePath(const std::string& dataDir) { return (std::filesystem::path(dataDir) / "access.db").string(); }

Result<std::unique_ptr<access::AccessStore>> openStore(const AccessLocation& where) {
  if (!where.database.empty()) {
    auto store = access::PostgresAccessStore::open(where.database);
    if (!store) return store.status();
    return std::unique_ptr<access::AccessStore>(std::move(*store));
  }
  std::error_code ec;
  std::filesystem::create_directories(where.dataDir, ec);
  if (ec) return Status::unavailable(fmt::format("cannot create data directory {}: {}", where.dataDir, ec.message()));
  auto store = access::SqliteAccessStore::open(sqlitePath(where.dataDir));
  if (!store) return store.status();
  return std::unique_ptr<access::AccessStore>(std::move(*store));
}

}  // namespace

std::string AccessLocation::describe() const {
  return database.empty() ? sqlitePath(dataDir) : redactUrlPassword(database);
}

Result<NodeAccess> openNodeAccess(const AccessLocation& where) {
  auto store = openStore(where);
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

Result<AccessLocation> accessLocationFrom(const std::string& configPath, const std::string& dataDir) {
  if (!dataDir.empty()) return AccessLocation{dataDir, ""};
  auto config = loadConfigFile(configPath);
  if (!config) return config.status();
  if (config->access.database.empty() && config->node.dataDir.empty()) {
    return Status::invalidArgument(fmt::format("{}: node.data_dir is not set", configPath));
  }
  return AccessLocation{config->node.dataDir, config->access.database};
}

}  // namespace vigil::app

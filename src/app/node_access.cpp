#include "app/node_access.h"

#include <fmt/format.h>

#include <filesystem>

#include "access/postgres_store.h"
#include "access/sqlite_store.h"
#include "app/config.h"
#include "base/url_credentials.h"

namespace vigil::app {

namespace {

// Rows appended since the last checkpoint, this long at most, are the ones
// a database writer can remove unseen (design/AUDIT.md).
constexpr std::chrono::seconds kCheckpointPeriod{2};

std::string sqlitePath(const std::string& dataDir) { return (std::filesystem::path(dataDir) / "access.db").string(); }

Result<std::unique_ptr<access::AccessStore>> openStore(const AccessLocation& where) {
  if (!where.database.empty()) {
    auto store = access::PostgresAccessStore::open(where.database);
    if (!store) return store.status();
    return std::unique_ptr<access::AccessStore>(std::move(*store));
  }
  auto store = access::SqliteAccessStore::open(sqlitePath(where.dataDir));
  if (!store) return store.status();
  return std::unique_ptr<access::AccessStore>(std::move(*store));
}

}  // namespace

std::string AccessLocation::describe() const {
  return database.empty() ? sqlitePath(dataDir) : redactUrlCredentials(database);
}

Result<NodeAccess> openNodeAccess(const AccessLocation& where, AccessUse use, const access::AccountsOptions& options) {
  if (where.dataDir.empty()) {
    return Status::invalidArgument("node.data_dir is not set: it holds the node key that signs the audit log");
  }
  const std::filesystem::path dataDir(where.dataDir);
  const std::filesystem::path keyPath = dataDir / "node.key";
  if (use == AccessUse::kReadWrite) {
    std::error_code ec;
    std::filesystem::create_directories(dataDir, ec);
    if (ec) return Status::unavailable(fmt::format("cannot create data directory {}: {}", where.dataDir, ec.message()));
  }
  auto key = use == AccessUse::kReadWrite ? access::NodeKey::loadOrCreate(keyPath) : access::NodeKey::load(keyPath);
  if (!key) return key.status();
  auto store = openStore(where);
  if (!store) return store.status();
  NodeAccess a;
  a.nodeKeyHex = key->publicKeyHex();
  a.store = std::move(*store);
  a.audit = std::make_unique<access::AuditLog>(*a.store, SystemClock::instance(),
                                               access::AuditSigning{std::move(*key), dataDir / "audit.checkpoint"});
  a.accounts = std::make_unique<access::Accounts>(*a.store, *a.audit, SystemClock::instance(), options);
  a.shares = std::make_unique<access::CameraShares>(*a.store, *a.audit, SystemClock::instance());
  a.pairing = std::make_unique<access::DevicePairing>(*a.accounts, *a.audit, SystemClock::instance());
  if (use == AccessUse::kReadWrite) a.checkpointer = std::make_unique<access::AuditCheckpointer>(*a.audit, kCheckpointPeriod);
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

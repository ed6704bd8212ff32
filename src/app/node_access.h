#pragma once
// Opens a node's accounts and audit log (<data_dir>/access.db), for the
// server commands and for the CLI's user and audit subcommands alike.

#include <memory>
#include <string>

#include "access/accounts.h"
#include "access/audit.h"
#include "access/sqlite_store.h"
#include "base/config.h"

namespace vigil::app {

struct NodeAccess {
  std::unique_ptr<access::SqliteAccessStore> store;
  std::unique_ptr<access::AuditLog> audit;
  std::unique_ptr<access::Accounts> accounts;
};

// Creates the data directory when missing.
Result<NodeAccess> openNodeAccess(const std::string& dataDir);
// The data directory of `--config FILE` or `--data DIR` (exactly one is set).
Result<std::string> dataDirFrom(const std::string& configPath, const std::string& dataDir);

}  // namespace vigil::app

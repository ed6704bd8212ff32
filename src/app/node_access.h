#pragma once
// Opens a node's accounts and audit log, for the server commands and for
// the CLI's user and audit subcommands alike: in PostgreSQL when
// [access] database is set, else in <data_dir>/access.db (SQLite).

#include <memory>
#include <string>

#include "access/accounts.h"
#include "access/audit.h"
#include "access/store.h"
#include "base/config.h"

namespace vigil::app {

struct NodeAccess {
  std::unique_ptr<access::AccessStore> store;
  std::unique_ptr<access::AuditLog> audit;
  std::unique_ptr<access::Accounts> accounts;
};

struct AccessLocation {
  std::string dataDir;   // SQLite: <dataDir>/access.db
  std::string database;  // a PostgreSQL URI; used instead of dataDir when set
  // For logs and messages: the file, or the URI without its password.
  std::string describe() const;
};

// Creates the data directory when SQLite is used and it is missing.
Result<NodeAccess> openNodeAccess(const AccessLocation& where, const access::AccountsOptions& options = {});
// The data directory of `--config FILE` or `--data DIR` (exactly one is set).
Result<std::string> dataDirFrom(const std::string& configPath, const std::string& dataDir);
// Where the accounts of `--config FILE` or `--data DIR` live.
Result<AccessLocation> accessLocationFrom(const std::string& configPath, const std::string& dataDir);

}  // namespace vigil::app

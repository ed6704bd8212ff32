#pragma once
// Opens a node's accounts and audit log, for the server commands and for
// the CLI's user and audit subcommands alike: in PostgreSQL when
// [access] database is set, else in <data_dir>/access.db (SQLite). The
// node's key (<data_dir>/node.key) signs its audit rows and checkpoints
// (<data_dir>/audit.checkpoint): both stay in the data directory, whatever
// the database.

#include <memory>
#include <string>

#include "access/accounts.h"
#include "access/audit.h"
#include "access/camera_shares.h"
#include "access/device_pairing.h"
#include "access/store.h"
#include "base/config.h"

namespace vigil::app {

struct NodeAccess {
  std::string nodeKeyHex;  // the node key's public half: for logs, and other nodes' `audit verify --trust`
  std::unique_ptr<access::AccessStore> store;
  std::unique_ptr<access::AuditLog> audit;
  std::unique_ptr<access::Accounts> accounts;
  std::unique_ptr<access::CameraShares> shares;  // what each camera shares with the tiers above
  std::unique_ptr<access::DevicePairing> pairing;  // TVs' codes (http/device_routes.h)
  // Checkpoints the audit log every few seconds and when destroyed, first
  // of the members (declared last). Null for `vigil audit verify`.
  std::unique_ptr<access::AuditCheckpointer> checkpointer;
};

struct AccessLocation {
  std::string dataDir;   // SQLite: <dataDir>/access.db
  std::string database;  // a PostgreSQL URI; used instead of dataDir when set
  // For logs and messages: the file, or the URI without its password.
  std::string describe() const;
};

enum class AccessUse {
  kReadWrite,  // the node and the user commands: the key is made on first use; checkpoints
  kVerify,     // vigil audit verify: reads only; the key must exist
};
// Creates the data directory and the node key when missing (kReadWrite).
Result<NodeAccess> openNodeAccess(const AccessLocation& where, AccessUse use = AccessUse::kReadWrite,
                                  const access::AccountsOptions& options = {});
// The data directory of `--config FILE` or `--data DIR` (exactly one is set).
Result<std::string> dataDirFrom(const std::string& configPath, const std::string& dataDir);
// Where the accounts of `--config FILE` or `--data DIR` live.
Result<AccessLocation> accessLocationFrom(const std::string& configPath, const std::string& dataDir);

}  // namespace vigil::app

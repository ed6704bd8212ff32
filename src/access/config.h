#pragma once
// [access]: where the node's users, sessions and audit log live.

#include <string>
#include <string_view>

#include "base/config.h"

namespace vigil::access {

struct AccessConfig {
  // Empty for the SQLite file <data_dir>/access.db, or a libpq URI
  // ("postgresql://...") for a PostgreSQL database that several nodes of a
  // platform share.
  std::string database;
};

inline constexpr std::string_view kAccessConfigKeys[] = {"database"};
Status readAccessConfig(const ConfigTable& table, AccessConfig& out);

}  // namespace vigil::access

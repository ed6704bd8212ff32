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
  // A session ends this long after login, or after this long unused.
  int sessionLifetimeSeconds = 12 * 60 * 60;
  int sessionIdleSeconds = 30 * 60;
  // A device session (a TV's) has no absolute end: it ends this long unused.
  int deviceIdleSeconds = 90 * 24 * 60 * 60;
  // The node-wide ceiling on login password checks (Argon2id: 64 MiB and
  // about 0.1 s of a core each); past it every login is refused for a
  // moment (ThrottleOptions).
  int passwordChecksPerSecond = 10;
};

inline constexpr std::string_view kAccessConfigKeys[] = {"database", "session_lifetime_s", "session_idle_s",
                                                         "device_idle_s", "password_checks_per_second"};
Status readAccessConfig(const ConfigTable& table, AccessConfig& out);

}  // namespace vigil::access

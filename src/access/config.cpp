#include "access/config.h"

namespace vigil::access {

Status readAccessConfig(const ConfigTable& t, AccessConfig& out) {
  VIGIL_RETURN_IF_ERROR(t.readString("database", out.database));
  const std::string& db = out.database;
  if (t.contains("database") && db.rfind("postgresql://", 0) != 0 && db.rfind("postgres://", 0) != 0) {
    // Say what is wrong without echoing the value: it may hold a password.
    return t.fail("database", "must be a postgresql:// URI");
  }
  constexpr int kThirtyDays = 30 * 24 * 60 * 60;
  VIGIL_RETURN_IF_ERROR(t.readInt("session_lifetime_s", 1, kThirtyDays, out.sessionLifetimeSeconds));
  VIGIL_RETURN_IF_ERROR(t.readInt("session_idle_s", 1, kThirtyDays, out.sessionIdleSeconds));
  VIGIL_RETURN_IF_ERROR(t.readInt("device_idle_s", 1, 400 * 24 * 60 * 60, out.deviceIdleSeconds));
  return t.readInt("password_checks_per_second", 1, 1000, out.passwordChecksPerSecond);
}

}  // namespace vigil::access

#pragma once
// The tamper-evident audit log (BRIEF §1.2, "Every look is seen"): an
// append-only chain of rows where
//   hash(row n) = SHA-256(hash(row n-1) || canonical(row n))
// and hash(row 0) is 32 zero bytes. Changing, inserting or removing a row
// in the middle breaks every later link, and verify() names the first bad
// row. Cutting rows off the end cannot be seen from the log alone; sending
// the head hash up the tier link (later) will close that gap.

#include <string>
#include <string_view>

#include "access/store.h"
#include "base/time.h"

namespace vigil::access {

// The kinds of row (AuditRow::action). design/AUDIT.md says who writes
// each and what its detail holds; a new kind goes in both places.
namespace audit_kind {
inline constexpr const char* kLogin = "login";
inline constexpr const char* kLoginFailed = "login_failed";
inline constexpr const char* kLogout = "logout";
inline constexpr const char* kUserAdd = "user_add";
inline constexpr const char* kPasswordChange = "password_change";
inline constexpr const char* kPermissionsChange = "permissions_change";
inline constexpr const char* kConfigChange = "config_change";
inline constexpr const char* kLiveStart = "live_start";
inline constexpr const char* kLiveStop = "live_stop";
inline constexpr const char* kLiveHls = "live_hls";
inline constexpr const char* kPlayback = "playback";
inline constexpr const char* kExport = "export";
inline constexpr const char* kSnapshot = "snapshot";
inline constexpr const char* kEventOpen = "event_open";
inline constexpr const char* kEventClose = "event_close";
}  // namespace audit_kind

// What a caller records; seq, time and hashes are added by AuditLog.
struct AuditEvent {
  std::string user;    // who acted (Principal::user); empty for the node itself
  std::string action;  // an audit_kind
  std::string camera;  // the camera looked at; empty when none
  std::string client;  // the request's remote address; "cli" for the command line
  std::string detail = "{}";  // a JSON object: what else matters (a time range...)
};

// The bytes hashed for a row: every field but the hashes, each as
// "<decimal length>:<bytes>," in a fixed order, so no two different rows
// share an encoding whatever their fields contain.
std::string canonicalAuditContent(const AuditRow& row);
// hex SHA-256(raw bytes of prevHash || canonicalAuditContent(row)).
std::string chainHash(std::string_view prevHashHex, const AuditRow& row);

// Thread-safe when the store is.
class AuditLog {
 public:
  AuditLog(AuditStore& store, const Clock& clock) : store_(store), clock_(clock) {}

  // Appends one row: the one call for every audited action, e.g.
  //   audit.record({principal.user, audit_kind::kPlayback, camera,
  //                 req.remoteAddress, R"({"start":"...","end":"..."})"});
  // A failure means the action must not go ahead unaudited.
  Status record(AuditEvent event);
  // The number of rows when the chain is intact; DataLoss naming the first
  // bad row ("audit row 7: ...") otherwise.
  Result<int64_t> verify();
  Result<std::vector<AuditRow>> query(const AuditFilter& filter) { return store_.queryAudit(filter); }

 private:
  AuditStore& store_;
  const Clock& clock_;
};

}  // namespace vigil::access

#pragma once
// The tamper-evident audit log (BRIEF §1.2, "Every look is seen"): an
// append-only chain of rows where
//   hash(row n) = SHA-256(hash(row n-1) || canonical(row n))
// and hash(row 0) is 32 zero bytes. Changing, inserting or removing a row
// in the middle breaks every later link, and verify() names the first bad
// row. Cutting rows off the end cannot be seen from the log alone; sending
// the head hash up the tier link (later) will close that gap.

#include <string>

#include "access/store.h"
#include "base/time.h"

namespace vigil::access {

// What a caller records; seq, time and hashes are added by AuditLog.
struct AuditEvent {
  std::string user;
  std::string action;
  std::string camera;
  std::string client;
  std::string detail = "{}";  // a JSON object
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

#pragma once
// Each camera's shares (shares.h) as its owner's admin sets them: stored
// in the access database, every change written to the audit log in the
// same transaction ("share_change", AUDIT.md), and announced to a
// listener, so the link can end remote looks and update its catalog at
// once. Thread-safe.

#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "access/accounts.h"
#include "access/audit.h"
#include "access/shares.h"
#include "access/store.h"

namespace vigil::access {

class CameraShares {
 public:
  CameraShares(ShareStore& store, AuditLog& audit, const Clock& clock) : store_(store), audit_(audit), clock_(clock) {}

  // The camera's shares, by tier; empty when it is shared with no one.
  Result<std::vector<Share>> get(const std::string& camera) { return store_.shares(camera); }
  // Replaces the camera's list (empty: shared with no one) and writes its
  // share_change row, in one transaction: both or neither. InvalidArgument
  // for a bad camera id or a tier given twice.
  Status replace(const Actor& actor, const std::string& camera, const std::vector<Share>& shares);
  // decideShare() for this camera now, on this node's clock and time zone.
  Status decide(const std::string& camera, Tier tier, ShareRight right, bool alarmOpen);

  // Each listener is called with the camera (on the caller's thread, after
  // the change is stored) whenever a camera's shares are replaced here.
  void addChangeListener(std::function<void(const std::string& camera)> listener);

 private:
  ShareStore& store_;
  AuditLog& audit_;
  const Clock& clock_;
  std::mutex listenerMutex_;
  std::vector<std::function<void(const std::string& camera)>> listeners_;  // guarded by listenerMutex_
};

}  // namespace vigil::access

#pragma once
// A node's audit checkpoints, held by its parent (design/LINK.md, "Audit
// checkpoints"): the child sends each new one through the outbox; the
// parent verifies it against the child's pinned key and keeps it
// (LinkStore::addChildCheckpoint), so the owner's log is anchored outside
// the owner's box and a cut log shows at the parent.

#include <string_view>

#include "access/audit_checkpoint.h"
#include "base/mutex.h"
#include "base/time.h"
#include "link/link_store.h"
#include "link/outbox.h"

namespace vigil::link {

inline constexpr std::string_view kCheckpointMessage = "audit.checkpoint";

// The child's side. Thread-safe.
class CheckpointSender {
 public:
  explicit CheckpointSender(Outbox& outbox) : outbox_(outbox) {}
  // Enqueues `c` for the parent unless this process offered one as new
  // already (the file's at start and the checkpointer's may race).
  Status offer(const access::AuditCheckpoint& c) EXCLUDES(mutex_);

 private:
  Outbox& outbox_;
  Mutex mutex_;
  int64_t lastSeq_ GUARDED_BY(mutex_) = -1;
};

// The parent's side: a checkpoint from child `childId`, as the outbox
// gives it. Not parsed or not signed by the child's pinned key: logged and
// dropped (OK: sending it again changes nothing). Else kept; an error only
// when it could not be stored (the outbox gives it again).
Status keepChildCheckpoint(LinkStore& store, const Clock& clock, const std::string& childId,
                           std::span<const uint8_t> body);
// Registers keepChildCheckpoint as the outbox's receiver for checkpoints.
void receiveChildCheckpoints(Outbox& outbox, LinkStore& store, const Clock& clock);

}  // namespace vigil::link

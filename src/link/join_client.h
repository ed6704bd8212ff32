#pragma once
// The child's side of enrolment, for `vigil link join` (design/LINK.md,
// "Enrolment"): on one TLS connection to the parent, check that the key it
// proves is the one the invitation code names, and only then send the code
// with this node's identity and proof. Blocking (its own io_context); for
// the CLI, never on a loop.

#include <chrono>
#include <string>

#include "access/node_key.h"
#include "link/enrolment_messages.h"
#include "link/invite_code.h"
#include "link/link_store.h"

namespace vigil::link {

struct JoinOptions {
  std::string parentUrl;  // https://HOST:PORT
  InviteCode code;
  NodeIdentity self;  // this node's id, name, tier and key
  std::chrono::milliseconds timeout{30000};
};

// The parent to pin. PermissionDenied when the parent's key does not
// match the code or its proof fails; the parent's refusal (its message)
// otherwise; Unavailable/DeadlineExceeded when it cannot be reached.
Result<ParentRecord> joinParent(const access::NodeKey& key, const JoinOptions& options, const Clock& clock);

}  // namespace vigil::link

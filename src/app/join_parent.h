#pragma once
// Joining a parent (design/LINK.md, "Enrolment"), the same for `vigil link
// join` and POST /api/v1/link/parent: the enrolment over TLS, the parent
// pinned in link.db, `[link] parent` written into the config file and a
// link_join row in the node's audit log. A running `vigil serve` dials the
// parent once restarted, which it does in place after a join from the API
// (its catalog, looks and health reporter are made knowing whether there
// is a parent).

#include <string>

#include "access/accounts.h"
#include "access/audit.h"
#include "app/config.h"
#include "app/node_link.h"

namespace vigil::app {

// `parentUrl` is https://HOST:PORT, `code` the invitation code as typed.
// InvalidArgument names the field at fault ("parent: ...", "code: ...");
// the parent's refusal (PermissionDenied, FailedPrecondition for a tier,
// ResourceExhausted when throttled) or Unavailable/DeadlineExceeded when it
// cannot be reached otherwise. The config file is re-read before it is
// rewritten (with every other line kept), so `config` may be the one the
// node started with; its [node] gives this node's identity.
Result<link::ParentRecord> joinLinkParent(NodeLink& link, const Config& config, const std::string& parentUrl,
                                          const std::string& code, access::AuditLog& audit, const access::Actor& by);

// Only the enrolment and the parent pinned in link.db, with the same
// errors: for the demo, whose household has no config file.
Result<link::ParentRecord> joinAndPinParent(NodeLink& link, const Config& config, const std::string& parentUrl,
                                            const std::string& code);

}  // namespace vigil::app

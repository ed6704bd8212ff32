#pragma once
// A node's tier link, for `vigil serve` and the `vigil link` commands: its
// key (<data_dir>/node.key), its link state (<data_dir>/link.db), the
// parent's side (enrolment, children) and, with [link] parent, the child's.

#include <memory>

#include "access/audit.h"
#include "access/node_key.h"
#include "app/config.h"
#include "base/event_loops.h"
#include "link/children.h"
#include "link/enrolment.h"
#include "link/link_store.h"
#include "link/parent_link.h"

namespace vigil::app {

struct NodeLink {
  std::unique_ptr<access::NodeKey> key;
  std::unique_ptr<link::LinkStore> store;
  std::unique_ptr<link::Bus> bus;  // what rides on the links registers here before startNodeLink()
  std::unique_ptr<link::Enrolment> enrolment;
  std::unique_ptr<link::ChildLinks> children;  // started by startNodeLink()
  std::shared_ptr<link::ParentLink> parent;    // with [link] parent, once started
};

// Opens the key and link.db of config.node.dataDir (which must be set).
// Invitations, enrolments and removals are audited in `audit` (the
// node's, app/node_access.h).
Result<NodeLink> openNodeLink(const Config& config, access::AuditLog& audit);
// For serve: starts watching the children and, with [link] parent, dials
// the parent pinned at `vigil link join` (FailedPrecondition when this node
// has not joined the parent its config names).
Status startNodeLink(NodeLink& link, const Config& config, EventLoopPool& loops);

}  // namespace vigil::app

#pragma once
// The tier link's routes (design/LINK.md):
//   GET    /api/v1/link                 admin: this node's parent and children, with their state
//   POST   /api/v1/link/invites         admin: {"name", "expires"?: "24h", "tier"?, "child_id"?}
//                                        -> 201 with the code (shown once)
//   GET    /api/v1/link/invites         admin: every invitation and its state (never a code)
//   DELETE /api/v1/link/invites/{id}    admin: revoke a pending invitation
//   DELETE /api/v1/link/children/{id}   admin: remove a child; its link ends at once
//   POST   /api/v1/link/parent          admin: {"parent": "https://HOST:PORT", "code"}: join that parent
//                                        (vigil link join's work); 200 {"parent", "restarting": true}
//                                        when the node restarts itself to dial it, else
//                                        {"parent", "restart_needed": true}
//   GET    /api/v1/link/children/{id}/checkpoints  admin: the child's audit checkpoints kept here
//   GET    /api/v1/link/children/{id}/health?from=&to=  admin: per camera the child reports, its
//                                        online time and rate over the range (RFC 3339; default
//                                        the last 24 h) and its transitions
//   POST   /api/v1/link/join/hello      node: enrolment, step 1 (link/enrolment_messages.h)
//   POST   /api/v1/link/join            node: enrolment, step 2, with the invitation code
//   GET    /api/v1/link/connect         node: the WebSocket a child holds open

#include <functional>
#include <optional>

#include "http/server.h"
#include "link/children.h"
#include "link/enrolment.h"
#include "link/health_store.h"
#include "link/outbox.h"
#include "link/parent_link.h"

namespace vigil::http {

struct LinkRouteOptions {
  link::Enrolment* enrolment = nullptr;
  link::ChildLinks* children = nullptr;
  link::LinkStore* store = nullptr;
  link::Outbox* outbox = nullptr;
  link::HealthStore* health = nullptr;  // none: no health in the children rows, the health route 404s
  // This node's link to its parent, when it has one.
  std::function<std::optional<link::ParentLinkStatus>()> parent;
  // Joins a parent: url, code as typed (app/join_parent.h). None: no POST /api/v1/link/parent.
  using JoinParent =
      std::function<Result<link::ParentRecord>(const access::Actor& by, const std::string& url, const std::string& code)>;
  JoinParent joinParent;
  // Restarts the node in place once the answer is sent (vigil serve), so a
  // joined parent is dialled at once. None: the answer says a restart is needed.
  std::function<void()> restart;
};

void addLinkRoutes(HttpServer& server, const LinkRouteOptions& options);

}  // namespace vigil::http

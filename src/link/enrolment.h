#pragma once
// The parent's side of enrolment (design/LINK.md, "Enrolment"): one-time
// invitations, and the two steps by which a child joins with one. Thread-
// safe; runs on the HTTP workers and the CLI (a join hashes its code with
// Argon2id), never on a loop.

#include <chrono>
#include <deque>
#include <mutex>
#include <string>

#include "access/accounts.h"
#include "access/audit.h"
#include "access/node_key.h"
#include "access/throttle.h"
#include "base/time.h"
#include "link/enrolment_messages.h"
#include "link/link_store.h"

namespace vigil::link {

inline constexpr std::chrono::seconds kDefaultInviteLifetime{24 * 3600};
// The node-wide budget of failed joins, whatever their addresses: past it,
// every join waits until the oldest failure is an hour old.
inline constexpr size_t kFailedJoinsPerHour = 20;
// "90m", "24h", "7d" (also "s"): 5 seconds to 30 days. InvalidArgument.
Result<std::chrono::seconds> parseInviteLifetime(std::string_view text);

struct NewInvite {
  Invite invite;
  std::string code;  // shown once to the admin who asked; stored only hashed
};

class Enrolment {
 public:
  // `self`: this node's id, name and tier (its key is `key`). Invitations,
  // enrolments and removals are audited in `audit` (design/AUDIT.md).
  Enrolment(LinkStore& store, const access::NodeKey& key, NodeIdentity self, const Clock& clock,
            access::AuditLog& audit);

  // An invitation for a child of `tier` (default: the tier just below this
  // node's) and, when given, of node id `childId`: a join with another
  // tier or id is refused. InvalidArgument for a bad name, lifetime, tier
  // or id. FailedPrecondition when this node has no [node] id, or is a
  // household (nothing below it).
  Result<NewInvite> createInvite(const access::Actor& by, const std::string& name, std::chrono::seconds lifetime,
                                 std::optional<Tier> tier = std::nullopt, const std::string& childId = "");

  Result<std::vector<Invite>> invites() { return store_.listInvites(); }
  // NotFound; FailedPrecondition when it is no longer pending.
  Status revokeInvite(const access::Actor& by, int64_t id);
  // Marks the child removed in link.db (ChildLinks::refresh() then ends
  // its link). NotFound.
  Status removeChild(const access::Actor& by, const std::string& id);

  // Step 1: this node's identity and its proof, bound to the connection
  // (`binding`: Request::tlsChannelBinding; FailedPrecondition when empty).
  Result<JoinHelloAnswer> hello(std::string_view binding, const JoinHello& request) const;
  // Step 2: checks the child's proof, its tier (below this node's), the
  // code (ResourceExhausted while `client` is throttled, or while the
  // node's budget of failed joins is spent; PermissionDenied
  // saying "unknown", "already used", "expired" or "revoked", or that the
  // invitation is for another tier or id); its id free
  // (AlreadyExists). Then the invitation is used and the child enrolled.
  Result<ChildRecord> join(std::string_view binding, const JoinRequest& request, const std::string& client);

  const NodeIdentity& self() const { return self_; }

 private:
  Result<std::vector<uint8_t>> hashSecret(std::string_view secret);
  Status checkCanInvite() const;
  // How long joins stay closed: zero while the budget lasts.
  std::chrono::seconds budgetWait();
  void failedJoin();

  LinkStore& store_;
  const access::NodeKey& key_;
  const NodeIdentity self_;
  const Clock& clock_;
  access::AuditLog& audit_;
  access::LoginThrottle throttle_;
  std::mutex budgetMutex_;
  std::deque<std::chrono::steady_clock::time_point> failures_;  // the last hour's, at most kFailedJoinsPerHour
};

}  // namespace vigil::link

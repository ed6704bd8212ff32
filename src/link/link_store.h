#pragma once
// The link's state in SQLite, <data_dir>/link.db (design/LINK.md, "State"):
// on a parent, its invitations (only a slow hash of each secret) and its
// enrolled children with their pinned keys; on a child, its parent's
// address and pinned key. Thread-safe (one connection under a mutex);
// called from the HTTP workers and the CLI, never from a loop.

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "base/config.h"
#include "base/status.h"
#include "base/time.h"
#include "link/proof.h"

struct sqlite3;

namespace vigil::link {

// Who an invitation is for: the tier it enrols, and the node id when the
// admin named one (empty: any free id).
struct InviteFor {
  Tier tier = Tier::kHousehold;
  std::string childId;
};

struct Invite {
  int64_t id = 0;
  std::string name;  // who it is for, as the admin wrote it
  // Unset only for invitations made before invitations bound a tier (all
  // revoked by that upgrade).
  std::optional<InviteFor> bound;
  WallTime createdAt;
  WallTime expiresAt;
  std::optional<WallTime> usedAt;
  std::string usedBy;  // the child's id
  std::optional<WallTime> revokedAt;
  // "pending", "used", "revoked" or "expired".
  std::string_view state(WallTime now) const;
};

struct ChildRecord {
  std::string id;
  std::string name;
  Tier tier = Tier::kHousehold;
  PublicKey key{};
  WallTime enrolledAt;
  std::optional<WallTime> removedAt;
};

struct ParentRecord {
  std::string url;  // https://HOST:PORT
  std::string id;
  std::string name;
  Tier tier = Tier::kVillage;
  PublicKey key{};
  WallTime joinedAt;
};

// An audit checkpoint a child sent, as its parent keeps it
// (link/checkpoint_relay.h), its signature verified before.
struct ChildCheckpoint {
  int64_t seq = 0;
  std::string head;  // hex
  WallTime at;       // when the child made it
  WallTime receivedAt;
  std::string text;     // as signed (access/audit_checkpoint.h)
  std::string problem;  // empty, or why it shows the child's log was cut
};

class LinkStore {
 public:
  static Result<std::unique_ptr<LinkStore>> open(const std::string& path);
  ~LinkStore();
  LinkStore(const LinkStore&) = delete;
  LinkStore& operator=(const LinkStore&) = delete;

  // This node's salt for invitation hashes, made on first use.
  Result<std::vector<uint8_t>> inviteSalt();
  Result<int64_t> addInvite(const std::string& name, const InviteFor& bound, std::span<const uint8_t> secretHash,
                            WallTime createdAt, WallTime expiresAt);
  Result<std::vector<Invite>> listInvites();
  Result<std::optional<Invite>> findInvite(std::span<const uint8_t> secretHash);
  // NotFound; FailedPrecondition when it is no longer pending.
  Status revokeInvite(int64_t id, WallTime now);
  // In one transaction: the invite must still be pending (else
  // FailedPrecondition saying why) and the child's id free, removed, or
  // enrolled with the same key (else AlreadyExists); then the invite is
  // used and the child (re-)enrolled.
  Status enrolChild(int64_t inviteId, const ChildRecord& child, WallTime now);
  Result<std::vector<ChildRecord>> listChildren();
  // Marks the child removed (it may be invited again). NotFound.
  Status removeChild(const std::string& id, WallTime now);

  // Keeps `c`, unless the child's same checkpoint is kept already (then
  // nullopt). One whose seq is below the newest kept, or whose head
  // differs from a kept one's with the same seq, is kept with `problem`
  // saying so. Returns what was kept.
  Result<std::optional<ChildCheckpoint>> addChildCheckpoint(const std::string& childId, ChildCheckpoint c);
  // Oldest first.
  Result<std::vector<ChildCheckpoint>> childCheckpoints(const std::string& childId);

  // Changes when another connection (another process) commits to link.db.
  Result<int64_t> changeCount();

  Result<std::optional<ParentRecord>> parent();
  // Pins the parent; forgets the chain pinned under any parent before.
  Status setParent(const ParentRecord& parent);
  // The chain of nodes above, as its kChain message was taken
  // (link/ancestors.h); none before the parent handed one down.
  Result<std::optional<std::vector<uint8_t>>> chain();
  Status setChain(std::span<const uint8_t> message);

 private:
  explicit LinkStore(sqlite3* db) : db_(db) {}
  struct Query;
  std::mutex mutex_;
  sqlite3* db_;
};

}  // namespace vigil::link

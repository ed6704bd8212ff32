#pragma once
// The nodes above this one, pinned (design/LINK.md, "Who asks"): so that
// the node that owns a camera checks who asks to look at it against keys
// it holds, not against the word of the nodes an ask passes through.
//
// The chain runs from the root down to a node; each node but the root is
// vouched for by the one above it (chainStatement: its id, tier, key and
// when it was enrolled, signed by the node above). On every link up a
// parent hands its child its own chain with the child vouched for at its
// end (kChain). The child pins the first it gets, as it pinned its
// parent's key at enrolment; it takes another only when it keeps the
// pinned root and its first change is a newer enrolment vouched for by a
// node pinned here (an ancestor enrolled again), and hands it on down.
// A parent therefore cannot swap the keys above it after the fact, nor
// give itself another tier: it holds no key of the nodes above it.
//
// Threads: the bus handler and watchers run on the links' loops (decoding
// and checking signatures only); link.db is read and written on this
// object's own thread. find() from any thread.

#include <boost/asio/thread_pool.hpp>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "access/node_key.h"
#include "base/config.h"
#include "base/mutex.h"
#include "base/status.h"
#include "link/bus.h"
#include "link/link_store.h"
#include "link/proof.h"

namespace vigil::link {

inline constexpr size_t kMaxChainNodes = 4;  // household, village, township, county

struct ChainNode {
  std::string id;
  Tier tier = Tier::kHousehold;
  PublicKey key{};
  uint64_t enrolledAtUs = 0;       // on the clock of the node above; 0 for the root
  std::optional<Signature> vouch;  // by the node above, over chainStatement(); none for the root
  friend bool operator==(const ChainNode&, const ChainNode&) = default;
};
using Chain = std::vector<ChainNode>;  // the root first, down to the node it is for

// kChain (parent -> child): {"chain": [{"id", "tier", "key", "enrolled_at",
// "vouch"?}, ...]}, decoded strictly: 2 to kMaxChainNodes nodes, ids by
// their grammar, keys and vouches as hex, the root alone unvouched.
std::vector<uint8_t> encodeChain(const Chain& chain);
Result<Chain> decodeChain(std::span<const uint8_t> payload);

// Every vouch verifies with the key of the node above it, tiers go
// strictly down, ids are distinct. PermissionDenied saying which does not.
Status verifyChain(const Chain& chain);

// `child` vouched for by this node (`selfId`, `key`).
ChainNode vouchFor(const access::NodeKey& key, const std::string& selfId, const ChildRecord& child);

// Whether a node (`self`, under the pinned `parent`) takes the chain its
// parent offers, given the one it pinned: true to pin `offered`, false to
// keep what it has (the same), PermissionDenied with why it is refused.
// The offer must verify, end at this node and its pinned parent; with a
// chain pinned, keep its root and be newer where it first differs.
Result<bool> takeChain(const std::optional<Chain>& pinned, const Chain& offered, const ChainNode& self,
                       const ParentRecord& parent);

// The key pinned here for a node above, and the path an ask from it takes
// down to this node (`via`: that node first, this node's parent last).
struct PinnedAsker {
  PublicKey key{};
  std::vector<std::string> path;
};

struct AncestorsContext {
  Bus* bus = nullptr;
  LinkStore* store = nullptr;
  const access::NodeKey* key = nullptr;  // this node's
  std::string selfId;
  Tier selfTier = Tier::kHousehold;
  std::optional<ParentRecord> parent;  // pinned at enrolment; none for a root
};

class Ancestors {
 public:
  // Loads the pinned chain and registers on the bus: before the links start.
  explicit Ancestors(AncestorsContext context);
  ~Ancestors();
  Ancestors(const Ancestors&) = delete;
  Ancestors& operator=(const Ancestors&) = delete;

  // Node `id` above this one, pinned with `tier`; nullopt when none is.
  // Before any chain is pinned, only the parent (its enrolment's key).
  std::optional<PinnedAsker> find(std::string_view id, Tier tier) const;

  // What this node hands its children: its pinned chain (itself at its
  // end), or itself alone at a root; empty while a child waits for one.
  Chain own() const;

 private:
  Status onChain(const Frame& frame);
  void onLink(const Peer& peer, bool up);
  // On the thread: the chain (own() and the child vouched for) to `child`.
  void sendDown(const std::string& child);

  const AncestorsContext context_;
  boost::asio::thread_pool thread_{1};
  mutable Mutex mutex_;
  std::optional<Chain> pinned_ GUARDED_BY(mutex_);
  std::set<std::string> children_ GUARDED_BY(mutex_);  // linked now
};

}  // namespace vigil::link

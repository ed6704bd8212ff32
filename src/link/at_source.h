#pragma once
// What looks and recorded media share on their way down and at the node
// that owns the camera (design/LINK.md, "Looks"): the next hop of a dotted
// camera id, and the owner's decision on an ask from above, a refusal
// written in its audit log naming who asked.

#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "access/shares.h"
#include "base/config.h"
#include "base/mutex.h"
#include "base/status.h"
#include "link/look_messages.h"
#include "link/looks.h"

namespace vigil::link {

// "house7.door" -> ("house7", "door").
std::pair<std::string, std::string> firstHop(std::string_view camera);

// What an ask names beside its camera, user, tier and path, as the asking
// node signs it (askStatement): a look's right, or recorded media's path,
// query and headers.
struct AskSigned {
  std::string_view kind;  // "look" or "media"
  std::string_view what;  // the right, or the path
  std::string_view query = {}, range = {}, ifRange = {};
};

struct AskFromAbove {
  const std::string& camera;  // of this node
  Tier tier;
  access::ShareRight right;
  const std::string& user;
  const std::vector<std::string>& via;
  // For decideAtSource: what was signed, and the asking node's proof.
  AskSigned signedAs = {};
  const std::optional<AskProof>* proof = nullptr;
};

// This node's proof of an ask of its user `user` for `camera` (as this
// node names it: "house7.door"); none without a key.
std::optional<AskProof> proveAsk(const LooksContext& context, const std::string& camera, const std::string& user,
                                 const AskSigned& what);
// Whether the ask was signed by the node it names first in `via`, with
// the key pinned here for that node at the tier the ask claims
// (link/ancestors.h), came down the pinned path from it, was made within
// kAskSkew of this node's clock, and was not taken before.
// PermissionDenied saying which not.
Status checkAsker(const LooksContext& context, const AskFromAbove& ask);
inline constexpr std::chrono::minutes kAskSkew{5};

// The asks taken within their freshness window, by asker and nonce: one
// taken again is a replay. Bounded; thread-safe.
class SeenAsks {
 public:
  static constexpr size_t kMaxRemembered = 100000;
  // False when (asker, nonce) was taken already, or when kMaxRemembered
  // asks made in the window are remembered; else remembers it until
  // `forgetAtMs`.
  bool admit(const std::string& asker, const AskNonce& nonce, int64_t forgetAtMs, int64_t nowMs);

 private:
  Mutex mutex_;
  std::map<std::string, int64_t> seen_ GUARDED_BY(mutex_);            // asker and nonce -> forget at
  std::multimap<int64_t, std::string> byTime_ GUARDED_BY(mutex_);     // forget at -> asker and nonce
};
// Why an ask from the parent cannot be passed on or served, if so: a tier
// below the parent pinned here, or a path (`via`) that does not end at it.
// The owner checks the rest against the asking node's signature (checkAsker).
std::optional<std::string> implausibleAsk(const LooksContext& context, Tier tier, const std::vector<std::string>& via);
// "desk@village1": the user at the node that asked.
std::string remoteUser(const AskFromAbove& ask);
// What every audit row of the ask carries: remote, tier, via, right, and
// "alarm": the id of the alarm open here then, if any.
nlohmann::json remoteDetail(const LooksContext& context, const AskFromAbove& ask);
// The asking node's proof (checkAsker), then the owner's shares on the ask
// now (fails closed: a camera it does not have, or shares it cannot read,
// refuse). A refusal is written as a `refused` row with its reason;
// PermissionDenied with the reason.
Status decideAtSource(const LooksContext& context, const AskFromAbove& ask);
// Only the decision, no row (rechecks while a look or a body goes on).
Status shareAllows(const LooksContext& context, const AskFromAbove& ask);
// `context` with what the owner keeps of asks from above, shared by looks
// and recorded media: the asks taken (SeenAsks), and a tally of its
// refusals when it has an audit log and no tally yet: a node above that
// keeps asking what it may not have makes one row per asker, camera, path
// and reason a minute, and at most 100 such keys, so it cannot push real
// looks out of the owner's log (AuditTally).
LooksContext withSourceState(LooksContext context);

}  // namespace vigil::link

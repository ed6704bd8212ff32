#pragma once
// What looks and recorded media share on their way down and at the node
// that owns the camera (design/LINK.md, "Looks"): the next hop of a dotted
// camera id, and the owner's decision on an ask from above, a refusal
// written in its audit log naming who asked.

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "access/shares.h"
#include "base/config.h"
#include "base/status.h"
#include "link/looks.h"

namespace vigil::link {

// "house7.door" -> ("house7", "door").
std::pair<std::string, std::string> firstHop(std::string_view camera);

struct AskFromAbove {
  const std::string& camera;  // of this node
  Tier tier;
  access::ShareRight right;
  const std::string& user;
  const std::vector<std::string>& via;
};
// Why an ask from the parent cannot be taken at its word, if so: a tier
// below the parent pinned here, or a path (`via`) that does not end at it.
// The rest of the tier and path stays the asking nodes' word.
std::optional<std::string> implausibleAsk(const LooksContext& context, Tier tier, const std::vector<std::string>& via);
// "desk@village1": the user at the node that asked.
std::string remoteUser(const AskFromAbove& ask);
// What every audit row of the ask carries: remote, tier, via, right, and
// "alarm": the id of the alarm open here then, if any.
nlohmann::json remoteDetail(const LooksContext& context, const AskFromAbove& ask);
// The owner's shares on the ask now (fails closed: a camera it does not
// have, or shares it cannot read, refuse), and its privacy masks: an
// answer that would carry `unmaskedPictures` of a camera with masks is
// refused. A refusal is written as a `refused` row with its reason;
// PermissionDenied with the reason.
Status decideAtSource(const LooksContext& context, const AskFromAbove& ask, bool unmaskedPictures);
// Why a camera's masked video cannot go up (the refusal's reason).
inline constexpr std::string_view kMaskedNotShared = "this camera's masked video cannot be shared yet";
// Whether a camera of this node has privacy masks.
bool isMasked(const LooksContext& context, std::string_view camera);
// Only the decision, no row (rechecks while a look or a body goes on).
Status shareAllows(const LooksContext& context, const AskFromAbove& ask);
// `context` with a tally of its refusals when it has an audit log and no
// tally yet: a node above that keeps asking what it may not have makes one
// row per asker, camera, path and reason a minute, and at most 100 such
// keys, so it cannot push real looks out of the owner's log (AuditTally).
LooksContext withRefusalTally(LooksContext context);

}  // namespace vigil::link

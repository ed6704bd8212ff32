#pragma once
// The public register (design/REGISTER.md): which cameras of this node and
// of the nodes below look at public places, as their owners listed them.
//   GET /api/v1/register                        anyone, once an admin opened it (404 until then):
//       {"name", "tier", "cameras": [{"covers", "run_by", "watch": {"owner"|tier: ["live", "snapshots",
//        "recorded"]}, "retention_days", "looks_30d", "online", "snapshot": url|null}]}
//   GET /api/v1/register/cameras/{id}/snapshot.jpg  anyone, the same: a listed camera of this node
//       whose owner shows its picture, masked where it has masks; at most one new picture a minute
//   GET/PUT /api/v1/register/settings           admins: {"open": bool, "run_by": "..."}
//   GET/PUT /api/v1/cameras/{id}/register       admins, a camera of this node:
//       {"listed": bool, "covers": "...", "snapshot": bool}
// The two routes without a session are the only ones besides /healthz
// and login (DECISIONS.md 22 and 88), each bounded per client address and
// for the node (429 with Retry-After). Nothing in them names a user or a
// node that looked: looks are a count. Changes are `register_change` audit
// rows, written before they are made.

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "access/audit.h"
#include "base/config.h"
#include "camera/camera.h"
#include "http/rate_limit.h"
#include "http/server.h"
#include "link/catalog.h"
#include "media/live.h"
#include "public_register/store.h"

namespace vigil::http {

struct RegisterRoutesContext {
  public_register::RegisterStore* store = nullptr;
  access::AuditLog* audit = nullptr;
  std::string nodeName;  // the register's name when run_by is not set
  Tier tier = Tier::kHousehold;
  std::function<std::vector<camera::CameraStatus>()> cameras;  // this node's own
  // What the register says of one of them (what the catalog sends up too); none: not listed.
  std::function<std::optional<link::PublicListing>(const std::string& camera)> listing;
  // What each tier above may see of it now (CameraShares::rightsNow).
  std::function<Result<link::TierRights>(const std::string& camera)> rights;
  // The listed cameras of the nodes below (link::Catalog::publicCameras); null: none.
  std::function<std::vector<link::RemoteCamera>()> below;
  // The live stream a listed camera's snapshot is taken from: never one
  // with a camera's unmasked pictures when it has masks.
  std::function<Result<std::shared_ptr<media::LiveStream>>(const std::string& camera)> pictures;
  RateLimitOptions rate;
};

void addRegisterRoutes(HttpServer& server, RegisterRoutesContext context);

}  // namespace vigil::http

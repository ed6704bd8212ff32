#include "app/node_register.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "app/node_cameras.h"

#include "access/crypto.h"
#include "access/node_key.h"
#include "access/secret_box.h"
#include "base/log.h"
#include "base/url_credentials.h"
#include "http/register_routes.h"
#include "http/remote_looks_audit.h"
#include "link/enrolment_messages.h"

namespace vigil::app {

namespace {

constexpr auto kLooksSpan = std::chrono::hours(24 * 30);
// Rows read per count: a public camera looked at more often than this in
// 30 days shows this many.
constexpr size_t kMaxRowsCounted = 50'000;
int retentionDays(const ConfiguredCamera& c) {
  return c.recording.record == storage::RecordMode::kOff ? 0
                                                           : std::clamp(c.recording.retainDays, 0, link::kMaxRetentionDays);
}

// What a camera shows, as far as the node can tell: its URLs, passwords
// left out (a new password is the same view).
std::string urlsOf(const ConfiguredCamera& c) {
  return redactWholeUrl(c.camera.url) + "\n" + redactWholeUrl(c.camera.subUrl);
}

// The views kept in register.db: a keyed digest of urlsOf() (their query
// may hold a token: never a fast hash of it), marked so that the plain
// SHA-256 kept before (a bare 64-hex string) is told apart.
constexpr std::string_view kKeyedView = "hmac-sha256:";
constexpr const char* kViewPurpose = "register-view";

}  // namespace

Result<std::unique_ptr<NodeRegister>> NodeRegister::open(const std::filesystem::path& dataDir, const NodeConfig& node,
                                                         const std::vector<ConfiguredCamera>& cameras,
                                                         const std::function<bool(const std::string&)>& isCamera,
                                                         access::AuditLog& audit) {
  auto key = access::NodeKey::loadOrCreate(dataDir / "node.key");
  if (!key) return key.status();
  auto store = public_register::RegisterStore::open((dataDir / "register.db").string());
  if (!store) return store.status();
  access::KeyedDigest digest(*key, kViewPurpose);
  std::map<std::string, int> retention;
  std::map<std::string, std::string> views;
  for (const ConfiguredCamera& c : cameras) {
    retention[c.camera.id] = retentionDays(c);
    views[c.camera.id] = std::string(kKeyedView) + digest.hex(urlsOf(c));
  }
  auto before = (*store)->views();
  if (!before) return before.status();
  const std::map<std::string, std::string> stored = *before;
  // Migration: a view kept as a plain SHA-256 (before attack F3) that the
  // camera's URLs still give is the same view, kept keyed from now on;
  // taken for a move, every listed camera of the file would leave the
  // register at the upgrade. The plain digest is only compared, never kept.
  for (const ConfiguredCamera& c : cameras) {
    auto then = before->find(c.camera.id);
    if (then == before->end() || then->second.starts_with(kKeyedView)) continue;
    if (access::sha256Hex(urlsOf(c)) == then->second) then->second = views.at(c.camera.id);
  }
  const std::string name = link::isValidNodeName(node.name) ? node.name : node.id;
  std::unique_ptr<NodeRegister> reg(
      new NodeRegister(std::move(*store), name, std::move(retention), std::move(digest), audit));
  // The config file's cameras change while the node is down: a listing follows them as it follows the API's.
  for (const auto& [camera, listing] : reg->store_->listings()) {
    const auto now = views.find(camera);
    const auto then = before->find(camera);
    const char* because = !isCamera(camera)                                                     ? "camera_removed"
                          : now != views.end() && then != before->end() && now->second != then->second ? "camera_new_view"
                                                                                                       : nullptr;
    if (because) VIGIL_RETURN_IF_ERROR(reg->unlist(camera, because, "", "config"));
  }
  for (const auto& [camera, view] : views) {
    // Rewritten when it changed, or was kept plain.
    if (auto then = stored.find(camera); then == stored.end() || then->second != view) {
      VIGIL_RETURN_IF_ERROR(reg->store_->setView(camera, view));
    }
  }
  for (const auto& [camera, view] : *before) {
    if (!isCamera(camera)) VIGIL_RETURN_IF_ERROR(reg->store_->setView(camera, std::nullopt));
  }
  return reg;
}

std::optional<link::PublicListing> NodeRegister::listing(const std::string& camera) {
  auto listed = store_->listing(camera);
  if (!listed) return std::nullopt;
  int days = 0;
  {
    MutexLock lock(mutex_);
    auto it = retentionDays_.find(camera);
    if (it == retentionDays_.end()) return std::nullopt;
    days = it->second;
  }
  const std::string runBy = store_->settings().runBy;
  return link::PublicListing{listed->covers, runBy.empty() ? nodeName_ : runBy, days, looks(camera)};
}

Status NodeRegister::cameraChanged(const CameraChange& change, const CameraChangeBy& by) {
  if (change.newView && store_->listing(change.id)) {
    VIGIL_RETURN_IF_ERROR(unlist(change.id, change.camera ? "camera_new_view" : "camera_removed", by.user, by.client));
  }
  VIGIL_RETURN_IF_ERROR(store_->setView(
      change.id,
      change.camera ? std::optional(std::string(kKeyedView) + viewDigest_.hex(urlsOf(*change.camera))) : std::nullopt));
  // A camera with masks restarts the node in place (NodeCameras): until
  // then its stream has the old masks, or none.
  if (change.camera && !change.camera->detect.masks.empty()) {
    pictures_->hold(change.id);
  } else {
    pictures_->forget(change.id);
  }
  MutexLock lock(mutex_);
  if (change.camera) {
    retentionDays_[change.id] = retentionDays(*change.camera);
  } else {
    retentionDays_.erase(change.id);
  }
  return Status::ok();
}

Status NodeRegister::unlist(const std::string& camera, const char* because, const std::string& user,
                            const std::string& client) {
  // Written first, as every change to the register (design/AUDIT.md).
  VIGIL_RETURN_IF_ERROR(audit_.record(
      {user, http::kRegisterChange, camera, client,
       nlohmann::json{{"listed", false}, {"covers", ""}, {"snapshot", false}, {"because", because}}.dump()}));
  return store_->setListing(camera, std::nullopt);
}

int64_t NodeRegister::looks(const std::string& camera) {
  const auto now = std::chrono::steady_clock::now();
  {
    MutexLock lock(mutex_);
    auto it = counts_.find(camera);
    const bool fresh = it != counts_.end() && now - it->second.at < kLooksAge;
    // One count at a time on the node: the public register's requests
    // (anyone's, at once) take the last count meanwhile, not a worker each.
    if (fresh || counting_) return it == counts_.end() ? 0 : it->second.looks;
    counting_ = true;
  }
  const WallTime end = SystemClock::instance().now();
  auto rows = audit_.query({.start = end + -std::chrono::duration_cast<std::chrono::microseconds>(kLooksSpan),
                            .end = std::nullopt,
                            .camera = camera,
                            .limit = kMaxRowsCounted});
  MutexLock lock(mutex_);
  counting_ = false;
  Count& count = counts_[camera];
  if (rows) {
    count = {http::countRemoteLooks(*rows), now};
  } else {
    log::warn("register.looks_unread", {{"camera", camera}, {"error", rows.status().message()}});
  }
  return count.looks;
}

}  // namespace vigil::app

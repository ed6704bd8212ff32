#include "app/node_register.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "app/node_cameras.h"

#include "base/log.h"
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

}  // namespace

Result<std::unique_ptr<NodeRegister>> NodeRegister::open(const std::filesystem::path& dataDir, const NodeConfig& node,
                                                         const std::vector<ConfiguredCamera>& cameras,
                                                         access::AuditLog& audit) {
  auto store = public_register::RegisterStore::open((dataDir / "register.db").string());
  if (!store) return store.status();
  std::map<std::string, int> retention;
  for (const ConfiguredCamera& c : cameras) retention[c.camera.id] = retentionDays(c);
  const std::string name = link::isValidNodeName(node.name) ? node.name : node.id;
  return std::unique_ptr<NodeRegister>(new NodeRegister(std::move(*store), name, std::move(retention), audit));
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
    // Written first, as every change to the register (design/AUDIT.md).
    VIGIL_RETURN_IF_ERROR(audit_.record({by.user, http::kRegisterChange, change.id, by.client,
                                         nlohmann::json{{"listed", false},
                                                        {"covers", ""},
                                                        {"snapshot", false},
                                                        {"because", change.camera ? "camera_new_view" : "camera_removed"}}
                                             .dump()}));
    VIGIL_RETURN_IF_ERROR(store_->setListing(change.id, std::nullopt));
  }
  MutexLock lock(mutex_);
  if (change.camera) {
    retentionDays_[change.id] = retentionDays(*change.camera);
  } else {
    retentionDays_.erase(change.id);
  }
  return Status::ok();
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

#include "app/node_register.h"

#include <algorithm>

#include "base/log.h"
#include "http/remote_looks_audit.h"
#include "link/enrolment_messages.h"

namespace vigil::app {

namespace {

constexpr auto kLooksSpan = std::chrono::hours(24 * 30);
// Rows read per count: a public camera looked at more often than this in
// 30 days shows this many.
constexpr size_t kMaxRowsCounted = 50'000;

}  // namespace

Result<std::unique_ptr<NodeRegister>> NodeRegister::open(const std::filesystem::path& dataDir, const NodeConfig& node,
                                                         const std::vector<ConfiguredCamera>& cameras,
                                                         access::AuditLog& audit) {
  auto store = public_register::RegisterStore::open((dataDir / "register.db").string());
  if (!store) return store.status();
  std::map<std::string, int> retention;
  for (const ConfiguredCamera& c : cameras) {
    retention[c.camera.id] = c.recording.record == storage::RecordMode::kOff
                                 ? 0
                                 : std::clamp(c.recording.retainDays, 0, link::kMaxRetentionDays);
  }
  const std::string name = link::isValidNodeName(node.name) ? node.name : node.id;
  return std::unique_ptr<NodeRegister>(new NodeRegister(std::move(*store), name, std::move(retention), audit));
}

std::optional<link::PublicListing> NodeRegister::listing(const std::string& camera) {
  auto listed = store_->listing(camera);
  auto days = retentionDays_.find(camera);
  if (!listed || days == retentionDays_.end()) return std::nullopt;
  const std::string runBy = store_->settings().runBy;
  return link::PublicListing{listed->covers, runBy.empty() ? nodeName_ : runBy, days->second, looks(camera)};
}

int64_t NodeRegister::looks(const std::string& camera) {
  const auto now = std::chrono::steady_clock::now();
  {
    MutexLock lock(mutex_);
    auto it = counts_.find(camera);
    if (it != counts_.end() && now - it->second.at < kLooksAge) return it->second.looks;
  }
  const WallTime end = SystemClock::instance().now();
  auto rows = audit_.query({.start = end + -std::chrono::duration_cast<std::chrono::microseconds>(kLooksSpan),
                            .end = std::nullopt,
                            .camera = camera,
                            .limit = kMaxRowsCounted});
  MutexLock lock(mutex_);
  Count& count = counts_[camera];
  if (rows) {
    count = {http::countRemoteLooks(*rows), now};
  } else {
    log::warn("register.looks_unread", {{"camera", camera}, {"error", rows.status().message()}});
  }
  return count.looks;
}

}  // namespace vigil::app

#include "app/node_alerts.h"

#include <fmt/format.h>
#include <sys/statvfs.h>

#include <nlohmann/json.hpp>

#include "base/log.h"

namespace vigil::app {

namespace {

constexpr auto kPeriod = std::chrono::seconds(2);
constexpr std::string_view kAlertTopic = "alert";
constexpr std::string_view kAlertOpenTopic = "alert/open";

// Neither streaming nor stopped on purpose (disabled).
bool isDown(std::string_view cameraState) {
  return cameraState != camera::cameraStateName(camera::CameraState::kStreaming) &&
         cameraState != camera::cameraStateName(camera::CameraState::kStopped);
}

}  // namespace

std::string alertChangeJson(const uptime::AlertChange& c) {
  nlohmann::json j{{"event", "alert"},
                   {"change", uptime::alertChangeName(c.type)},
                   {"kind", c.kind},
                   {"subject", c.subject},
                   {"detail", c.detail},
                   {"since", c.since.toRfc3339()},
                   {"at", c.at.toRfc3339()}};
  if (c.type == uptime::AlertChange::Type::kReminder) j["reminder"] = c.reminder;
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

NodeAlerts::NodeAlerts(const uptime::AlertConfig& config, AlertSources sources, notify::Notifier* notifier,
                       uptime::AlertStore* kept)
    : config_(config),
      sources_(std::move(sources)),
      notifier_(notifier),
      kept_(kept),
      alerts_({.delay = {{uptime::alert_kind::kCameraOffline, config.cameraOfflineAfter},
                         {uptime::alert_kind::kLinkDown, config.linkDownAfter}},
               .remindEvery = config.remindEvery}) {}

NodeAlerts::~NodeAlerts() { stop(); }

void NodeAlerts::start() {
  size_t open = 0;
  if (kept_) {
    if (auto told = kept_->load(); told) {
      alerts_.restore(*told);
      for (const uptime::ToldAlert& t : *told) carried_[t.condition.kind + "." + t.condition.subject] = t.condition.since;
      open = told->size();
    } else {
      log::error("alert.load_failed", {{"error", told.status()}});
    }
  }
  if (notifier_) notifier_->setState(std::string(kAlertOpenTopic), std::to_string(open));
  thread_ = std::thread([this] {
    MutexLock lock(mutex_);
    while (!stopping_) {
      lock.unlock();
      poll();
      lock.lock();
      lock.waitFor(wake_, kPeriod, [&]() REQUIRES(mutex_) { return stopping_; });
    }
  });
}

void NodeAlerts::stop() {
  {
    MutexLock lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::vector<uptime::AlertCondition> NodeAlerts::open() const {
  MutexLock lock(mutex_);
  return open_;
}

WallTime NodeAlerts::began(std::string_view kind, const std::string& subject, std::optional<WallTime> own,
                           WallTime now) {
  const std::string key = fmt::format("{}.{}", kind, subject);
  WallTime since = now;
  if (auto carried = carried_.find(key); carried != carried_.end()) {
    since = carried->second;
  } else if (own) {
    since = *own;
  } else if (auto seen = seen_.find(key); seen != seen_.end()) {
    since = seen->second;
  }
  seenNow_[key] = since;
  return since;
}

std::vector<uptime::AlertCondition> NodeAlerts::conditions(WallTime now) {
  namespace kind = uptime::alert_kind;
  std::vector<uptime::AlertCondition> out;
  seenNow_.clear();
  for (const camera::CameraStatus& c : sources_.cameras()) {
    if (!isDown(camera::cameraStateName(c.state))) continue;
    out.push_back({kind::kCameraOffline, c.id, began(kind::kCameraOffline, c.id, c.since, now),
                   c.reason.empty() ? std::string(camera::cameraStateName(c.state)) : c.reason});
  }
  if (storage::Store* store = sources_.store) {
    for (const std::string& camera : sources_.recorded()) {
      if (store->storageFull(camera)) {
        out.push_back({kind::kRecordingStopped, camera, began(kind::kRecordingStopped, camera, std::nullopt, now),
                       "storage full: recording stopped until retention frees space"});
      }
    }
    for (const std::string& dir : store->dirPaths()) {
      struct statvfs fs {};
      if (::statvfs(dir.c_str(), &fs) != 0 || fs.f_blocks == 0) continue;
      const double freePercent = 100.0 * static_cast<double>(fs.f_bavail) / static_cast<double>(fs.f_blocks);
      if (freePercent < config_.diskFreePercent) {
        out.push_back({kind::kDiskFilling, dir, began(kind::kDiskFilling, dir, std::nullopt, now), fmt::format("{:.1f}% free", freePercent)});
      }
    }
  }
  if (sources_.parent) {
    if (auto parent = sources_.parent(); parent && parent->state != "connected" && parent->state != "stopped") {
      out.push_back({kind::kLinkDown, "parent", began(kind::kLinkDown, "parent", std::nullopt, now),
                     parent->reason.empty() ? parent->state : parent->reason});
    }
  }
  if (sources_.children) {
    for (const link::ChildLinkStatus& child : sources_.children()) {
      if (child.state == "connected") continue;
      out.push_back({kind::kLinkDown, child.id, began(kind::kLinkDown, child.id, std::nullopt, now),
                     child.reason.empty() ? child.state : child.reason});
    }
  }
  if (sources_.below) {
    // A child's camera shared with this tier, for its desk: named as the catalog names it.
    for (const link::RemoteCamera& c : sources_.below()) {
      if (c.nodePath.size() != 1 || !isDown(c.entry.state)) continue;
      out.push_back({kind::kCameraOffline, c.id, began(kind::kCameraOffline, c.id, std::nullopt, now),
                     fmt::format("{}, {}: {}", c.entry.owner, c.entry.name, c.entry.state)});
    }
  }
  seen_.swap(seenNow_);
  // An episode carried over a restart goes on only while it holds.
  std::erase_if(carried_, [&](const auto& c) { return !seen_.contains(c.first); });
  return out;
}

void NodeAlerts::poll() {
  const WallTime now = SystemClock::instance().now();
  const auto changes = alerts_.observe(conditions(now), now);
  auto open = alerts_.open();
  for (const uptime::AlertChange& c : changes) {
    log::warn("alert", {{"change", uptime::alertChangeName(c.type)},
                        {"kind", c.kind},
                        {"subject", c.subject},
                        {"detail", c.detail},
                        {"since", c.since.toRfc3339()}});
    if (notifier_) {
      if (Status s = notifier_->publish({c.id(), std::string(kAlertTopic), alertChangeJson(c)}); !s.isOk()) {
        log::error("alert.notify_failed", {{"alert", c.id()}, {"error", s}});
      }
    }
  }
  if (kept_ && !changes.empty()) {
    if (Status s = kept_->save(alerts_.told()); !s.isOk()) log::error("alert.save_failed", {{"error", s}});
  }
  if (notifier_ && !changes.empty()) notifier_->setState(std::string(kAlertOpenTopic), std::to_string(open.size()));
  MutexLock lock(mutex_);
  open_ = std::move(open);
}

}  // namespace vigil::app

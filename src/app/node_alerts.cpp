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

NodeAlerts::NodeAlerts(const uptime::AlertConfig& config, AlertSources sources, notify::Notifier* notifier)
    : config_(config),
      sources_(std::move(sources)),
      notifier_(notifier),
      alerts_({.delay = {{uptime::alert_kind::kCameraOffline, config.cameraOfflineAfter},
                         {uptime::alert_kind::kLinkDown, config.linkDownAfter}},
               .remindEvery = config.remindEvery}) {}

NodeAlerts::~NodeAlerts() { stop(); }

void NodeAlerts::start() {
  if (notifier_) notifier_->setState(std::string(kAlertOpenTopic), "0");
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

WallTime NodeAlerts::firstSeen(const std::string& key, WallTime now) {
  auto it = seen_.find(key);
  const WallTime since = it == seen_.end() ? now : it->second;
  seenNow_[key] = since;
  return since;
}

std::vector<uptime::AlertCondition> NodeAlerts::conditions(WallTime now) {
  namespace kind = uptime::alert_kind;
  std::vector<uptime::AlertCondition> out;
  seenNow_.clear();
  for (const camera::CameraStatus& c : sources_.cameras()) {
    if (c.state == camera::CameraState::kStreaming || c.state == camera::CameraState::kStopped) continue;
    out.push_back({kind::kCameraOffline, c.id, c.since.value_or(firstSeen("camera." + c.id, now)),
                   c.reason.empty() ? std::string(camera::cameraStateName(c.state)) : c.reason});
  }
  if (storage::Store* store = sources_.store) {
    for (const std::string& camera : sources_.recorded) {
      if (store->storageFull(camera)) {
        out.push_back({kind::kRecordingStopped, camera, firstSeen("recording." + camera, now),
                       "storage full: recording stopped until retention frees space"});
      }
    }
    for (const std::string& dir : store->dirPaths()) {
      struct statvfs fs {};
      if (::statvfs(dir.c_str(), &fs) != 0 || fs.f_blocks == 0) continue;
      const double freePercent = 100.0 * static_cast<double>(fs.f_bavail) / static_cast<double>(fs.f_blocks);
      if (freePercent < config_.diskFreePercent) {
        out.push_back({kind::kDiskFilling, dir, firstSeen("disk." + dir, now), fmt::format("{:.1f}% free", freePercent)});
      }
    }
  }
  if (sources_.parent) {
    if (auto parent = sources_.parent(); parent && parent->state != "connected" && parent->state != "stopped") {
      out.push_back({kind::kLinkDown, "parent", firstSeen("link.parent", now),
                     parent->reason.empty() ? parent->state : parent->reason});
    }
  }
  if (sources_.children) {
    for (const link::ChildLinkStatus& child : sources_.children()) {
      if (child.state == "connected") continue;
      out.push_back({kind::kLinkDown, child.id, firstSeen("link." + child.id, now),
                     child.reason.empty() ? child.state : child.reason});
    }
  }
  seen_.swap(seenNow_);
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
  if (notifier_ && !changes.empty()) notifier_->setState(std::string(kAlertOpenTopic), std::to_string(open.size()));
  MutexLock lock(mutex_);
  open_ = std::move(open);
}

}  // namespace vigil::app

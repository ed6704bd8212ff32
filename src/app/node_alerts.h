#pragma once
// A node's alerts for its owner and its desk (design/UPTIME.md, "Alerts"):
// a thread looks every 2 s at the node's cameras, its storage, its links
// and its children's cameras shared with it, and tells each alert change (uptime/alerts.h: once per episode,
// a reminder at most every [alerts] remind_every, resolved when it ends) to
// the log and, with [notify], to MQTT (<prefix>/<node>/alert, and the
// retained count on alert/open) and the webhooks; the open ones are read
// by GET /api/v1/alerts.

#include <condition_variable>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "base/mutex.h"
#include "camera/camera.h"
#include "link/catalog.h"
#include "link/children.h"
#include "link/parent_link.h"
#include "notify/notifier.h"
#include "storage/store.h"
#include "uptime/alert_store.h"
#include "uptime/alerts.h"
#include "uptime/config.h"

namespace vigil::app {

struct AlertSources {
  std::function<std::vector<camera::CameraStatus>()> cameras;
  std::function<std::vector<std::string>()> recorded;  // the cameras recorded (continuously or on events)
  storage::Store* store = nullptr;    // null: nothing recorded
  std::function<std::optional<link::ParentLinkStatus>()> parent;  // null or none: no parent
  std::function<std::vector<link::ChildLinkStatus>()> children;   // null: none
  // The cameras of the nodes below that are shared with this tier (the
  // catalog): those of this node's children are watched for the desk.
  std::function<std::vector<link::RemoteCamera>()> below;  // null: none
};

// The alert change as JSON (MQTT's payload, the webhooks' body): event
// "alert", change (raised, reminder, resolved), kind, subject, detail,
// since, at, reminder.
std::string alertChangeJson(const uptime::AlertChange& change);

class NodeAlerts {
 public:
  // `kept`: where the alerts told are kept across a restart (null: in memory).
  NodeAlerts(const uptime::AlertConfig& config, AlertSources sources, notify::Notifier* notifier,
             uptime::AlertStore* kept = nullptr);
  ~NodeAlerts();  // stop()s
  NodeAlerts(const NodeAlerts&) = delete;
  NodeAlerts& operator=(const NodeAlerts&) = delete;

  void start();
  void stop() EXCLUDES(mutex_);
  // The alerts told and not resolved, oldest first.
  std::vector<uptime::AlertCondition> open() const EXCLUDES(mutex_);
  // One look (the thread's work).
  void poll() EXCLUDES(mutex_);

 private:
  std::vector<uptime::AlertCondition> conditions(WallTime now);
  // When a condition that holds now began: the start of the episode told
  // before a restart while it has held since, else its own time (`own`),
  // else when it was first seen.
  WallTime began(std::string_view kind, const std::string& subject, std::optional<WallTime> own, WallTime now);

  const uptime::AlertConfig config_;
  const AlertSources sources_;
  notify::Notifier* const notifier_;
  uptime::AlertStore* const kept_;
  uptime::Alerts alerts_;  // the thread's alone
  std::map<std::string, WallTime> seen_, seenNow_, carried_;  // likewise
  mutable Mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ GUARDED_BY(mutex_) = false;
  std::vector<uptime::AlertCondition> open_ GUARDED_BY(mutex_);
  std::thread thread_;
};

}  // namespace vigil::app

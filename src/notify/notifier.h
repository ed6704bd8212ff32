#pragma once
// What a node tells the world outside the tiers (design/NOTIFY.md): its
// events over MQTT and webhooks, its state for Home Assistant (discovery,
// retained states), and the raise commands a button sends over MQTT.
//
//   app (alarm change) -> publish(Event) -> MQTT <prefix>/<node>/<topic>
//                                        -> notify.db -> each webhook (thread)
//   app                -> setState()     -> MQTT retained <prefix>/<node>/<topic>
//   MQTT <prefix>/<node>/alarm/raise -> parseRaiseCommand -> onRaise (app)
//
// notify knows no alarm: app turns alarm changes into events and raise
// commands into alarms. Threads: the MQTT client's, the webhooks'.

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/config.h"
#include "base/mutex.h"
#include "base/status.h"
#include "notify/command.h"
#include "notify/config.h"
#include "notify/mqtt.h"
#include "notify/webhooks.h"

namespace vigil::notify {

// Topics under <prefix>/<node>/ that Home Assistant's entities use.
inline constexpr std::string_view kAlarmTopic = "alarm";            // each alarm change (Event)
inline constexpr std::string_view kAlarmOpenTopic = "alarm/open";   // "ON" / "OFF", retained (setState)
inline constexpr std::string_view kNoticeTopic = "notice";          // each notice received whole (Event)
inline constexpr std::string_view kRaiseTopic = "alarm/raise";      // commands (RaiseCommand)
inline constexpr std::string_view kStatusTopic = "status";          // "online" / "offline", retained

struct Event {
  std::string id;     // unique: a webhook receiver drops repeats by it (X-Vigil-Event)
  std::string topic;  // under <prefix>/<node>/: "alarm"
  std::string json;   // the body
};

class Notifier {
 public:
  // Reads the secret files and opens <dataDir>/notify.db (with webhooks);
  // nothing is sent before start(). `node.id` must be set.
  static Result<std::unique_ptr<Notifier>> open(const NotifyConfig& config, const NodeConfig& node);
  ~Notifier();  // stop()s
  Notifier(const Notifier&) = delete;
  Notifier& operator=(const Notifier&) = delete;

  // `onRaise` runs on the MQTT thread for each well-formed raise command.
  void start(std::function<void(const RaiseCommand&)> onRaise);
  void stop();

  // MQTT: QoS 1, not retained (gone while the broker is); webhooks: stored
  // when this returns, delivered until each answers 2xx.
  Status publish(const Event& event);
  // Retained on <prefix>/<node>/<topic>, and again after each reconnection.
  void setState(const std::string& topic, const std::string& payload) EXCLUDES(mutex_);
  // One more Home Assistant entity (its config JSON, whose topics name
  // topic(...)), published with the node's own at each connection and
  // when Home Assistant says it is online. Call before start().
  void addDiscovery(std::string component, std::string object, std::string configJson) EXCLUDES(mutex_);

  std::string topic(std::string_view suffix) const;

 private:
  Notifier(NotifyConfig config, NodeConfig node);
  void connected() EXCLUDES(mutex_);
  void received(const std::string& topic, std::span<const uint8_t> payload);
  void publishDiscovery() EXCLUDES(mutex_);

  const NotifyConfig config_;
  const NodeConfig node_;
  std::unique_ptr<WebhookQueue> queue_;
  std::unique_ptr<Webhooks> webhooks_;
  std::unique_ptr<MqttClient> mqtt_;
  std::function<void(const RaiseCommand&)> onRaise_;  // set by start(), before the MQTT thread runs
  Mutex mutex_;
  std::map<std::string, std::string> states_ GUARDED_BY(mutex_);
  struct Entity {
    std::string component, object, configJson;
  };
  std::vector<Entity> entities_ GUARDED_BY(mutex_);
};

}  // namespace vigil::notify

#include "notify/notifier.h"

#include <fmt/format.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "base/log.h"

namespace vigil::notify {

using json = nlohmann::json;

Notifier::Notifier(NotifyConfig config, NodeConfig node) : config_(std::move(config)), node_(std::move(node)) {}

Result<std::unique_ptr<Notifier>> Notifier::open(const NotifyConfig& config, const NodeConfig& node) {
  if (node.id.empty()) return Status::failedPrecondition("[notify] needs [node] id (it names the MQTT topics)");
  std::unique_ptr<Notifier> n(new Notifier(config, node));
  std::string password;
  if (!config.mqttPasswordFile.empty()) {
    auto read = readSecretFile(config.mqttPasswordFile);
    if (!read) return read.status();
    password = std::move(*read);
  }
  if (!config.webhooks.empty()) {
    auto secret = readSecretFile(config.webhookSecretFile);
    if (!secret) return secret.status();
    if (node.dataDir.empty()) return Status::failedPrecondition("[notify] webhooks need node.data_dir (notify.db)");
    auto queue = WebhookQueue::open((std::filesystem::path(node.dataDir) / "notify.db").string());
    if (!queue) return queue.status();
    n->queue_ = std::move(*queue);
    n->webhooks_ = std::make_unique<Webhooks>(*n->queue_, config.webhooks, std::move(*secret));
  }
  if (!config.mqtt.empty()) {
    // Made here, started by start(): publish() may be called from then on, from any thread.
    auto mqtt = MqttClient::make({.broker = config.broker,
                                  .clientId = "vigil-" + node.id,
                                  .user = config.mqttUser,
                                  .password = std::move(password),
                                  .willTopic = n->topic(kStatusTopic),
                                  .willPayload = "offline"},
                                 [self = n.get()] { self->connected(); },
                                 [self = n.get()](const std::string& t, std::span<const uint8_t> p) { self->received(t, p); });
    if (!mqtt) return mqtt.status();
    n->mqtt_ = std::move(*mqtt);
  }
  return n;
}

Notifier::~Notifier() { stop(); }

std::string Notifier::topic(std::string_view suffix) const {
  return fmt::format("{}/{}/{}", config_.topicPrefix, node_.id, suffix);
}

void Notifier::start(std::function<void(const RaiseCommand&)> onRaise) {
  onRaise_ = std::move(onRaise);
  if (webhooks_) webhooks_->start();
  if (mqtt_) mqtt_->start();
}

void Notifier::stop() {
  if (mqtt_) mqtt_->stop("offline");
  if (webhooks_) webhooks_->stop();
}

Status Notifier::publish(const Event& event) {
  if (mqtt_) mqtt_->publish(topic(event.topic), event.json, /*retain=*/false);
  return webhooks_ ? webhooks_->offer(event.id, event.json) : Status::ok();
}

void Notifier::setState(const std::string& suffix, const std::string& payload) {
  {
    MutexLock lock(mutex_);
    states_[suffix] = payload;
  }
  if (mqtt_) mqtt_->publish(topic(suffix), payload, /*retain=*/true);
}

void Notifier::addDiscovery(std::string component, std::string object, std::string configJson) {
  MutexLock lock(mutex_);
  entities_.push_back({std::move(component), std::move(object), std::move(configJson)});
}

void Notifier::connected() {
  mqtt_->subscribe(topic(kRaiseTopic));
  mqtt_->subscribe(config_.discoveryPrefix + "/status");
  mqtt_->publish(topic(kStatusTopic), "online", /*retain=*/true);
  publishDiscovery();
  // A broker that restarted without persistence lost the retained states.
  std::map<std::string, std::string> states;
  {
    MutexLock lock(mutex_);
    states = states_;
  }
  for (const auto& [suffix, payload] : states) mqtt_->publish(topic(suffix), payload, /*retain=*/true);
}

void Notifier::received(const std::string& t, std::span<const uint8_t> payload) {
  if (t == config_.discoveryPrefix + "/status") {
    // Home Assistant came back: it may have forgotten the entities.
    if (std::string_view(reinterpret_cast<const char*>(payload.data()), payload.size()) == "online") publishDiscovery();
    return;
  }
  if (t != topic(kRaiseTopic)) return;
  auto command = parseRaiseCommand(payload);
  if (!command) {
    log::warn("notify.raise_refused", {{"topic", t}, {"error", command.status().message()}});
    return;
  }
  onRaise_(*command);
}

// Home Assistant's MQTT discovery: one retained config per entity, under
// <discovery_prefix>/<component>/<node id>/<object id>/config.
void Notifier::publishDiscovery() {
  const json device = {{"identifiers", {"vigil_" + node_.id}}, {"name", node_.name}, {"manufacturer", "vigil"}};
  const auto entity = [&](std::string_view component, std::string_view object, json config) {
    config["unique_id"] = fmt::format("vigil_{}_{}", node_.id, object);
    config["object_id"] = fmt::format("vigil_{}_{}", node_.id, object);
    config["availability_topic"] = topic(kStatusTopic);
    config["device"] = device;
    mqtt_->publish(fmt::format("{}/{}/{}/{}/config", config_.discoveryPrefix, component, node_.id, object),
                   config.dump(), /*retain=*/true);
  };
  entity("binary_sensor", "alarm_open",
         {{"name", "Alarm open"},
          {"device_class", "safety"},
          {"state_topic", topic(kAlarmOpenTopic)},
          {"payload_on", "ON"},
          {"payload_off", "OFF"}});
  entity("button", "raise_alarm",
         {{"name", "Raise alarm"}, {"command_topic", topic(kRaiseTopic)}, {"payload_press", "other"}});
  std::vector<Entity> more;
  {
    MutexLock lock(mutex_);
    more = entities_;
  }
  for (const Entity& e : more) entity(e.component, e.object, json::parse(e.configJson, nullptr, false));
}

}  // namespace vigil::notify

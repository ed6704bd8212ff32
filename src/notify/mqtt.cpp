#include "notify/mqtt.h"

#include <fmt/format.h>
#include <mosquitto.h>

#include <mutex>

#include "base/log.h"

namespace vigil::notify {
namespace {

constexpr int kKeepaliveSeconds = 30;
constexpr int kQos = 1;

}  // namespace

MqttClient::MqttClient(MqttOptions options, OnConnect onConnect, OnMessage onMessage)
    : options_(std::move(options)), onConnect_(std::move(onConnect)), onMessage_(std::move(onMessage)) {}

Result<std::unique_ptr<MqttClient>> MqttClient::make(MqttOptions options, OnConnect onConnect, OnMessage onMessage) {
  static std::once_flag init;
  std::call_once(init, [] { mosquitto_lib_init(); });
  std::unique_ptr<MqttClient> c(new MqttClient(std::move(options), std::move(onConnect), std::move(onMessage)));
  c->mosq_ = mosquitto_new(c->options_.clientId.c_str(), /*clean_session=*/true, c.get());
  if (!c->mosq_) return Status::internal("mqtt: mosquitto_new failed");
  const MqttOptions& o = c->options_;
  if (!o.user.empty() &&
      mosquitto_username_pw_set(c->mosq_, o.user.c_str(), o.password.empty() ? nullptr : o.password.c_str()) !=
          MOSQ_ERR_SUCCESS) {
    return Status::internal("mqtt: cannot set the user");
  }
  if (!o.willTopic.empty() && mosquitto_will_set(c->mosq_, o.willTopic.c_str(), static_cast<int>(o.willPayload.size()),
                                                 o.willPayload.data(), kQos, /*retain=*/true) != MOSQ_ERR_SUCCESS) {
    return Status::internal("mqtt: cannot set the will");
  }
  mosquitto_reconnect_delay_set(c->mosq_, 1, 60, /*exponential=*/true);
  mosquitto_connect_callback_set(c->mosq_, &MqttClient::connected);
  mosquitto_disconnect_callback_set(c->mosq_, &MqttClient::disconnected);
  mosquitto_message_callback_set(c->mosq_, &MqttClient::message);
  return c;
}

MqttClient::~MqttClient() {
  stop(std::string());
  mosquitto_destroy(mosq_);
}

Status MqttClient::start() {
  const std::string where = options_.broker.toString();
  // A broker not there yet: the thread retries (connect_async only fails for a bad host name).
  const int rc = mosquitto_connect_async(mosq_, options_.broker.host.c_str(), options_.broker.port, kKeepaliveSeconds);
  if (rc != MOSQ_ERR_SUCCESS && rc != MOSQ_ERR_ERRNO) {
    return Status::unavailable(fmt::format("mqtt {}: {}", where, mosquitto_strerror(rc)));
  }
  if (rc == MOSQ_ERR_ERRNO) log::warn("notify.mqtt_unreachable", {{"broker", where}, {"retry", "with backoff"}});
  if (int loop = mosquitto_loop_start(mosq_); loop != MOSQ_ERR_SUCCESS) {
    return Status::internal(fmt::format("mqtt: cannot start its thread: {}", mosquitto_strerror(loop)));
  }
  started_ = true;
  log::info("notify.mqtt_started", {{"broker", where}, {"client", options_.clientId}});
  return Status::ok();
}

void MqttClient::stop(const std::string& goodbye) {
  if (!started_) return;
  started_ = false;
  if (!goodbye.empty() && !options_.willTopic.empty()) publish(options_.willTopic, goodbye, true);
  mosquitto_disconnect(mosq_);
  mosquitto_loop_stop(mosq_, /*force=*/false);
}

void MqttClient::publish(const std::string& topic, const std::string& payload, bool retain) {
  const int rc = mosquitto_publish(mosq_, nullptr, topic.c_str(), static_cast<int>(payload.size()), payload.data(),
                                   kQos, retain);
  if (rc != MOSQ_ERR_SUCCESS) log::debug("notify.mqtt_not_published", {{"topic", topic}, {"error", mosquitto_strerror(rc)}});
}

void MqttClient::subscribe(const std::string& topic) {
  const int rc = mosquitto_subscribe(mosq_, nullptr, topic.c_str(), kQos);
  if (rc != MOSQ_ERR_SUCCESS) log::warn("notify.mqtt_subscribe_failed", {{"topic", topic}, {"error", mosquitto_strerror(rc)}});
}

void MqttClient::connected(mosquitto*, void* self, int rc) {
  auto* c = static_cast<MqttClient*>(self);
  if (rc != 0) {
    log::warn("notify.mqtt_refused", {{"broker", c->options_.broker.toString()}, {"reason", mosquitto_connack_string(rc)}});
    return;
  }
  log::info("notify.mqtt_connected", {{"broker", c->options_.broker.toString()}});
  c->onConnect_();
}

void MqttClient::disconnected(mosquitto*, void* self, int rc) {
  auto* c = static_cast<MqttClient*>(self);
  if (rc == 0) {
    log::info("notify.mqtt_disconnected", {{"broker", c->options_.broker.toString()}});
  } else {
    log::warn("notify.mqtt_lost", {{"broker", c->options_.broker.toString()}, {"error", mosquitto_strerror(rc)}, {"retry", "with backoff"}});
  }
}

void MqttClient::message(mosquitto*, void* self, const mosquitto_message* m) {
  auto* c = static_cast<MqttClient*>(self);
  c->onMessage_(m->topic, std::span(static_cast<const uint8_t*>(m->payload), static_cast<size_t>(m->payloadlen)));
}

}  // namespace vigil::notify

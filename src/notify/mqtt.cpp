#include "notify/mqtt.h"

#include <fmt/format.h>
#include <mosquitto.h>

#include <algorithm>
#include <chrono>
#include <mutex>
#include <optional>

#include "base/log.h"

namespace vigil::notify {
namespace {

constexpr int kKeepaliveSeconds = 30;
constexpr int kQos = 1;
constexpr std::chrono::seconds kFirstRetry{1};
constexpr std::chrono::seconds kLastRetry{60};

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
  mosquitto_threaded_set(c->mosq_, true);  // run() is the loop's thread; publish() comes from others
  mosquitto_connect_callback_set(c->mosq_, &MqttClient::connected);
  mosquitto_disconnect_callback_set(c->mosq_, &MqttClient::disconnected);
  mosquitto_message_callback_set(c->mosq_, &MqttClient::message);
  return c;
}

MqttClient::~MqttClient() {
  stop(std::string());
  mosquitto_destroy(mosq_);
}

void MqttClient::start() {
  thread_ = std::thread([this] { run(); });
  log::info("notify.mqtt_started", {{"broker", options_.broker.toString()}, {"client", options_.clientId}});
}

void MqttClient::stop(const std::string& goodbye) {
  {
    MutexLock lock(mutex_);
    stopping_ = true;
    goodbye_ = goodbye;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void MqttClient::run() {
  std::chrono::seconds delay = kFirstRetry;
  bool first = true;
  for (;;) {
    int rc = first ? mosquitto_connect_async(mosq_, options_.broker.host.c_str(), options_.broker.port,
                                             kKeepaliveSeconds)
                   : mosquitto_reconnect_async(mosq_);
    first = false;
    if (rc == MOSQ_ERR_SUCCESS) rc = serve();  // until the connection ends
    if (connected_.exchange(false)) {
      delay = kFirstRetry;  // it was up (its loss is logged by disconnected()): try again soon
    } else if (rc != MOSQ_ERR_SUCCESS) {
      log::warn("notify.mqtt_unreachable", {{"broker", options_.broker.toString()},
                                            {"error", mosquitto_strerror(rc)},
                                            {"retry_in_s", delay.count()}});
    }
    MutexLock lock(mutex_);
    if (lock.waitFor(wake_, delay, [&]() REQUIRES(mutex_) { return stopping_; })) return;
    delay = std::min(delay * 2, kLastRetry);
  }
}

int MqttClient::serve() {
  std::optional<std::chrono::steady_clock::time_point> leaving;  // since when stop() asked
  for (;;) {
    if (!leaving) {
      MutexLock lock(mutex_);
      if (stopping_) {
        leaving = std::chrono::steady_clock::now();
        // The goodbye goes before the DISCONNECT (a clean disconnect does not send the will).
        if (connected_ && !goodbye_.empty() && !options_.willTopic.empty()) publish(options_.willTopic, goodbye_, true);
        mosquitto_disconnect(mosq_);
      }
    }
    const int rc = mosquitto_loop(mosq_, 200, 1);
    if (rc != MOSQ_ERR_SUCCESS) return rc;
    // Leaving: the goodbye and the DISCONNECT have a moment to go, no more.
    if (leaving && std::chrono::steady_clock::now() - *leaving > std::chrono::seconds(2)) return MOSQ_ERR_SUCCESS;
  }
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
  c->connected_ = true;
  c->onConnect_();
}

void MqttClient::disconnected(mosquitto*, void* self, int rc) {
  auto* c = static_cast<MqttClient*>(self);
  if (!c->connected_) return;  // a try that failed: run() logs it
  if (rc == 0) {
    log::info("notify.mqtt_disconnected", {{"broker", c->options_.broker.toString()}});
  } else {
    log::warn("notify.mqtt_lost", {{"broker", c->options_.broker.toString()}, {"error", mosquitto_strerror(rc)}});
  }
}

void MqttClient::message(mosquitto*, void* self, const mosquitto_message* m) {
  auto* c = static_cast<MqttClient*>(self);
  c->onMessage_(m->topic, std::span(static_cast<const uint8_t*>(m->payload), static_cast<size_t>(m->payloadlen)));
}

}  // namespace vigil::notify

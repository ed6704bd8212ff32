#pragma once
// An MQTT connection on libmosquitto: its own thread runs mosquitto_loop()
// and connects, and reconnects with backoff (1 s doubling to 60 s)
// whenever the broker is away or goes; each change of state is logged.
// Not mosquitto_loop_start(): its thread does not retry a first
// connection that failed, and its backoff sleep cannot be interrupted by
// a stop (DECISIONS.md 65). MQTT 3.1.1, no TLS (a household's broker on
// its own network).

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <thread>

#include "base/config.h"
#include "base/mutex.h"
#include "base/status.h"

struct mosquitto;
struct mosquitto_message;

namespace vigil::notify {

struct MqttOptions {
  HostPort broker;
  std::string clientId;
  std::string user;      // empty: none
  std::string password;  // never logged
  // Published (retained) by the broker when this client goes without a goodbye.
  std::string willTopic;
  std::string willPayload;
};

class MqttClient {
 public:
  // Both run on the client's thread: after each (re)connection, and for each message.
  using OnConnect = std::function<void()>;
  using OnMessage = std::function<void(const std::string& topic, std::span<const uint8_t> payload)>;

  static Result<std::unique_ptr<MqttClient>> make(MqttOptions options, OnConnect onConnect, OnMessage onMessage);
  ~MqttClient();  // stop()s
  MqttClient(const MqttClient&) = delete;
  MqttClient& operator=(const MqttClient&) = delete;

  // Starts the thread; a broker not there yet is retried.
  void start();
  // Sends the will's topic `goodbye` (retained) when connected, disconnects, joins the thread.
  void stop(const std::string& goodbye) EXCLUDES(mutex_);
  // QoS 1. While disconnected: dropped (logged at debug); from any thread.
  void publish(const std::string& topic, const std::string& payload, bool retain);
  // QoS 1; call from OnConnect (subscriptions do not survive a reconnection).
  void subscribe(const std::string& topic);

 private:
  MqttClient(MqttOptions options, OnConnect onConnect, OnMessage onMessage);
  void run() EXCLUDES(mutex_);
  // Runs mosquitto_loop() until the connection ends (its error) or stop() is called.
  int serve() EXCLUDES(mutex_);
  static void connected(mosquitto*, void* self, int rc);
  static void disconnected(mosquitto*, void* self, int rc);
  static void message(mosquitto*, void* self, const mosquitto_message* m);

  const MqttOptions options_;
  const OnConnect onConnect_;
  const OnMessage onMessage_;
  mosquitto* mosq_ = nullptr;
  std::atomic<bool> connected_{false};  // CONNACK accepted, not lost since
  Mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ GUARDED_BY(mutex_) = false;
  std::string goodbye_ GUARDED_BY(mutex_);
  std::thread thread_;
};

}  // namespace vigil::notify

#pragma once
// [notify]: MQTT (Home Assistant) and webhooks (design/NOTIFY.md).

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/config.h"
#include "base/status.h"

namespace vigil::notify {

struct NotifyConfig {
  std::string mqtt;  // "mqtt://HOST[:PORT]" (port 1883 by default); empty: no MQTT
  HostPort broker;   // parsed from `mqtt`
  std::string mqttUser;
  std::string mqttPasswordFile;  // the broker's password, read at start; never logged
  std::string topicPrefix = "vigil";
  std::string discoveryPrefix = "homeassistant";
  std::vector<std::string> webhooks;  // "http://..." or "https://..." (certificate checked)
  std::string webhookSecretFile;      // the HMAC key, read at start: needed with webhooks

  bool enabled() const { return !mqtt.empty() || !webhooks.empty(); }
};

inline constexpr std::string_view kNotifyConfigKeys[] = {"mqtt",          "mqtt_user",        "mqtt_password_file",
                                                         "topic_prefix",  "discovery_prefix", "webhooks",
                                                         "webhook_secret_file"};
Status readNotifyConfig(const ConfigTable& table, NotifyConfig& out);

// A webhook's URL, split.
struct WebhookUrl {
  bool tls = false;
  std::string host;
  uint16_t port = 0;
  std::string target;  // path and query, "/" at least
};
// InvalidArgument for anything but http(s)://host[:port][/path], or with a userinfo.
Result<WebhookUrl> parseWebhookUrl(std::string_view url);

// A file's content without its trailing newline: Unavailable when it
// cannot be read, InvalidArgument when empty. The message names the file only.
Result<std::string> readSecretFile(const std::string& path);

}  // namespace vigil::notify

#include "notify/config.h"

#include <fmt/format.h>

#include <charconv>
#include <fstream>
#include <sstream>

namespace vigil::notify {
namespace {

// An MQTT topic prefix: levels of [A-Za-z0-9_-], no wildcards, no empty level.
bool isValidTopicPrefix(std::string_view p) {
  if (p.empty() || p.size() > 64 || p.front() == '/' || p.back() == '/') return false;
  char previous = 0;
  for (char c : p) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                    c == '-' || c == '/';
    if (!ok || (c == '/' && previous == '/')) return false;
    previous = c;
  }
  return true;
}

bool isValidWebhookUrl(std::string_view url) { return parseWebhookUrl(url).isOk(); }

Result<uint16_t> parsePort(std::string_view text) {
  unsigned port = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), port);
  if (ec != std::errc() || end != text.data() + text.size() || port == 0 || port > 65535) {
    return Status::invalidArgument("a port from 1 to 65535");
  }
  return static_cast<uint16_t>(port);
}

// "host[:port]" after a scheme, up to the path: the host a DNS name or an IPv4 address.
Status splitAuthority(std::string_view authority, uint16_t defaultPort, std::string& host, uint16_t& port) {
  const size_t colon = authority.rfind(':');
  host = std::string(authority.substr(0, colon));
  port = defaultPort;
  if (colon != std::string_view::npos) {
    auto p = parsePort(authority.substr(colon + 1));
    if (!p) return p.status();
    port = *p;
  }
  if (!isValidHostName(host)) return Status::invalidArgument("a host name or IPv4 address");
  return Status::ok();
}

}  // namespace

Result<WebhookUrl> parseWebhookUrl(std::string_view url) {
  WebhookUrl out;
  std::string_view rest;
  if (url.starts_with("http://")) {
    rest = url.substr(7);
  } else if (url.starts_with("https://")) {
    out.tls = true;
    rest = url.substr(8);
  } else {
    return Status::invalidArgument("must start with http:// or https://");
  }
  const size_t slash = rest.find('/');
  const std::string_view authority = rest.substr(0, slash);
  if (authority.find('@') != std::string_view::npos) {
    return Status::invalidArgument("no user or password in a webhook URL");
  }
  VIGIL_RETURN_IF_ERROR(splitAuthority(authority, out.tls ? 443 : 80, out.host, out.port));
  out.target = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  for (char c : out.target) {
    if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f) return Status::invalidArgument("no space or control character");
  }
  return out;
}

Status readNotifyConfig(const ConfigTable& t, NotifyConfig& out) {
  VIGIL_RETURN_IF_ERROR(t.readString("mqtt", out.mqtt));
  if (!out.mqtt.empty()) {
    if (!out.mqtt.starts_with("mqtt://")) return t.fail("mqtt", "must be mqtt://HOST[:PORT]");
    const std::string_view authority = std::string_view(out.mqtt).substr(7);
    if (authority.find_first_of("/@") != std::string_view::npos) {
      return t.fail("mqtt", "must be mqtt://HOST[:PORT] (the user and password go in mqtt_user, mqtt_password_file)");
    }
    if (Status s = splitAuthority(authority, 1883, out.broker.host, out.broker.port); !s.isOk()) {
      return t.fail("mqtt", fmt::format("must be mqtt://HOST[:PORT]: {}", s.message()));
    }
  }
  VIGIL_RETURN_IF_ERROR(t.readString("mqtt_user", out.mqttUser));
  VIGIL_RETURN_IF_ERROR(t.readString("mqtt_password_file", out.mqttPasswordFile));
  if (!out.mqttPasswordFile.empty() && out.mqttUser.empty()) return t.fail("mqtt_password_file", "needs mqtt_user");
  VIGIL_RETURN_IF_ERROR(t.readString("topic_prefix", out.topicPrefix));
  if (!isValidTopicPrefix(out.topicPrefix)) {
    return t.fail("topic_prefix", "must be MQTT topic levels of letters, digits, '_' and '-' (no wildcard)");
  }
  VIGIL_RETURN_IF_ERROR(t.readString("discovery_prefix", out.discoveryPrefix));
  if (!isValidTopicPrefix(out.discoveryPrefix)) {
    return t.fail("discovery_prefix", "must be MQTT topic levels of letters, digits, '_' and '-' (no wildcard)");
  }
  VIGIL_RETURN_IF_ERROR(
      t.readStrings("webhooks", isValidWebhookUrl, "an http:// or https:// URL without user or password", out.webhooks));
  VIGIL_RETURN_IF_ERROR(t.readString("webhook_secret_file", out.webhookSecretFile));
  if (!out.webhooks.empty() && out.webhookSecretFile.empty()) {
    return t.fail("webhooks", "needs webhook_secret_file (each POST is signed with it)");
  }
  return Status::ok();
}

Result<std::string> readSecretFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  if (in) text << in.rdbuf();
  if (!in || in.bad()) return Status::unavailable(fmt::format("{}: cannot read", path));
  std::string secret = text.str();
  while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r')) secret.pop_back();
  if (secret.empty()) return Status::invalidArgument(fmt::format("{}: empty", path));
  return secret;
}

}  // namespace vigil::notify

#include "base/config.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <initializer_list>
#include <sstream>
#include <toml++/toml.h>

#include "base/url_credentials.h"

namespace vigil {
namespace {

// Walks one TOML document and collects the first problem with its location.
class Checker {
 public:
  explicit Checker(std::string_view file) : file_(file) {}

  Status fail(const toml::node& node, std::string_view key, std::string_view what) const {
    return Status::invalidArgument(
        fmt::format("{}:{}: {}: {}", file_, node.source().begin.line, key, what));
  }

  Status onlyKeys(const toml::table& table, std::string_view prefix,
                  std::initializer_list<std::string_view> allowed) const {
    for (auto&& [key, value] : table) {
      if (std::find(allowed.begin(), allowed.end(), key.str()) == allowed.end()) {
        return fail(value, join(prefix, key.str()),
                    fmt::format("unknown key (allowed: {})", fmt::join(allowed, ", ")));
      }
    }
    return Status::ok();
  }

  Status readString(const toml::table& table, std::string_view prefix, std::string_view key,
                    std::string& out) const {
    const toml::node* node = table.get(key);
    if (node == nullptr) return Status::ok();
    if (!node->is_string()) return fail(*node, join(prefix, key), "must be a string");
    out = node->as_string()->get();
    return Status::ok();
  }

  Status readInt(const toml::table& table, std::string_view prefix, std::string_view key,
                 int64_t min, int64_t max, int& out) const {
    const toml::node* node = table.get(key);
    if (node == nullptr) return Status::ok();
    if (!node->is_integer()) return fail(*node, join(prefix, key), "must be an integer");
    const int64_t v = node->as_integer()->get();
    if (v < min || v > max) {
      return fail(*node, join(prefix, key), fmt::format("must be between {} and {} (got {})", min, max, v));
    }
    out = static_cast<int>(v);
    return Status::ok();
  }

  template <typename Enum>
  Status readEnum(const toml::table& table, std::string_view prefix, std::string_view key,
                  std::initializer_list<std::pair<std::string_view, Enum>> choices, Enum& out) const {
    std::string text;
    VIGIL_RETURN_IF_ERROR(readString(table, prefix, key, text));
    if (!table.contains(key)) return Status::ok();
    for (const auto& [name, value] : choices) {
      if (name == text) {
        out = value;
        return Status::ok();
      }
    }
    std::vector<std::string_view> names;
    for (const auto& c : choices) names.push_back(c.first);
    return fail(*table.get(key), join(prefix, key),
                fmt::format("must be one of {} (got \"{}\")", fmt::join(names, ", "), text));
  }

  const toml::table* subTable(const toml::table& root, std::string_view key, Status& status) const {
    const toml::node* node = root.get(key);
    if (node == nullptr) return nullptr;
    if (!node->is_table()) {
      status = fail(*node, key, "must be a table");
      return nullptr;
    }
    return node->as_table();
  }

  static std::string join(std::string_view prefix, std::string_view key) {
    return prefix.empty() ? std::string(key) : fmt::format("{}.{}", prefix, key);
  }

 private:
  std::string file_;
};

Status checkRtspUrl(const Checker& c, const toml::table& t, std::string_view prefix,
                    std::string_view key, const std::string& url) {
  if (url.rfind("rtsp://", 0) != 0 && url.rfind("rtsps://", 0) != 0) {
    // Say what is wrong without echoing the value: URLs carry credentials.
    return c.fail(*t.get(key), Checker::join(prefix, key), "must be an rtsp:// URL");
  }
  return Status::ok();
}

Status readCamera(const Checker& c, const toml::table& t, size_t index, CameraConfig& cam) {
  const std::string prefix = fmt::format("camera[{}]", index);
  VIGIL_RETURN_IF_ERROR(c.onlyKeys(t, prefix, {"id", "name", "url", "sub_url", "username", "password",
                                               "auth", "transport", "record", "retain_days", "pre_roll_s",
                                               "post_roll_s"}));
  VIGIL_RETURN_IF_ERROR(c.readString(t, prefix, "id", cam.id));
  if (!t.contains("id")) return c.fail(t, prefix + ".id", "is required");
  if (!isValidId(cam.id)) {
    return c.fail(*t.get("id"), prefix + ".id",
                  fmt::format("\"{}\" must match [a-z0-9_-]{{1,64}}", cam.id));
  }
  VIGIL_RETURN_IF_ERROR(c.readString(t, prefix, "name", cam.name));
  if (cam.name.empty()) cam.name = cam.id;
  VIGIL_RETURN_IF_ERROR(c.readString(t, prefix, "url", cam.url));
  if (!t.contains("url")) return c.fail(t, prefix + ".url", "is required");
  VIGIL_RETURN_IF_ERROR(checkRtspUrl(c, t, prefix, "url", cam.url));
  VIGIL_RETURN_IF_ERROR(c.readString(t, prefix, "sub_url", cam.subUrl));
  if (t.contains("sub_url")) VIGIL_RETURN_IF_ERROR(checkRtspUrl(c, t, prefix, "sub_url", cam.subUrl));
  VIGIL_RETURN_IF_ERROR(c.readString(t, prefix, "username", cam.username));
  VIGIL_RETURN_IF_ERROR(c.readString(t, prefix, "password", cam.password));
  VIGIL_RETURN_IF_ERROR(c.readEnum<RtspAuth>(t, prefix, "auth",
                                             {{"auto", RtspAuth::kAuto}, {"digest", RtspAuth::kDigest}}, cam.auth));
  VIGIL_RETURN_IF_ERROR(c.readEnum<RtspTransport>(
      t, prefix, "transport", {{"tcp", RtspTransport::kTcp}, {"udp", RtspTransport::kUdp}}, cam.transport));
  VIGIL_RETURN_IF_ERROR(c.readEnum<RecordMode>(t, prefix, "record",
                                               {{"continuous", RecordMode::kContinuous},
                                                {"events", RecordMode::kEvents},
                                                {"off", RecordMode::kOff}},
                                               cam.record));
  VIGIL_RETURN_IF_ERROR(c.readInt(t, prefix, "retain_days", 1, 3650, cam.retainDays));
  // The pre-roll is held in memory (a minute at 8 Mbit/s is 60 MB).
  VIGIL_RETURN_IF_ERROR(c.readInt(t, prefix, "pre_roll_s", 0, 60, cam.preRollSeconds));
  return c.readInt(t, prefix, "post_roll_s", 0, 3600, cam.postRollSeconds);
}

// A section as TOML with sorted keys and no comments, secrets replaced.
std::string canonicalSection(toml::table table) {
  for (const char* key : {"url", "sub_url", "database"}) {
    if (toml::node* n = table.get(key); n != nullptr && n->is_string()) {
      *n->as_string() = redactWholeUrl(n->as_string()->get());
    }
  }
  if (table.contains("password")) table.insert_or_assign("password", "***");
  std::ostringstream out;
  out << toml::toml_formatter(table, toml::format_flags::none);
  return out.str();
}

void collectCanonicalSections(const toml::table& root, Config& config) {
  for (const char* name : {"node", "http", "access"}) {
    if (const toml::table* t = root[name].as_table()) config.canonicalSections[name] = canonicalSection(*t);
  }
  if (const toml::array* cameras = root["camera"].as_array()) {
    for (size_t i = 0; i < cameras->size(); ++i) {
      config.canonicalSections["camera " + config.cameras[i].id] = canonicalSection(*(*cameras)[i].as_table());
    }
  }
}

Result<Config> readDocument(const toml::table& root, std::string_view file) {
  Checker c(file);
  Config config;
  config.sourcePath = std::string(file);
  VIGIL_RETURN_IF_ERROR(c.onlyKeys(root, "", {"node", "http", "access", "camera"}));

  Status status;
  if (const toml::table* node = c.subTable(root, "node", status)) {
    VIGIL_RETURN_IF_ERROR(c.onlyKeys(*node, "node", {"name", "tier", "data_dir"}));
    VIGIL_RETURN_IF_ERROR(c.readString(*node, "node", "name", config.node.name));
    VIGIL_RETURN_IF_ERROR(c.readEnum<Tier>(*node, "node", "tier",
                                           {{"household", Tier::kHousehold},
                                            {"village", Tier::kVillage},
                                            {"township", Tier::kTownship},
                                            {"county", Tier::kCounty}},
                                           config.node.tier));
    VIGIL_RETURN_IF_ERROR(c.readString(*node, "node", "data_dir", config.node.dataDir));
  }
  VIGIL_RETURN_IF_ERROR(status);

  if (const toml::table* http = c.subTable(root, "http", status)) {
    VIGIL_RETURN_IF_ERROR(c.onlyKeys(*http, "http", {"listen", "tls_cert", "tls_key", "web_root", "hosts",
                                                      "live_views_per_session", "live_views_per_user"}));
    std::string listen;
    VIGIL_RETURN_IF_ERROR(c.readString(*http, "http", "listen", listen));
    if (http->contains("listen")) {
      auto hp = parseHostPort(listen);
      if (!hp) return c.fail(*http->get("listen"), "http.listen", hp.status().message());
      config.http.listen = *hp;
    }
    VIGIL_RETURN_IF_ERROR(c.readString(*http, "http", "tls_cert", config.http.tlsCert));
    VIGIL_RETURN_IF_ERROR(c.readString(*http, "http", "tls_key", config.http.tlsKey));
    VIGIL_RETURN_IF_ERROR(c.readString(*http, "http", "web_root", config.http.webRoot));
    VIGIL_RETURN_IF_ERROR(
        c.readInt(*http, "http", "live_views_per_session", 1, 10000, config.http.liveViewsPerSession));
    VIGIL_RETURN_IF_ERROR(c.readInt(*http, "http", "live_views_per_user", 1, 10000, config.http.liveViewsPerUser));
    if (const toml::node* hosts = http->get("hosts")) {
      const toml::array* list = hosts->as_array();
      if (list == nullptr) return c.fail(*hosts, "http.hosts", "must be an array of host names");
      for (const toml::node& h : *list) {
        const auto* name = h.as_string();
        if (name == nullptr || !isValidHostName(name->get())) {
          return c.fail(h, "http.hosts", "each must be a host name without port (\"cam.example.org\")");
        }
        config.http.hosts.push_back(name->get());
      }
    }
    if (config.http.tlsCert.empty() != config.http.tlsKey.empty()) {
      const char* given = config.http.tlsCert.empty() ? "tls_key" : "tls_cert";
      return c.fail(*http->get(given), std::string("http.") + given, "tls_cert and tls_key go together");
    }
  }
  VIGIL_RETURN_IF_ERROR(status);

  if (const toml::table* access = c.subTable(root, "access", status)) {
    VIGIL_RETURN_IF_ERROR(c.onlyKeys(*access, "access",
                                     {"database", "session_lifetime_s", "session_idle_s", "password_checks_per_second"}));
    VIGIL_RETURN_IF_ERROR(c.readString(*access, "access", "database", config.access.database));
    constexpr int kThirtyDays = 30 * 24 * 60 * 60;
    VIGIL_RETURN_IF_ERROR(
        c.readInt(*access, "access", "session_lifetime_s", 1, kThirtyDays, config.access.sessionLifetimeSeconds));
    VIGIL_RETURN_IF_ERROR(c.readInt(*access, "access", "session_idle_s", 1, kThirtyDays, config.access.sessionIdleSeconds));
    VIGIL_RETURN_IF_ERROR(c.readInt(*access, "access", "password_checks_per_second", 1, 1000,
                                    config.access.passwordChecksPerSecond));
    const std::string& db = config.access.database;
    if (access->contains("database") && db.rfind("postgresql://", 0) != 0 && db.rfind("postgres://", 0) != 0) {
      // Say what is wrong without echoing the value: it may hold a password.
      return c.fail(*access->get("database"), "access.database", "must be a postgresql:// URI");
    }
  }
  VIGIL_RETURN_IF_ERROR(status);

  if (const toml::node* cameras = root.get("camera")) {
    const toml::array* list = cameras->as_array();
    if (list == nullptr) return c.fail(*cameras, "camera", "must be an array of tables ([[camera]])");
    for (size_t i = 0; i < list->size(); ++i) {
      const toml::table* t = (*list)[i].as_table();
      if (t == nullptr) return c.fail((*list)[i], fmt::format("camera[{}]", i), "must be a table");
      CameraConfig cam;
      VIGIL_RETURN_IF_ERROR(readCamera(c, *t, i, cam));
      for (const CameraConfig& other : config.cameras) {
        if (other.id == cam.id) {
          return c.fail(*t->get("id"), fmt::format("camera[{}].id", i),
                        fmt::format("duplicate camera id \"{}\"", cam.id));
        }
      }
      config.cameras.push_back(std::move(cam));
    }
  }
  collectCanonicalSections(root, config);
  return config;
}

}  // namespace

std::string_view tierName(Tier tier) {
  switch (tier) {
    case Tier::kHousehold: return "household";
    case Tier::kVillage: return "village";
    case Tier::kTownship: return "township";
    case Tier::kCounty: return "county";
  }
  return "?";
}

std::string_view recordModeName(RecordMode mode) {
  switch (mode) {
    case RecordMode::kContinuous: return "continuous";
    case RecordMode::kEvents: return "events";
    case RecordMode::kOff: return "off";
  }
  return "?";
}

std::string HostPort::toString() const {
  return host.find(':') != std::string::npos ? fmt::format("[{}]:{}", host, port)
                                             : fmt::format("{}:{}", host, port);
}

Result<HostPort> parseHostPort(std::string_view text) {
  auto bad = [&](std::string_view why) {
    return Status::invalidArgument(fmt::format("\"{}\" is not HOST:PORT ({})", text, why));
  };
  HostPort out;
  std::string_view portText;
  if (!text.empty() && text.front() == '[') {
    const size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return bad("IPv6 addresses look like [::1]:8080");
    }
    out.host = std::string(text.substr(1, close - 1));
    portText = text.substr(close + 2);
  } else {
    const size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) return bad("missing :PORT");
    out.host = std::string(text.substr(0, colon));
    portText = text.substr(colon + 1);
    if (out.host.find(':') != std::string::npos) return bad("put IPv6 addresses in brackets");
  }
  if (out.host.empty()) return bad("missing host");
  if (portText.empty() || portText.size() > 5) return bad("bad port");
  unsigned port = 0;
  for (char ch : portText) {
    if (ch < '0' || ch > '9') return bad("bad port");
    port = port * 10 + static_cast<unsigned>(ch - '0');
  }
  if (port > 65535) return bad("port above 65535");
  out.port = static_cast<uint16_t>(port);
  return out;
}

bool isValidHostName(std::string_view name) {
  return !name.empty() && name.size() <= 253 && std::all_of(name.begin(), name.end(), [](char ch) {
    return std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '.';
  });
}

bool isValidId(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  return std::all_of(id.begin(), id.end(), [](char ch) {
    return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_' || ch == '-';
  });
}

Result<Config> parseConfig(std::string_view text, std::string_view sourceName) {
  try {
    toml::table root = toml::parse(text, sourceName);
    auto config = readDocument(root, sourceName);
    if (config) config->sourceText = std::string(text);
    return config;
  } catch (const toml::parse_error& e) {
    return Status::invalidArgument(fmt::format("{}:{}: {}", sourceName, e.source().begin.line,
                                               e.description()));
  }
}

Result<Config> loadConfigFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::invalidArgument(fmt::format("{}: cannot read config file", path));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return Status::invalidArgument(fmt::format("{}: cannot read config file", path));
  return parseConfig(text.str(), path);
}

}  // namespace vigil

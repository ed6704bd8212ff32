#pragma once
// The node's TOML configuration (../shared/design/BRIEF.md §3). Loading
// validates everything: an unknown key, a wrong type or a bad value is an
// InvalidArgument naming "file:line: key: what is wrong"; the CLI turns it
// into exit code 2.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace vigil {

enum class Tier { kHousehold, kVillage, kTownship, kCounty };
enum class RecordMode { kContinuous, kEvents, kOff };
enum class RtspTransport { kTcp, kUdp };

std::string_view tierName(Tier tier);
std::string_view recordModeName(RecordMode mode);

struct HostPort {
  std::string host;
  uint16_t port = 0;
  std::string toString() const;
};
// "127.0.0.1:8080", "[::1]:8080", "0.0.0.0:554". Port 0 is allowed (any).
Result<HostPort> parseHostPort(std::string_view text);

// A parent's address as [link] parent and `vigil link join --parent` give
// it: "https://HOST:PORT" (nothing after the port, port not 0).
Result<HostPort> parseLinkParent(std::string_view url);

// Ids of cameras (and later users, nodes): [a-z0-9_-]{1,64}.
bool isValidId(std::string_view id);

// "scheme://user:secret@host/..." -> "scheme://user:***@host/...": a URL fit
// for logs and messages. Other URLs come back unchanged.
std::string redactUrlPassword(std::string_view url);

struct NodeConfig {
  // Stable across restarts, [a-z0-9_-]{1,64}; how a parent knows this node
  // once linked (design/LINK.md). Optional until the node links.
  std::string id;
  std::string name = "vigil";
  Tier tier = Tier::kHousehold;
  std::string dataDir;
};

struct HttpConfig {
  HostPort listen{"127.0.0.1", 8080};
  // PEM files; both set: HTTPS only (with HSTS), both empty: plain HTTP.
  std::string tlsCert;
  std::string tlsKey;
  // The built web UI (web/dist). Empty: looked for next to the program
  // (app::findWebRoot); none found: a minimal login page.
  std::string webRoot;
};

struct AccessConfig {
  // Where users, sessions and the audit log live: empty for the SQLite file
  // <data_dir>/access.db, or a libpq URI ("postgresql://...") for a
  // PostgreSQL database that several nodes of a platform share.
  std::string database;
};

// The tier link (design/LINK.md): a child names the parent it dials.
struct LinkConfig {
  std::string parent;  // "https://HOST:PORT", written by `vigil link join`; empty: no parent
};

struct CameraConfig {
  std::string id;
  std::string name;
  std::string url;     // main stream, recorded
  std::string subUrl;  // optional sub stream; empty when absent
  std::string username;  // optional; credentials in the URL work too
  std::string password;
  RtspTransport transport = RtspTransport::kTcp;
  RecordMode record = RecordMode::kContinuous;
  int retainDays = 30;
  // record = "events": recorded before an event opens and after it closes.
  int preRollSeconds = 5;
  int postRollSeconds = 5;
};

struct Config {
  std::string sourcePath;
  NodeConfig node;
  HttpConfig http;
  AccessConfig access;
  LinkConfig link;
  std::vector<CameraConfig> cameras;

  // What the config-change audit compares from one start to the next: the
  // text parsed, and each section present ("node", "http", "access",
  // "link", "camera <id>") in a canonical TOML form (sorted keys, no comments) with
  // secrets left out: camera passwords and passwords in URLs read "***".
  std::string sourceText;
  std::map<std::string, std::string> canonicalSections;
};

// Parses and validates TOML text; `sourceName` is used in messages.
Result<Config> parseConfig(std::string_view text, std::string_view sourceName);
// Reads the file and parses it. Unreadable files are InvalidArgument too.
Result<Config> loadConfigFile(const std::string& path);

}  // namespace vigil

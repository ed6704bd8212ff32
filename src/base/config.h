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
// Which schemes a camera may ask for: the strongest offered, or Digest only
// (Basic sends the password in clear). design/DECISIONS.md, "Camera
// credentials stay with the camera".
enum class RtspAuth { kAuto, kDigest };

std::string_view tierName(Tier tier);
std::string_view recordModeName(RecordMode mode);

struct HostPort {
  std::string host;
  uint16_t port = 0;
  std::string toString() const;
};
// "127.0.0.1:8080", "[::1]:8080", "0.0.0.0:554". Port 0 is allowed (any).
Result<HostPort> parseHostPort(std::string_view text);

// Ids of cameras (and later users, nodes): [a-z0-9_-]{1,64}.
bool isValidId(std::string_view id);
// A DNS name as it appears in a Host header, without port: letters,
// digits, '-' and '.', at most 253 characters.
bool isValidHostName(std::string_view name);

struct NodeConfig {
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
  // Live views (WebSockets, HLS looks) one session, one user may have open.
  int liveViewsPerSession = 32;
  int liveViewsPerUser = 64;
  // The names clients may reach this server by (Host header), besides IP
  // addresses, "localhost" and the listen host: others get 421, so a page
  // of another site whose name was rebound to our address gets nothing.
  std::vector<std::string> hosts;
};

struct AccessConfig {
  // Where users, sessions and the audit log live: empty for the SQLite file
  // <data_dir>/access.db, or a libpq URI ("postgresql://...") for a
  // PostgreSQL database that several nodes of a platform share.
  std::string database;
  // A session ends this long after login, or after this long unused.
  int sessionLifetimeSeconds = 12 * 60 * 60;
  int sessionIdleSeconds = 30 * 60;
  // The node-wide ceiling on login password checks (Argon2id: 64 MiB and
  // about 0.1 s of a core each); past it every login is refused for a
  // moment (access::ThrottleOptions).
  int passwordChecksPerSecond = 10;
};

struct CameraConfig {
  std::string id;
  std::string name;
  std::string url;     // main stream, recorded
  std::string subUrl;  // optional sub stream; empty when absent
  std::string username;  // optional; credentials in the URL work too
  std::string password;
  RtspAuth auth = RtspAuth::kAuto;
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
  std::vector<CameraConfig> cameras;

  // What the config-change audit compares from one start to the next: the
  // text parsed, and each section present ("node", "http", "access",
  // "camera <id>") in a canonical TOML form (sorted keys, no comments) with
  // secrets left out: camera passwords and the secrets of URLs read "***"
  // (redactUrlCredentials; user names stay).
  std::string sourceText;
  std::map<std::string, std::string> canonicalSections;
};

// Parses and validates TOML text; `sourceName` is used in messages.
Result<Config> parseConfig(std::string_view text, std::string_view sourceName);
// Reads the file and parses it. Unreadable files are InvalidArgument too.
Result<Config> loadConfigFile(const std::string& path);

}  // namespace vigil

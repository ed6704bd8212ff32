#pragma once
// The work behind each subcommand; cli.cpp only parses arguments.

#include <string>
#include <vector>

#include "app/testcam.h"
#include "base/config.h"

namespace vigil::app {

inline constexpr const char* kVersion = "0.1.0";

struct DemoOptions {
  std::string dataDir = "vigil-demo";
  HostPort listen{"127.0.0.1", 8080};
  int cameras = 4;
  std::string webRoot;  // empty: findWebRoot()
};

// vigil user add / user passwd.
struct UserOptions {
  std::string name;
  std::string role;  // add only
  std::vector<std::string> cameras;  // add only: a viewer's cameras
  std::string passwordFile;  // empty: generate one and print it
  std::string configPath;
  std::string dataDir;
};

struct ProbeOptions {
  std::string url;
  std::string username;
  std::string password;
  RtspTransport transport = RtspTransport::kTcp;
  int frames = 50;
  int timeoutSeconds = 30;
};

// vigil link invite / join / remove / status.
struct LinkOptions {
  std::string configPath;
  std::string name;            // invite: who the invitation is for
  std::string expires = "24h";  // invite
  std::string parent;          // join: https://HOST:PORT
  std::string code;            // join
  std::string child;           // remove: the child's node id
};

int runTestcam(const TestcamOptions& options);
int runDemo(const DemoOptions& options);
int runServe(const Config& config);
int runUserAdd(const UserOptions& options);
int runUserPasswd(const UserOptions& options);
// Exit 0 when the chain is intact; 1 naming the first bad row otherwise.
int runAuditVerify(const std::string& configPath, const std::string& dataDir);
// Plays one stream once and prints a JSON summary (frames, size, latency
// from send-time SEIs...). Exit 0 when all the frames asked for arrived.
int runProbe(const ProbeOptions& options);
// Verifies (and with `repair`, repairs) the recordings of a data directory
// against their index. Exit 0 when everything is (now) consistent, 1 when
// problems remain.
int runCheck(const std::string& configPath, const std::string& dataDir, bool repair);
// The tier link (design/LINK.md). invite prints the code alone on its last
// line. Exit 0 on success, 1 when refused (a wrong, used or expired code,
// an unreachable parent...), 2 for bad arguments or config.
int runLinkInvite(const LinkOptions& options);
int runLinkJoin(const LinkOptions& options);
int runLinkRemove(const LinkOptions& options);
int runLinkStatus(const LinkOptions& options);

}  // namespace vigil::app

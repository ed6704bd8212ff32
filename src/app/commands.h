#pragma once
// The work behind each subcommand; cli.cpp only parses arguments.

#include <string>

#include "app/testcam.h"
#include "base/config.h"

namespace vigil::app {

inline constexpr const char* kVersion = "0.1.0";

struct DemoOptions {
  std::string dataDir = "vigil-demo";
  HostPort listen{"127.0.0.1", 8080};
  int cameras = 4;
};

struct ProbeOptions {
  std::string url;
  std::string username;
  std::string password;
  RtspTransport transport = RtspTransport::kTcp;
  int frames = 50;
  int timeoutSeconds = 30;
};

int runTestcam(const TestcamOptions& options);
int runDemo(const DemoOptions& options);
int runServe(const Config& config);
// Plays one stream once and prints a JSON summary (frames, size, latency
// from send-time SEIs...). Exit 0 when all the frames asked for arrived.
int runProbe(const ProbeOptions& options);

}  // namespace vigil::app

#include "app/cli.h"

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>

#include "app/commands.h"
#include "base/config.h"
#include "base/log.h"

namespace vigil::app {
namespace {

constexpr int kUsageError = 2;

// "1280x720" -> width, height.
bool parseSize(const std::string& text, int& width, int& height) {
  const size_t x = text.find('x');
  if (x == std::string::npos) return false;
  try {
    size_t used = 0;
    width = std::stoi(text.substr(0, x), &used);
    if (used != x) return false;
    height = std::stoi(text.substr(x + 1), &used);
    return used == text.size() - x - 1;
  } catch (const std::exception&) {
    return false;
  }
}

}  // namespace

int runCli(int argc, char** argv) {
  CLI::App app{"vigil — a community video network: record at the edge, share what the owner allows"};
  app.require_subcommand(1);
  std::string logLevel = "info";
  app.add_option("--log-level", logLevel, "debug, info, warn or error")->capture_default_str();

  // version
  auto* version = app.add_subcommand("version", "Print the version");

  // testcam
  TestcamOptions testcam;
  std::string testcamListen = testcam.listen.toString();
  std::string testcamCodec = "h264";
  std::string testcamSize = fmt::format("{}x{}", testcam.width, testcam.height);
  auto* tc = app.add_subcommand("testcam", "Serve synthetic RTSP streams (/cam/0 .. /cam/N-1) for tests and load");
  tc->add_option("--listen", testcamListen, "ADDR:PORT to listen on (port 0: any)")->capture_default_str();
  tc->add_option("--streams", testcam.streams, "number of independent streams")->capture_default_str();
  tc->add_option("--codec", testcamCodec, "h264 or h265")->check(CLI::IsMember({"h264", "h265"}))->capture_default_str();
  tc->add_option("--size", testcamSize, "picture size WxH")->capture_default_str();
  tc->add_option("--fps", testcam.fps, "frames per second")->capture_default_str();
  tc->add_option("--bitrate", testcam.bitrateKbps, "kbit/s per stream (padded with filler data)")->capture_default_str();
  tc->add_option("--gop", testcam.gop, "frames per GOP (0: two seconds)")->capture_default_str();
  tc->add_option("--loop-seconds", testcam.loopSeconds, "length of the encoded loop")->capture_default_str();

  // demo
  DemoOptions demo;
  std::string demoListen = demo.listen.toString();
  auto* dm = app.add_subcommand("demo", "Run a node with synthetic cameras, SQLite and the web UI");
  dm->add_option("--data", demo.dataDir, "data directory")->capture_default_str();
  dm->add_option("--listen", demoListen, "ADDR:PORT of the web UI")->capture_default_str();
  dm->add_option("--cameras", demo.cameras, "number of synthetic cameras")->capture_default_str()
      ->check(CLI::Range(1, 64));
  dm->add_option("--web-root", demo.webRoot, "the built web UI (default: web/dist of the source tree)");

  // serve
  std::string configPath;
  auto* serve = app.add_subcommand("serve", "Run a node from a config file");
  serve->add_option("--config", configPath, "TOML config file")->required();

  // probe
  ProbeOptions probe;
  std::string probeTransport = "tcp";
  auto* pr = app.add_subcommand("probe", "Play one RTSP stream once and print a JSON summary");
  pr->add_option("URL", probe.url, "rtsp://[user:pass@]host[:port]/path")->required();
  pr->add_option("--transport", probeTransport, "tcp or udp")->check(CLI::IsMember({"tcp", "udp"}))->capture_default_str();
  pr->add_option("--frames", probe.frames, "frames to receive")->check(CLI::Range(1, 1000000))->capture_default_str();
  pr->add_option("--timeout", probe.timeoutSeconds, "seconds to wait for them")->check(CLI::Range(1, 86400))->capture_default_str();
  pr->add_option("--user", probe.username, "user name when the URL has none");
  pr->add_option("--password", probe.password, "password when the URL has none");

  // check
  std::string checkConfig, checkData;
  bool repair = false;
  auto* check = app.add_subcommand("check", "Verify sample files against the recording index");
  auto* checkCfgOpt = check->add_option("--config", checkConfig, "TOML config file");
  auto* checkDataOpt = check->add_option("--data", checkData, "data directory");
  checkCfgOpt->excludes(checkDataOpt);
  check->add_flag("--repair", repair, "repair what can be repaired");

  // user add / user passwd
  auto* user = app.add_subcommand("user", "Manage accounts");
  user->require_subcommand(1);
  UserOptions userOpts;
  auto* userAdd = user->add_subcommand("add", "Add an account");
  userAdd->add_option("NAME", userOpts.name, "account name")->required();
  userAdd->add_option("--role", userOpts.role, "admin, operator or viewer")->required()
      ->check(CLI::IsMember({"admin", "operator", "viewer"}));
  userAdd->add_option("--camera", userOpts.cameras, "a camera a viewer may see (repeatable)");
  userAdd->add_option("--password-file", userOpts.passwordFile, "file holding the password (else one is generated)");
  auto* uc = userAdd->add_option("--config", userOpts.configPath, "TOML config file");
  uc->excludes(userAdd->add_option("--data", userOpts.dataDir, "data directory"));
  auto* userPasswd = user->add_subcommand("passwd", "Set an account's password (ends its sessions)");
  userPasswd->add_option("NAME", userOpts.name, "account name")->required();
  userPasswd->add_option("--password-file", userOpts.passwordFile, "file holding the password (else one is generated)");
  auto* pc = userPasswd->add_option("--config", userOpts.configPath, "TOML config file");
  pc->excludes(userPasswd->add_option("--data", userOpts.dataDir, "data directory"));

  // audit verify
  auto* audit = app.add_subcommand("audit", "The tamper-evident audit log");
  audit->require_subcommand(1);
  std::string auditConfig, auditData;
  auto* auditVerify = audit->add_subcommand("verify", "Check the audit hash chain");
  auto* ac = auditVerify->add_option("--config", auditConfig, "TOML config file");
  ac->excludes(auditVerify->add_option("--data", auditData, "data directory"));

  // link invite / join / remove / status
  auto* linkCmd = app.add_subcommand("link", "The tier link: invite children, join a parent, remove a child");
  linkCmd->require_subcommand(1);
  LinkOptions linkOpts;
  auto* linkInvite = linkCmd->add_subcommand("invite", "Make a one-time invitation code for a child (printed last)");
  linkInvite->add_option("--name", linkOpts.name, "who it is for, e.g. \"Zhang family\"")->required();
  linkInvite->add_option("--expires", linkOpts.expires, "lifetime: 90m, 24h, 7d...")->capture_default_str();
  auto* linkJoin = linkCmd->add_subcommand("join", "Join a parent with its invitation code, and pin its key");
  linkJoin->add_option("--parent", linkOpts.parent, "https://HOST:PORT of the parent")->required();
  linkJoin->add_option("--code", linkOpts.code, "the invitation code")->required();
  auto* linkRemove = linkCmd->add_subcommand("remove", "Remove a child: its link ends and it can no longer connect");
  linkRemove->add_option("CHILD", linkOpts.child, "the child's node id")->required();
  auto* linkStatus = linkCmd->add_subcommand("status", "This node's parent, children and invitations");
  for (auto* sub : {linkInvite, linkJoin, linkRemove, linkStatus}) {
    sub->add_option("--config", linkOpts.configPath, "TOML config file")->required();
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    fmt::print(stderr, "vigil: {}\n", e.what());
    return kUsageError;
  }

  auto level = log::parseLevel(logLevel);
  if (!level) {
    fmt::print(stderr, "vigil: --log-level: {}\n", level.status().message());
    return kUsageError;
  }
  log::init(*level);

  if (*version) {
    fmt::print("vigil {}\n", kVersion);
    return 0;
  }
  if (*tc) {
    auto listen = parseHostPort(testcamListen);
    if (!listen) {
      fmt::print(stderr, "vigil testcam: --listen: {}\n", listen.status().message());
      return kUsageError;
    }
    testcam.listen = *listen;
    testcam.codec = testcamCodec == "h265" ? media::VideoCodec::kH265 : media::VideoCodec::kH264;
    if (!parseSize(testcamSize, testcam.width, testcam.height)) {
      fmt::print(stderr, "vigil testcam: --size: \"{}\" is not WxH like 1280x720\n", testcamSize);
      return kUsageError;
    }
    return runTestcam(testcam);
  }
  if (*dm) {
    auto listen = parseHostPort(demoListen);
    if (!listen) {
      fmt::print(stderr, "vigil demo: --listen: {}\n", listen.status().message());
      return kUsageError;
    }
    demo.listen = *listen;
    return runDemo(demo);
  }
  if (*serve) {
    auto config = loadConfigFile(configPath);
    if (!config) {
      fmt::print(stderr, "vigil serve: {}\n", config.status().message());
      return kUsageError;
    }
    return runServe(*config);
  }
  if (*pr) {
    probe.transport = probeTransport == "udp" ? RtspTransport::kUdp : RtspTransport::kTcp;
    return runProbe(probe);
  }
  if (*check) {
    if (checkConfig.empty() && checkData.empty()) {
      fmt::print(stderr, "vigil check: give --config FILE or --data DIR\n");
      return kUsageError;
    }
    return runCheck(checkConfig, checkData, repair);
  }
  if (*userAdd || *userPasswd) {
    const char* name = *userAdd ? "user add" : "user passwd";
    if (userOpts.configPath.empty() && userOpts.dataDir.empty()) {
      fmt::print(stderr, "vigil {}: give --config FILE or --data DIR\n", name);
      return kUsageError;
    }
    return *userAdd ? runUserAdd(userOpts) : runUserPasswd(userOpts);
  }
  if (*linkInvite) return runLinkInvite(linkOpts);
  if (*linkJoin) return runLinkJoin(linkOpts);
  if (*linkRemove) return runLinkRemove(linkOpts);
  if (*linkStatus) return runLinkStatus(linkOpts);
  if (*auditVerify) {
    if (auditConfig.empty() && auditData.empty()) {
      fmt::print(stderr, "vigil audit verify: give --config FILE or --data DIR\n");
      return kUsageError;
    }
    return runAuditVerify(auditConfig, auditData);
  }
  return kUsageError;
}

}  // namespace vigil::app

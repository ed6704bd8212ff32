#include "app/cli.h"

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <cstdio>

#include "app/commands.h"
#include "base/log.h"

namespace vigil::app {

int runCli(int argc, char** argv) {
  CLI::App app{"vigil — a community video network: record at the edge, share what the owner allows"};
  app.require_subcommand(1);
  std::string logLevel = "info";
  app.add_option("--log-level", logLevel, "debug, info, warn or error")->capture_default_str();

  auto* version = app.add_subcommand("version", "Print the version");
  Subcommands commands{{version, [] {
                          fmt::print("vigil {}\n", kVersion);
                          return 0;
                        }}};
  addTestcamCommand(app, commands);
  addDemoCommand(app, commands);
  addServeCommand(app, commands);
  addProbeCommand(app, commands);
  addCheckCommand(app, commands);
  addAccessCommands(app, commands);
  addLinkCommands(app, commands);

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

  for (const Subcommand& command : commands) {
    if (command.parsed->parsed()) return command.run();
  }
  return kUsageError;
}

}  // namespace vigil::app

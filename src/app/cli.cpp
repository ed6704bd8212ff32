#include "app/cli.h"

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <cstdio>

#include "app/commands.h"
#include "base/config.h"
#include "base/log.h"

namespace vigil::app {

CLI::Option* addListenOption(CLI::App& command, HostPort& listen, const std::string& description) {
  auto parse = [&listen](const std::string& text) {
    auto parsed = parseHostPort(text);
    if (!parsed) throw CLI::ValidationError("--listen", parsed.status().message());
    listen = *parsed;
  };
  return command.add_option_function<std::string>("--listen", parse, description)->default_str(listen.toString());
}

std::function<int()> addConfigOrData(CLI::App& command, const std::string& name, std::string& config,
                                     std::string& data, std::function<int()> run) {
  command.add_option("--config", config, "TOML config file")
      ->excludes(command.add_option("--data", data, "data directory"));
  return [name, &config, &data, run = std::move(run)] {
    if (config.empty() && data.empty()) {
      fmt::print(stderr, "vigil {}: give --config FILE or --data DIR\n", name);
      return kUsageError;
    }
    return run();
  };
}

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

#pragma once
// The subcommands of `vigil`. Each one declares its options beside the code
// that runs it (run_*.cpp); cli.cpp only parses and dispatches.

#include <functional>
#include <string>
#include <vector>

namespace CLI {
class App;
class Option;
}  // namespace CLI

namespace vigil {
struct HostPort;
}

namespace vigil::app {

inline constexpr const char* kVersion = "0.1.0";
// Bad usage, a bad config, a port in use (cli.h lists the exit codes).
inline constexpr int kUsageError = 2;

struct Subcommand {
  const CLI::App* parsed;    // CLI11's subcommand: chosen when it parsed
  std::function<int()> run;  // the work, once chosen; returns the exit code
};
using Subcommands = std::vector<Subcommand>;

// Adds `--listen ADDR:PORT` to `command`, parsed into `listen` (whose value
// is the default); a bad address is a usage error naming it (cli.cpp).
CLI::Option* addListenOption(CLI::App& command, HostPort& listen, const std::string& description);

// Adds `--config FILE` and `--data DIR` (not both) to `command`. The work
// returned calls `run` when one of them was given; when neither was, it
// says "vigil <name>: give --config FILE or --data DIR" and is a usage error.
std::function<int()> addConfigOrData(CLI::App& command, const std::string& name, std::string& config,
                                     std::string& data, std::function<int()> run);

// Each adds its subcommand(s) to `cli` and their work to `out`.
void addTestcamCommand(CLI::App& cli, Subcommands& out);   // run_testcam.cpp
void addDemoCommand(CLI::App& cli, Subcommands& out);      // run_demo.cpp
void addServeCommand(CLI::App& cli, Subcommands& out);     // run_serve.cpp
void addProbeCommand(CLI::App& cli, Subcommands& out);     // run_probe.cpp
void addCheckCommand(CLI::App& cli, Subcommands& out);     // run_check.cpp
void addAccessCommands(CLI::App& cli, Subcommands& out);   // run_access.cpp: user add|passwd, audit verify
void addLinkCommands(CLI::App& cli, Subcommands& out);     // run_link.cpp: link invite|join|remove|status

}  // namespace vigil::app

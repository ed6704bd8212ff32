#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <memory>

#include "app/commands.h"
#include "app/node_access.h"
#include "base/config.h"
#include "storage/store.h"

namespace vigil::app {

namespace {

int runCheck(const std::string& configPath, const std::string& dataDir, bool repair) {
  auto dir = dataDirFrom(configPath, dataDir);
  if (!dir) {
    fmt::print(stderr, "vigil check: {}\n", dir.status().message());
    return 2;
  }
  auto report = storage::checkDataDir(*dir, repair);
  if (!report) {
    fmt::print(stderr, "vigil check: {}\n", report.status().message());
    return 1;
  }
  for (const std::string& problem : report->problems) fmt::print("problem: {}\n", problem);
  fmt::print("{} storage director{}, {} recordings, {} samples, {} bytes, {} repair{}, {} problem{}\n",
             report->dirs.size(), report->dirs.size() == 1 ? "y" : "ies", report->recordings, report->samples,
             report->bytes, report->repairs, report->repairs == 1 ? "" : "s", report->problems.size(),
             report->problems.size() == 1 ? "" : "s");
  return report->problems.empty() ? 0 : 1;
}

}  // namespace

void addCheckCommand(CLI::App& cli, Subcommands& out) {
  struct Args {
    std::string config, data;
    bool repair = false;
  };
  auto args = std::make_shared<Args>();
  auto* check = cli.add_subcommand("check", "Verify sample files against the recording index");
  auto run = addConfigOrData(*check, "check", args->config, args->data,
                             [args] { return runCheck(args->config, args->data, args->repair); });
  check->add_flag("--repair", args->repair, "repair what can be repaired");
  out.push_back({check, std::move(run)});
}

}  // namespace vigil::app

#include <fmt/format.h>

#include "app/commands.h"
#include "app/node_access.h"
#include "storage/store.h"

namespace vigil::app {

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

}  // namespace vigil::app

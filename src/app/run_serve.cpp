#include <fmt/format.h>

#include "app/commands.h"
#include "base/log.h"

namespace vigil::app {

int runServe(const Config& config) {
  log::info("serve.config", {{"file", config.sourcePath},
                             {"node", config.node.name},
                             {"tier", tierName(config.node.tier)},
                             {"cameras", config.cameras.size()}});
  fmt::print(stderr, "vigil serve: the configuration is valid; camera ingest arrives with issue 3\n");
  return 2;
}

}  // namespace vigil::app

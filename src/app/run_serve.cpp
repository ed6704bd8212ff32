#include <fmt/format.h>

#include "app/commands.h"
#include "app/node.h"
#include "base/log.h"

namespace vigil::app {

int runServe(const Config& config) {
  log::info("serve.start", {{"file", config.sourcePath},
                            {"node", config.node.name},
                            {"tier", tierName(config.node.tier)},
                            {"cameras", config.cameras.size()}});
  EventLoopPool loops;
  Node node(loops, config.cameras);
  StopSignals signals(loops.loop(0), [&](int) { node.shutdown([&] { loops.stop(); }); });
  loops.start();
  node.start();
  loops.join();
  log::info("serve.stopped", {});
  return 0;
}

}  // namespace vigil::app

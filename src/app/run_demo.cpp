#include <fmt/format.h>

#include "app/commands.h"

namespace vigil::app {

int runDemo(const DemoOptions&) {
  fmt::print(stderr, "vigil demo: not yet\n");
  return 2;
}

}  // namespace vigil::app

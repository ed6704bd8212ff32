#pragma once
// The `vigil` command line (../shared/design/BRIEF.md §3). Exit codes: 0 on
// success, 1 when a command fails at run time, 2 for bad usage, a bad
// config, a port in use, or a command whose feature is not built yet.

namespace vigil::app {

int runCli(int argc, char** argv);

}  // namespace vigil::app

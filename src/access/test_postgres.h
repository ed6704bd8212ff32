#pragma once
// A real PostgreSQL server for tests: started on first use, once per test
// process, from Debian's binaries (initdb into a temporary directory,
// postgres listening only on a unix socket there, as the unprivileged
// "postgres" user when the tests run as root), and stopped by its PID when
// the process's tests end. Every wait is bounded. The server also gets
// SIGKILL if the test process dies first (setpriv --pdeathsig).
//
// CMake runs the PostgreSQL cases of a test binary as one CTest entry
// (vigil_test(... POSTGRES_CASES ...)), so they share one server.

#include <string>

#include "base/status.h"

namespace vigil::access {

class TestPostgres {
 public:
  // Whether Debian's server binaries are there; tests skip when not.
  static bool installed();
  // The shared server, started on the first call; nullptr when it is not
  // installed or did not start, and then unavailableReason() says why.
  static TestPostgres* shared();
  static const std::string& unavailableReason();

  // A new, empty database on the server; returns its libpq URI.
  Result<std::string> createDatabase();

  // Stops the server (SIGINT, then SIGKILL after a bounded wait) and
  // removes its directory.
  ~TestPostgres();
  TestPostgres(const TestPostgres&) = delete;
  TestPostgres& operator=(const TestPostgres&) = delete;

 private:
  TestPostgres() = default;
  Status start();

  std::string dir_;  // data directory, socket and logs
  int pid_ = -1;
  int databases_ = 0;
};

}  // namespace vigil::access

#pragma once
// The CPU time this process has used, for the benchmark programs.
#include <sys/resource.h>

namespace vigil::bench {

// User plus system seconds of the whole process (every thread).
inline double cpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

}  // namespace vigil::bench

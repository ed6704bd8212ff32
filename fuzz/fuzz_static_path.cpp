// Fuzzes the mapping of request paths to files under the web root. What
// comes out must be a plain relative path: no empty, "." or ".." segment,
// no dotfile, no leading '/', no '\', NUL or control byte.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "http/static_files.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view path(reinterpret_cast<const char*>(data), size);
  auto relative = vigil::http::staticRelativePath(path);
  if (!relative) return 0;
  std::string_view rest = *relative;
  if (rest.empty()) return 0;  // "/": the index
  while (true) {
    const size_t slash = rest.find('/');
    const std::string_view segment = rest.substr(0, slash);
    if (segment.empty() || segment.front() == '.') std::abort();
    for (char c : segment) {
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f || c == '\\') std::abort();
    }
    if (slash == std::string_view::npos) break;
    rest.remove_prefix(slash + 1);
  }
  return 0;
}

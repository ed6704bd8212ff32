// The MQTT raise command (notify/command.h), as any client of the broker
// may send it on <prefix>/<node>/alarm/raise. Whatever the bytes, nothing
// crashes; what parses has a kind of 1 to 32 letters a-z and came from a
// payload no longer than the bound.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "notify/command.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace vigil::notify;
  auto command = parseRaiseCommand(std::span<const uint8_t>(data, size));
  if (!command) return 0;
  if (size > kMaxCommandBytes || command->kind.empty() || command->kind.size() > kMaxKindBytes) std::abort();
  for (char c : command->kind) {
    if (c < 'a' || c > 'z') std::abort();
  }
  return 0;
}

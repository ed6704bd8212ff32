#include "notify/command.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <string_view>

namespace vigil::notify {
namespace {

bool isKindWord(std::string_view s) {
  if (s.empty() || s.size() > kMaxKindBytes) return false;
  for (char c : s) {
    if (c < 'a' || c > 'z') return false;
  }
  return true;
}

}  // namespace

Result<RaiseCommand> parseRaiseCommand(std::span<const uint8_t> payload) {
  if (payload.size() > kMaxCommandBytes) {
    return Status::invalidArgument(fmt::format("payload: more than {} bytes", kMaxCommandBytes));
  }
  std::string_view text(reinterpret_cast<const char*>(payload.data()), payload.size());
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) text.remove_suffix(1);
  if (!text.starts_with('{')) {
    if (!isKindWord(text)) return Status::invalidArgument("payload: a kind word (a-z) or a JSON object");
    return RaiseCommand{.kind = std::string(text)};
  }
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return Status::invalidArgument("payload: not a JSON object");
  RaiseCommand out;
  for (const auto& [key, value] : j.items()) {
    if (key == "kind") {
      if (!value.is_string() || !isKindWord(value.get_ref<const std::string&>())) {
        return Status::invalidArgument("kind: a word of a-z");
      }
      out.kind = value.get<std::string>();
    } else if (key == "note") {
      if (!value.is_string()) return Status::invalidArgument("note: a string");
      out.note = value.get<std::string>();
    } else {
      return Status::invalidArgument("payload: only kind and note");
    }
  }
  if (out.kind.empty()) return Status::invalidArgument("kind: missing");
  return out;
}

}  // namespace vigil::notify

#pragma once
// Reads the fields of one JSON object from the network, remembering the
// first problem, for the link's JSON messages (enrolment, looks): each
// getter checks the type and bounds and names the field when it fails.

#include <fmt/format.h>
#include <sodium.h>

#include <array>
#include <initializer_list>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace vigil::link {

class JsonFields {
 public:
  // `maxNesting`: how many objects and arrays the text may open at all,
  // counted before parsing (no deep nesting reaches the parser).
  explicit JsonFields(std::string_view text, int maxNesting = 16);

  std::string string(const char* key, size_t maxBytes = 4096);
  uint64_t unsignedInt(const char* key, uint64_t max = UINT64_MAX);
  bool boolean(const char* key);
  bool has(const char* key) const { return error_.isOk() && doc_.contains(key); }
  // An array of at most `maxItems` strings, each at most `maxBytes`.
  std::vector<std::string> strings(const char* key, size_t maxItems, size_t maxBytes = 256);
  template <size_t N>
  std::array<uint8_t, N> hex(const char* key) {
    std::array<uint8_t, N> out{};
    const std::string text = string(key);
    size_t decoded = 0;
    if (error_.isOk() && (text.size() != 2 * N ||
                          sodium_hex2bin(out.data(), N, text.data(), text.size(), nullptr, &decoded, nullptr) != 0 ||
                          decoded != N)) {
      fail(fmt::format("{}: must be {} hex digits", key, 2 * N));
    }
    return out;
  }
  // Records a problem the caller found (the first one wins).
  void fail(std::string message);
  bool ok() const { return error_.isOk(); }

  template <class T>
  Result<T> result(T value) const {
    if (!error_.isOk()) return error_;
    return value;
  }

 private:
  const nlohmann::json* field(const char* key, bool (nlohmann::json::*is)() const noexcept, const char* what);
  nlohmann::json doc_;
  Status error_;
};

// Strict objects: `object` must be an object whose keys are exactly `keys`
// (none unknown, none missing); else InvalidArgument "<where>: ...".
Status onlyKeys(const nlohmann::json& object, const std::string& where, std::initializer_list<std::string_view> keys);
// The same, with `optional` keys that may also be there.
Status onlyKeys(const nlohmann::json& object, const std::string& where, std::initializer_list<std::string_view> keys,
                std::initializer_list<std::string_view> optional);

}  // namespace vigil::link

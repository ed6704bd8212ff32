#include "link/json_fields.h"

#include <algorithm>

namespace vigil::link {

JsonFields::JsonFields(std::string_view text, int maxNesting) {
  if (std::count(text.begin(), text.end(), '{') + std::count(text.begin(), text.end(), '[') > maxNesting) {
    error_ = Status::invalidArgument("body: nested too deeply");
    return;
  }
  doc_ = nlohmann::json::parse(text, nullptr, false);
  if (doc_.is_discarded() || !doc_.is_object()) error_ = Status::invalidArgument("body: must be a JSON object");
}

void JsonFields::fail(std::string message) {
  if (error_.isOk()) error_ = Status::invalidArgument(std::move(message));
}

const nlohmann::json* JsonFields::field(const char* key, bool (nlohmann::json::*is)() const noexcept,
                                        const char* what) {
  if (!error_.isOk()) return nullptr;
  auto it = doc_.find(key);
  if (it == doc_.end() || !((*it).*is)()) {
    fail(fmt::format("{}: required, {}", key, what));
    return nullptr;
  }
  return &*it;
}

std::string JsonFields::string(const char* key, size_t maxBytes) {
  const nlohmann::json* j = field(key, &nlohmann::json::is_string, "a string");
  if (!j) return {};
  const auto& s = j->get_ref<const std::string&>();
  if (s.size() > maxBytes) {
    fail(fmt::format("{}: at most {} bytes", key, maxBytes));
    return {};
  }
  return s;
}

uint64_t JsonFields::unsignedInt(const char* key, uint64_t max) {
  const nlohmann::json* j = field(key, &nlohmann::json::is_number_unsigned, "an unsigned integer");
  if (!j) return 0;
  const auto v = j->get<uint64_t>();
  if (v > max) {
    fail(fmt::format("{}: at most {}", key, max));
    return 0;
  }
  return v;
}

bool JsonFields::boolean(const char* key) {
  const nlohmann::json* j = field(key, &nlohmann::json::is_boolean, "true or false");
  return j && j->get<bool>();
}

std::vector<std::string> JsonFields::strings(const char* key, size_t maxItems, size_t maxBytes) {
  const nlohmann::json* j = field(key, &nlohmann::json::is_array, "an array of strings");
  if (!j) return {};
  if (j->size() > maxItems) {
    fail(fmt::format("{}: at most {} items", key, maxItems));
    return {};
  }
  std::vector<std::string> out;
  for (const auto& item : *j) {
    if (!item.is_string() || item.get_ref<const std::string&>().size() > maxBytes) {
      fail(fmt::format("{}: each item a string of at most {} bytes", key, maxBytes));
      return {};
    }
    out.push_back(item.get<std::string>());
  }
  return out;
}

Status onlyKeys(const nlohmann::json& object, const std::string& where, std::initializer_list<std::string_view> keys) {
  return onlyKeys(object, where, keys, {});
}

Status onlyKeys(const nlohmann::json& object, const std::string& where, std::initializer_list<std::string_view> keys,
                std::initializer_list<std::string_view> optional) {
  if (!object.is_object()) return Status::invalidArgument(fmt::format("{}: must be an object", where));
  for (const auto& [key, value] : object.items()) {
    if (std::find(keys.begin(), keys.end(), key) == keys.end() &&
        std::find(optional.begin(), optional.end(), key) == optional.end()) {
      return Status::invalidArgument(fmt::format("{}: unknown key \"{}\"", where, key));
    }
  }
  for (std::string_view key : keys) {
    if (!object.contains(key)) return Status::invalidArgument(fmt::format("{}: \"{}\" is required", where, key));
  }
  return Status::ok();
}

}  // namespace vigil::link

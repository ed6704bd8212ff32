#include "base/config.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <sstream>
#include <string>
#include <vector>
#include <toml++/toml.h>

#include "base/url_credentials.h"

namespace vigil {
namespace {

const toml::table& tomlTable(const void* table) { return *static_cast<const toml::table*>(table); }

std::string joinPath(std::string_view path, std::string_view key) {
  return path.empty() ? std::string(key) : fmt::format("{}.{}", path, key);
}

Status failAt(const std::string& file, const toml::node& node, std::string_view path, std::string_view what) {
  return Status::invalidArgument(fmt::format("{}:{}: {}: {}", file, node.source().begin.line, path, what));
}

// Secrets never reach a canonical section: it is hashed, and a fast hash of
// a password can be tested against guesses offline. A webhook URL's path
// is often its only credential (Home Assistant's webhook ids). Any
// `*_password` too (a camera's `onvif_password`).
bool isSecretKey(std::string_view key) { return key == "password" || key == "webhooks" || key.ends_with("_password"); }

void leaveSecretsOut(toml::node& node) {
  if (toml::table* table = node.as_table()) {
    std::vector<std::string> secrets;
    for (auto&& [key, value] : *table) {
      if (isSecretKey(key.str())) {
        secrets.emplace_back(key.str());
      } else {
        leaveSecretsOut(value);
      }
    }
    for (const std::string& key : secrets) table->insert_or_assign(key, "***");
  } else if (toml::array* array = node.as_array()) {
    for (toml::node& element : *array) leaveSecretsOut(element);
  } else if (toml::value<std::string>* text = node.as_string()) {
    *text = redactWholeUrl(text->get());  // a value is one URL, spaces and all
  }
}

// A section as TOML with sorted keys and no comments, secrets replaced.
std::string canonicalSection(toml::table table) {
  leaveSecretsOut(table);
  std::ostringstream out;
  out << toml::toml_formatter(table, toml::format_flags::none);
  return out.str();
}

}  // namespace

bool ConfigTable::contains(std::string_view key) const { return tomlTable(table_).contains(key); }

Status ConfigTable::fail(std::string_view key, std::string_view what) const {
  const toml::table& table = tomlTable(table_);
  const toml::node* node = table.get(key);
  return failAt(*file_, node != nullptr ? *node : table, joinPath(path_, key), what);
}

Status ConfigTable::onlyKeys(std::initializer_list<std::span<const std::string_view>> allowed) const {
  std::vector<std::string_view> all;
  for (std::span<const std::string_view> keys : allowed) all.insert(all.end(), keys.begin(), keys.end());
  for (auto&& [key, value] : tomlTable(table_)) {
    if (std::find(all.begin(), all.end(), key.str()) == all.end()) {
      return fail(key.str(), fmt::format("unknown key (allowed: {})", fmt::join(all, ", ")));
    }
  }
  return Status::ok();
}

Status ConfigTable::readString(std::string_view key, std::string& out) const {
  const toml::node* node = tomlTable(table_).get(key);
  if (node == nullptr) return Status::ok();
  if (!node->is_string()) return fail(key, "must be a string");
  out = node->as_string()->get();
  return Status::ok();
}

Status ConfigTable::readStrings(std::string_view key, bool (*valid)(std::string_view), std::string_view what,
                                std::vector<std::string>& out) const {
  const toml::node* node = tomlTable(table_).get(key);
  if (node == nullptr) return Status::ok();
  const toml::array* list = node->as_array();
  if (list == nullptr) return fail(key, fmt::format("must be an array of {}", what));
  std::vector<std::string> read;
  for (const toml::node& element : *list) {
    const auto* text = element.as_string();
    if (text == nullptr || !valid(text->get())) {
      return failAt(*file_, element, joinPath(path_, key), fmt::format("each must be {}", what));
    }
    read.push_back(text->get());
  }
  out = std::move(read);
  return Status::ok();
}

Status ConfigTable::readUnitPoints(std::string_view key, size_t minPoints, size_t maxPoints,
                                   std::vector<std::pair<double, double>>& out) const {
  const toml::node* node = tomlTable(table_).get(key);
  if (node == nullptr) return Status::ok();
  const toml::array* list = node->as_array();
  if (list == nullptr) return fail(key, "must be an array of [x, y] points");
  if (list->size() < minPoints || list->size() > maxPoints) {
    return fail(key, fmt::format("must have {} to {} points (got {})", minPoints, maxPoints, list->size()));
  }
  std::vector<std::pair<double, double>> read;
  for (const toml::node& element : *list) {
    const toml::array* pair = element.as_array();
    std::optional<double> x;
    std::optional<double> y;
    if (pair != nullptr && pair->size() == 2) {
      x = (*pair)[0].value<double>();  // integers too: 0 and 1 are corners
      y = (*pair)[1].value<double>();
    }
    auto inUnit = [](const std::optional<double>& v) { return v && std::isfinite(*v) && *v >= 0 && *v <= 1; };
    if (!inUnit(x) || !inUnit(y)) {
      return failAt(*file_, element, joinPath(path_, key), "each point must be [x, y] with x and y in 0..1");
    }
    read.emplace_back(*x, *y);
  }
  out = std::move(read);
  return Status::ok();
}

Status ConfigTable::readInt(std::string_view key, int64_t min, int64_t max, int& out) const {
  const toml::node* node = tomlTable(table_).get(key);
  if (node == nullptr) return Status::ok();
  if (!node->is_integer()) return fail(key, "must be an integer");
  const int64_t v = node->as_integer()->get();
  if (v < min || v > max) return fail(key, fmt::format("must be between {} and {} (got {})", min, max, v));
  out = static_cast<int>(v);
  return Status::ok();
}

Status ConfigTable::readChoice(std::string_view key, const std::vector<std::string_view>& names,
                               std::optional<size_t>& chosen) const {
  std::string text;
  VIGIL_RETURN_IF_ERROR(readString(key, text));
  if (!contains(key)) return Status::ok();
  const auto it = std::find(names.begin(), names.end(), text);
  if (it == names.end()) {
    return fail(key, fmt::format("must be one of {} (got \"{}\")", fmt::join(names, ", "), text));
  }
  chosen = static_cast<size_t>(it - names.begin());
  return Status::ok();
}

Result<std::optional<ConfigTable>> ConfigTable::table(std::string_view key) const {
  const toml::node* node = tomlTable(table_).get(key);
  if (node == nullptr) return std::optional<ConfigTable>();
  if (!node->is_table()) return fail(key, "must be a table");
  return std::optional<ConfigTable>(ConfigTable(node->as_table(), file_, joinPath(path_, key)));
}

Result<std::vector<ConfigTable>> ConfigTable::tables(std::string_view key) const {
  std::vector<ConfigTable> out;
  const toml::node* node = tomlTable(table_).get(key);
  if (node == nullptr) return out;
  const toml::array* list = node->as_array();
  if (list == nullptr) return fail(key, fmt::format("must be an array of tables ([[{}]])", key));
  for (size_t i = 0; i < list->size(); ++i) {
    const std::string path = fmt::format("{}[{}]", joinPath(path_, key), i);
    const toml::table* element = (*list)[i].as_table();
    if (element == nullptr) return failAt(*file_, (*list)[i], path, "must be a table");
    out.push_back(ConfigTable(element, file_, path));
  }
  return out;
}

struct ConfigDocument::Tree {
  std::string file;
  toml::table root;
};

ConfigDocument::ConfigDocument(std::unique_ptr<Tree> tree) : tree_(std::move(tree)) {}
ConfigDocument::ConfigDocument(ConfigDocument&&) noexcept = default;
ConfigDocument& ConfigDocument::operator=(ConfigDocument&&) noexcept = default;
ConfigDocument::~ConfigDocument() = default;

Result<ConfigDocument> ConfigDocument::parse(std::string_view text, std::string_view sourceName) {
  auto tree = std::make_unique<Tree>();
  tree->file = std::string(sourceName);
  try {
    tree->root = toml::parse(text, sourceName);
  } catch (const toml::parse_error& e) {
    return Status::invalidArgument(fmt::format("{}:{}: {}", sourceName, e.source().begin.line,
                                               e.description()));
  }
  return ConfigDocument(std::move(tree));
}

ConfigTable ConfigDocument::root() const { return ConfigTable(&tree_->root, &tree_->file, ""); }

std::map<std::string, std::string> ConfigDocument::canonicalSections() const {
  std::map<std::string, std::string> sections;
  for (auto&& [key, value] : tree_->root) {
    if (const toml::table* table = value.as_table()) {
      sections[std::string(key.str())] = canonicalSection(*table);
    } else if (const toml::array* list = value.as_array()) {
      for (size_t i = 0; i < list->size(); ++i) {
        const toml::table* element = (*list)[i].as_table();
        if (element == nullptr) continue;
        const std::optional<std::string> id = (*element)["id"].value<std::string>();
        sections[id ? fmt::format("{} {}", key.str(), *id) : fmt::format("{}[{}]", key.str(), i)] =
            canonicalSection(*element);
      }
    }
  }
  return sections;
}

Status readNodeConfig(const ConfigTable& t, NodeConfig& out) {
  VIGIL_RETURN_IF_ERROR(t.readString("id", out.id));
  if (t.contains("id") && !isValidId(out.id)) return t.fail("id", "must be 1 to 64 of a-z, 0-9, '_' and '-'");
  VIGIL_RETURN_IF_ERROR(t.readString("name", out.name));
  VIGIL_RETURN_IF_ERROR(t.readEnum<Tier>("tier",
                                         {{"household", Tier::kHousehold},
                                          {"village", Tier::kVillage},
                                          {"township", Tier::kTownship},
                                          {"county", Tier::kCounty}},
                                         out.tier));
  return t.readString("data_dir", out.dataDir);
}

std::string_view tierName(Tier tier) {
  switch (tier) {
    case Tier::kHousehold: return "household";
    case Tier::kVillage: return "village";
    case Tier::kTownship: return "township";
    case Tier::kCounty: return "county";
  }
  return "?";
}

Result<Tier> parseTier(std::string_view name) {
  for (Tier t : {Tier::kHousehold, Tier::kVillage, Tier::kTownship, Tier::kCounty}) {
    if (tierName(t) == name) return t;
  }
  return Status::invalidArgument("must be household, village, township or county");
}

std::string HostPort::toString() const {
  return host.find(':') != std::string::npos ? fmt::format("[{}]:{}", host, port)
                                             : fmt::format("{}:{}", host, port);
}

Result<HostPort> parseHostPort(std::string_view text) {
  auto bad = [&](std::string_view why) {
    return Status::invalidArgument(fmt::format("\"{}\" is not HOST:PORT ({})", text, why));
  };
  HostPort out;
  std::string_view portText;
  if (!text.empty() && text.front() == '[') {
    const size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return bad("IPv6 addresses look like [::1]:8080");
    }
    out.host = std::string(text.substr(1, close - 1));
    portText = text.substr(close + 2);
  } else {
    const size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) return bad("missing :PORT");
    out.host = std::string(text.substr(0, colon));
    portText = text.substr(colon + 1);
    if (out.host.find(':') != std::string::npos) return bad("put IPv6 addresses in brackets");
  }
  if (out.host.empty()) return bad("missing host");
  if (portText.empty() || portText.size() > 5) return bad("bad port");
  unsigned port = 0;
  for (char ch : portText) {
    if (ch < '0' || ch > '9') return bad("bad port");
    port = port * 10 + static_cast<unsigned>(ch - '0');
  }
  if (port > 65535) return bad("port above 65535");
  out.port = static_cast<uint16_t>(port);
  return out;
}

bool isValidId(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  return std::all_of(id.begin(), id.end(), [](char ch) {
    return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_' || ch == '-';
  });
}

bool isValidCameraRef(std::string_view id) {
  for (int ids = 1; ids <= 4; ++ids) {
    const size_t dot = id.find('.');
    if (!isValidId(id.substr(0, dot))) return false;
    if (dot == std::string_view::npos) return true;
    id.remove_prefix(dot + 1);
  }
  return false;
}

bool isValidHostName(std::string_view name) {
  return !name.empty() && name.size() <= 253 && std::all_of(name.begin(), name.end(), [](char ch) {
    return std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '.';
  });
}

}  // namespace vigil

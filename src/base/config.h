#pragma once
// Reading the node's TOML configuration (../shared/design/BRIEF.md §3), and
// what every module may read of it: the node's own [node] section. Each
// module owns its section's options and reads them through a ConfigTable
// (camera/config.h, storage/config.h, http/config.h, access/config.h);
// app/config.h puts the file together. Loading validates everything: an
// unknown key, a wrong type or a bad value is an InvalidArgument naming
// "file:line: key: what is wrong"; the CLI turns it into exit code 2.

#include <cstdint>
#include <initializer_list>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"

namespace vigil {

enum class Tier { kHousehold, kVillage, kTownship, kCounty };
std::string_view tierName(Tier tier);
// "household"...: InvalidArgument "must be household, village, township or county".
Result<Tier> parseTier(std::string_view name);

struct HostPort {
  std::string host;
  uint16_t port = 0;
  std::string toString() const;
};
// "127.0.0.1:8080", "[::1]:8080", "0.0.0.0:554". Port 0 is allowed (any).
Result<HostPort> parseHostPort(std::string_view text);

// Ids of cameras (and later users, nodes): [a-z0-9_-]{1,64}.
bool isValidId(std::string_view id);
// A camera as the API names it: one of this node (isValidId) or one of a
// node below, "<node-id>.….<camera-id>" (link/catalog.h): at most 4 ids.
bool isValidCameraRef(std::string_view id);

// A DNS name as it appears in a Host header, without port: letters,
// digits, '-' and '.', at most 253 characters.
bool isValidHostName(std::string_view name);

// One table of a config file being read ([node], one [[camera]]...). It
// points into its ConfigDocument, which must outlive it. Messages name the
// file, the line and the key's path: "vigil.toml:3: camera[0].url: ...".
class ConfigTable {
 public:
  // "camera[0]"; empty for the file's top level.
  const std::string& path() const { return path_; }
  bool contains(std::string_view key) const;
  // Any other key is an error listing these (one list per module whose
  // keys share the table, as [[camera]] holds camera's and storage's).
  Status onlyKeys(std::initializer_list<std::span<const std::string_view>> allowed) const;

  // An absent key leaves `out` as it is (its default); a present one must
  // have the type and range asked.
  Status readString(std::string_view key, std::string& out) const;
  Status readInt(std::string_view key, int64_t min, int64_t max, int& out) const;
  // An array of strings, each passing `valid`; `what` names one in errors
  // ("a host name without port").
  Status readStrings(std::string_view key, bool (*valid)(std::string_view), std::string_view what,
                     std::vector<std::string>& out) const;
  // An array of [x, y] pairs of numbers, each finite and in 0..1 (picture
  // coordinates), with minPoints..maxPoints pairs.
  Status readUnitPoints(std::string_view key, size_t minPoints, size_t maxPoints,
                        std::vector<std::pair<double, double>>& out) const;
  template <typename Enum>
  Status readEnum(std::string_view key, std::initializer_list<std::pair<std::string_view, Enum>> choices,
                  Enum& out) const {
    std::vector<std::string_view> names;
    for (const auto& choice : choices) names.push_back(choice.first);
    std::optional<size_t> chosen;
    VIGIL_RETURN_IF_ERROR(readChoice(key, names, chosen));
    if (chosen) out = (choices.begin() + *chosen)->second;
    return Status::ok();
  }
  // [key]: nullopt when absent.
  Result<std::optional<ConfigTable>> table(std::string_view key) const;
  // [[key]]: empty when absent; paths "key[0]", "key[1]"...
  Result<std::vector<ConfigTable>> tables(std::string_view key) const;

  // "file:line: path.key: what", at the key's line (the table's when the
  // key is absent). Messages must not echo values that may hold secrets.
  Status fail(std::string_view key, std::string_view what) const;

 private:
  friend class ConfigDocument;
  ConfigTable(const void* table, const std::string* file, std::string path)
      : table_(table), file_(file), path_(std::move(path)) {}
  Status readChoice(std::string_view key, const std::vector<std::string_view>& names,
                    std::optional<size_t>& chosen) const;

  const void* table_;  // a toml::table: toml++ is heavy, so it stays out of this header
  const std::string* file_;
  std::string path_;
};

// A parsed TOML file: owns the tree its ConfigTables point into.
class ConfigDocument {
 public:
  // A syntax error is InvalidArgument "sourceName:line: what".
  static Result<ConfigDocument> parse(std::string_view text, std::string_view sourceName);
  ConfigDocument(ConfigDocument&&) noexcept;
  ConfigDocument& operator=(ConfigDocument&&) noexcept;
  ~ConfigDocument();

  ConfigTable root() const;
  // What the config-change audit compares from one start to the next
  // (access/config_audit.h): each section present ("node", "camera gate":
  // a [[camera]] by its id) as canonical TOML (sorted keys, no comments)
  // without secrets: a `password` key and the password in any URL read "***".
  std::map<std::string, std::string> canonicalSections() const;

 private:
  struct Tree;
  explicit ConfigDocument(std::unique_ptr<Tree> tree);
  std::unique_ptr<Tree> tree_;
};

// [node]: who this node is. Every module may read it.
struct NodeConfig {
  // Stable across restarts, [a-z0-9_-]{1,64}; how a parent knows this node
  // once linked (design/LINK.md). Optional until the node links.
  std::string id;
  std::string name = "vigil";
  Tier tier = Tier::kHousehold;
  std::string dataDir;
};
inline constexpr std::string_view kNodeConfigKeys[] = {"id", "name", "tier", "data_dir"};
Status readNodeConfig(const ConfigTable& table, NodeConfig& out);

}  // namespace vigil

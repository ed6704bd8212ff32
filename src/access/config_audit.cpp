#include "access/config_audit.h"

#include <nlohmann/json.hpp>

#include "access/crypto.h"
#include "base/log.h"

namespace vigil::access {

Status auditConfigChange(AuditLog& log, AuditStore& store, const ConfigText& config) {
  auto stored = store.configFingerprint(config.node);
  if (!stored) return stored.status();
  nlohmann::json previous = nlohmann::json::object();
  if (*stored) previous = nlohmann::json::parse(**stored, nullptr, false);
  // A fingerprint that does not parse counts as none: every section is new.
  if (!previous.is_object()) previous = nlohmann::json::object();
  const auto previousFile = previous.find("file");
  if (previousFile != previous.end() && previousFile->is_string() &&
      verifyPassword(config.text, previousFile->get<std::string>())) {
    return Status::ok();
  }

  // The file holds camera passwords: it is hashed like a password (Argon2id,
  // salted), so the stored hash cannot be used to test guesses of them
  // quickly. The sections have their secrets taken out, so SHA-256 will do.
  auto fileHash = hashPassword(config.text);
  if (!fileHash) return fileHash.status();
  nlohmann::json fingerprint{{"file", *fileHash}, {"sections", nlohmann::json::object()}};
  for (const auto& [name, text] : config.sections) fingerprint["sections"][name] = sha256Hex(text);

  const nlohmann::json& before = previous.contains("sections") && previous["sections"].is_object()
                                     ? previous["sections"]
                                     : nlohmann::json::object();
  const nlohmann::json& after = fingerprint["sections"];
  std::vector<std::string> added, removed, changed;
  for (const auto& [name, digest] : after.items()) {
    if (!before.contains(name)) {
      added.push_back(name);
    } else if (before[name] != digest) {
      changed.push_back(name);
    }
  }
  for (const auto& [name, digest] : before.items()) {
    if (!after.contains(name)) removed.push_back(name);
  }
  // Comments, layout or a secret alone changed: the file differs, no section does.
  const nlohmann::json detail{{"node", config.node},   {"file", config.path}, {"added", added},
                              {"removed", removed},     {"changed", changed}};
  VIGIL_RETURN_IF_ERROR(log.record({"", audit_kind::kConfigChange, "", "serve", detail.dump()}));
  log::info("access.config_changed",
            {{"node", config.node}, {"added", added.size()}, {"removed", removed.size()}, {"changed", changed.size()}});
  return store.setConfigFingerprint(config.node, fingerprint.dump());
}

}  // namespace vigil::access

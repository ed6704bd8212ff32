#include "access/config_audit.h"

#include <nlohmann/json.hpp>

#include "access/crypto.h"
#include "base/log.h"

namespace vigil::access {

Status auditConfigChange(AuditLog& log, AuditStore& store, const ConfigText& config) {
  nlohmann::json fingerprint{{"sha256", sha256Hex(config.text)}, {"sections", nlohmann::json::object()}};
  for (const auto& [name, text] : config.sections) fingerprint["sections"][name] = sha256Hex(text);

  auto stored = store.configFingerprint(config.node);
  if (!stored) return stored.status();
  nlohmann::json previous = nlohmann::json::object();
  if (*stored) previous = nlohmann::json::parse(**stored, nullptr, false);
  // A fingerprint that does not parse counts as none: every section is new.
  if (!previous.is_object()) previous = nlohmann::json::object();
  if (previous.value("sha256", "") == fingerprint["sha256"]) return Status::ok();

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
  const nlohmann::json detail{{"node", config.node},       {"file", config.path},
                              {"sha256", fingerprint["sha256"]}, {"previous_sha256", previous.value("sha256", "")},
                              {"added", added},            {"removed", removed},
                              {"changed", changed}};
  VIGIL_RETURN_IF_ERROR(log.record({"", audit_kind::kConfigChange, "", "serve", detail.dump()}));
  log::info("access.config_changed",
            {{"node", config.node}, {"added", added.size()}, {"removed", removed.size()}, {"changed", changed.size()}});
  return store.setConfigFingerprint(config.node, fingerprint.dump());
}

}  // namespace vigil::access

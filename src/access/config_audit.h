#pragma once
// The config-change row of the audit log. At start-up `vigil serve` gives
// its config here; when the file's content differs from what this node
// (by [node] name) last started with, a "config_change" row is appended
// naming the sections added, removed and changed, and the new fingerprint
// is stored in the access database for the next start: an Argon2id hash of
// the file (it holds camera passwords) and a SHA-256 of each canonical
// section (secrets taken out), never the values.

#include <map>
#include <string>

#include "access/audit.h"
#include "access/store.h"

namespace vigil::access {

struct ConfigText {
  std::string node;  // [node] name: whose fingerprint this is
  std::string path;  // the file, for the row
  std::string text;  // its bytes
  // Section name ("node", "camera gate"...) -> canonical text without
  // secrets (ConfigDocument::canonicalSections, base/config.h).
  std::map<std::string, std::string> sections;
};

// OK with nothing written when the content is unchanged. The row is
// written before the fingerprint is stored, so a failure between the two
// repeats the row at the next start rather than losing it.
Status auditConfigChange(AuditLog& log, AuditStore& store, const ConfigText& config);

}  // namespace vigil::access

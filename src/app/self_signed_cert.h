#pragma once
// A self-signed certificate for a node's HTTPS, for `vigil demo`'s village:
// on the tier link, trust comes from the pinned node keys, not from the
// certificate (design/LINK.md, "Trust"), so a self-signed one is normal.

#include <filesystem>
#include <string>

#include "base/status.h"

namespace vigil::app {

// Writes a P-256 key (mode 0600) and a certificate for `commonName`, valid
// for ten years, with 127.0.0.1 and localhost as its names. Overwrites.
Status writeSelfSignedCert(const std::filesystem::path& certPath, const std::filesystem::path& keyPath,
                           const std::string& commonName);

}  // namespace vigil::app

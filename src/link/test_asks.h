#pragma once
// Asks from above signed as the node that asks signs them (link/at_source.h),
// for the tests of the node that owns the camera.

#include <sodium.h>

#include <string>
#include <vector>

#include "access/node_key.h"
#include "base/time.h"
#include "link/look_messages.h"
#include "link/media_messages.h"
#include "link/proof.h"

namespace vigil::link::testing {

// `terms` signed by `key` now, with a fresh nonce.
inline AskProof proveNow(const access::NodeKey& key, AskTerms terms) {
  terms.atMs = static_cast<uint64_t>(SystemClock::instance().now().unixMicros() / 1000);
  randombytes_buf(terms.nonce.data(), terms.nonce.size());
  const auto signature = key.sign(askStatement(terms));
  AskProof proof{terms.atMs, terms.nonce, {}};
  std::copy(signature.begin(), signature.end(), proof.signature.begin());
  return proof;
}

// Who asks, as the owner `owner` rebuilds it: the camera named from via[0].
inline AskTerms whoAsks(const std::string& owner, const std::string& camera, const std::string& user,
                        const std::vector<std::string>& via, Tier tier) {
  std::string named;
  for (size_t i = 1; i < via.size(); ++i) named += via[i] + ".";
  named += owner + "." + camera;
  return AskTerms{.asker = via.front(), .tier = tier, .camera = named, .user = user};
}

// `m` as via[0] signs it with `key`, for the owner `owner`.
inline LookOpen signedBy(const access::NodeKey& key, const std::string& owner, LookOpen m) {
  AskTerms t = whoAsks(owner, m.camera, m.user, m.via, m.tier);
  t.kind = "look";
  t.what = access::shareRightName(m.right);
  m.proof = proveNow(key, std::move(t));
  return m;
}
inline MediaOpen signedBy(const access::NodeKey& key, const std::string& owner, MediaOpen m) {
  AskTerms t = whoAsks(owner, m.camera, m.user, m.via, m.tier);
  t.kind = "media";
  t.what = m.path;
  t.query = m.query;
  t.range = m.range;
  t.ifRange = m.ifRange;
  m.proof = proveNow(key, std::move(t));
  return m;
}

}  // namespace vigil::link::testing

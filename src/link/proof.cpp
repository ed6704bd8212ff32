#include "link/proof.h"

#include <sodium.h>

#include <string_view>

namespace vigil::link {

namespace {

class Statement {
 public:
  explicit Statement(std::string_view label) { add(label); bytes_.push_back(0); }
  Statement& add(std::span<const uint8_t> b) {
    bytes_.insert(bytes_.end(), b.begin(), b.end());
    return *this;
  }
  // Length-prefixed, so fields cannot run into each other.
  Statement& add(std::string_view s) {
    bytes_.push_back(static_cast<uint8_t>(s.size()));
    return add(std::span(reinterpret_cast<const uint8_t*>(s.data()), s.size()));
  }
  // For fields that may pass 255 bytes (a query).
  Statement& addLong(std::string_view s) {
    bytes_.push_back(static_cast<uint8_t>(s.size() >> 8));
    bytes_.push_back(static_cast<uint8_t>(s.size()));
    return add(std::span(reinterpret_cast<const uint8_t*>(s.data()), s.size()));
  }
  Statement& add(uint64_t n) {
    for (int shift = 56; shift >= 0; shift -= 8) bytes_.push_back(static_cast<uint8_t>(n >> shift));
    return *this;
  }
  std::vector<uint8_t> take() { return std::move(bytes_); }

 private:
  std::vector<uint8_t> bytes_;
};

}  // namespace

std::vector<uint8_t> joinParentStatement(const ChannelBinding& binding, const Nonce& childNonce) {
  return Statement("vigil link join parent v1").add(binding).add(childNonce).take();
}

std::vector<uint8_t> joinChildStatement(const ChannelBinding& binding, const Nonce& childNonce,
                                        const std::string& childId, Tier tier, const PublicKey& childKey) {
  return Statement("vigil link join child v1")
      .add(binding)
      .add(childNonce)
      .add(childId)
      .add(tierName(tier))
      .add(childKey)
      .take();
}

std::vector<uint8_t> connectStatement(Signer signer, const ChannelBinding& binding, const std::string& childId,
                                      const Nonce& childNonce, const Nonce& parentNonce, const PublicKey& parentKey,
                                      const PublicKey& childKey) {
  Statement s(signer == Signer::kParent ? "vigil link connect parent v1" : "vigil link connect child v1");
  s.add(binding).add(childId).add(childNonce).add(parentNonce).add(parentKey);
  // The parent signs before it knows the child holds the key it claims
  // (and signs for unknown ids too), so only the child's proof names it.
  if (signer == Signer::kChild) s.add(childKey);
  return s.take();
}

std::vector<uint8_t> chainStatement(const std::string& aboveId, const std::string& nodeId, Tier tier,
                                    const PublicKey& key, uint64_t enrolledAtUs) {
  return Statement("vigil link chain v1").add(aboveId).add(nodeId).add(tierName(tier)).add(key).add(enrolledAtUs).take();
}

std::vector<uint8_t> askStatement(const AskTerms& t) {
  return Statement("vigil link ask v1")
      .add(t.asker)
      .add(tierName(t.tier))
      .addLong(t.camera)
      .add(t.user)
      .add(t.kind)
      .add(t.what)
      .addLong(t.query)
      .addLong(t.range)
      .addLong(t.ifRange)
      .add(t.atMs)
      .add(t.nonce)
      .take();
}

Nonce newNonce() {
  Nonce n{};
  randombytes_buf(n.data(), n.size());
  return n;
}

}  // namespace vigil::link

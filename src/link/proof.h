#pragma once
// What nodes sign with their node key (design/LINK.md, "Handshake", "Who
// asks"). Every statement starts with its own label, so a signature made
// for one purpose or one side is worthless for another. Those of enrolment
// and the handshake include the TLS channel binding of the connection they
// are sent on (RFC 9266's tls-exporter), so a signature replayed or relayed
// onto another TLS connection does not verify; those that travel past the
// next node (the chain, an ask) name what they are for and, for an ask, a
// time and nonce instead.

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "base/config.h"
#include "link/wire.h"

namespace vigil::link {

using PublicKey = std::array<uint8_t, kKeyBytes>;
using ChannelBinding = std::array<uint8_t, 32>;

// Enrolment, step 1: the parent proves it holds the key the invitation
// code's fingerprint names, on this TLS connection.
std::vector<uint8_t> joinParentStatement(const ChannelBinding& binding, const Nonce& childNonce);
// Enrolment, step 2: the child proves it holds the key it enrols, and
// what it claims to be, on the same connection.
std::vector<uint8_t> joinChildStatement(const ChannelBinding& binding, const Nonce& childNonce,
                                        const std::string& childId, Tier tier, const PublicKey& childKey);

enum class Signer { kParent, kChild };
// The connection handshake: both sides sign the transcript (binding, child
// id, both nonces, the parent's key; the child's key in the child's proof
// only), each under its own label.
std::vector<uint8_t> connectStatement(Signer signer, const ChannelBinding& binding, const std::string& childId,
                                      const Nonce& childNonce, const Nonce& parentNonce, const PublicKey& parentKey,
                                      const PublicKey& childKey);

// A fresh random nonce (libsodium).
Nonce newNonce();

// The chain of nodes above (link/ancestors.h): the node `aboveId` vouches
// that `nodeId` is its child, of `tier`, with `key`, enrolled at
// `enrolledAtUs` on its clock. Not bound to a connection: it is handed
// down and checked by nodes that never met `aboveId`.
std::vector<uint8_t> chainStatement(const std::string& aboveId, const std::string& nodeId, Tier tier,
                                    const PublicKey& key, uint64_t enrolledAtUs);

inline constexpr size_t kAskNonceBytes = 16;
using AskNonce = std::array<uint8_t, kAskNonceBytes>;
// An ask from above (a look, or recorded media), as the node where its
// user asked signs it and the node that owns the camera checks it
// (design/LINK.md, "Who asks"): everything the owner decides and logs
// with, and a time and nonce so that it is taken once.
struct AskTerms {
  std::string asker;   // the node where the user asked (via[0])
  Tier tier = Tier::kVillage;
  std::string camera;  // as the asker names it: "township1.village1.house7.door"
  std::string user;
  std::string kind;    // "look" or "media"
  std::string what;    // a look's right, or recorded media's path
  std::string query, range, ifRange;  // recorded media's
  uint64_t atMs = 0;   // the asker's clock, Unix ms
  AskNonce nonce{};
};
std::vector<uint8_t> askStatement(const AskTerms& terms);

}  // namespace vigil::link

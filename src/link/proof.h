#pragma once
// What each side of the link signs with its node key (design/LINK.md,
// "Handshake"). Every statement starts with its own label, so a signature
// made for one purpose or one side is worthless for another, and includes
// the TLS channel binding of the connection it is sent on (RFC 9266's
// tls-exporter), so a signature replayed or relayed onto another TLS
// connection does not verify.

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

}  // namespace vigil::link

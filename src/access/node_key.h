#pragma once
// A node's Ed25519 key pair (libsodium): what the node signs with, so that
// what it says (audit checkpoints today, tier-link messages next) can be
// checked by whoever knows its public key. The key lives in a file of its
// own, <data_dir>/node.key, mode 0600: never in the database, never under
// the web root. The secret key is never logged or returned.

#include <array>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "base/status.h"

namespace vigil::access {

class NodeKey {
 public:
  static constexpr size_t kPublicKeyBytes = 32;
  static constexpr size_t kSignatureBytes = 64;
  using PublicKey = std::array<uint8_t, kPublicKeyBytes>;
  using Signature = std::array<uint8_t, kSignatureBytes>;

  // Reads the key at `path`, or makes one and writes it there (mode 0600,
  // created atomically: two processes starting at once end up with the same
  // key). The directory must exist.
  static Result<NodeKey> loadOrCreate(const std::filesystem::path& path);
  // Reads an existing key; NotFound when there is none. A key file that the
  // group or others may read or write is refused (PermissionDenied), as ssh
  // refuses such a private key: the secret may have leaked, and a silent
  // chmod would hide it.
  static Result<NodeKey> load(const std::filesystem::path& path);

  const PublicKey& publicKey() const { return publicKey_; }
  std::string publicKeyHex() const;
  Signature sign(std::span<const uint8_t> message) const;
  static bool verify(const PublicKey& publicKey, std::span<const uint8_t> message,
                     std::span<const uint8_t, kSignatureBytes> signature);
  // A 32-byte symmetric key for one `purpose` ("camera-secrets"), derived
  // from the secret key (BLAKE2b keyed by the seed): the same node key
  // always gives the same key, another purpose an unrelated one. The
  // caller wipes it (sodium_memzero) when done.
  std::array<uint8_t, 32> deriveKey(std::string_view purpose) const;

 private:
  struct Secret;  // libsodium's 64-byte secret key, wiped when freed
  NodeKey(PublicKey publicKey, std::shared_ptr<const Secret> secret)
      : publicKey_(publicKey), secret_(std::move(secret)) {}

  PublicKey publicKey_;
  std::shared_ptr<const Secret> secret_;
};

}  // namespace vigil::access

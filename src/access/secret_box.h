#pragma once
// Secrets kept at rest by the node (a camera's user name, password and
// URLs in cameras.db, app/camera_store.h): sealed with libsodium's
// secretbox (XSalsa20-Poly1305, a random nonce per seal) under a key
// derived from the node key (node_key.h: <data_dir>/node.key, mode 0600,
// outside every database). A database copied without the key file gives
// nothing away; a sealed value altered or sealed under another key does
// not open. Beside it, KeyedDigest: a keyed hash of such a secret.

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "access/node_key.h"
#include "base/status.h"

namespace vigil::access {

struct DerivedKey;  // 32 bytes derived from the node key for one purpose, wiped when freed

class SecretBox {
 public:
  // `purpose` separates the keys of different uses of the same node key.
  SecretBox(const NodeKey& nodeKey, std::string_view purpose);

  // Nonce followed by the ciphertext and its tag.
  std::vector<uint8_t> seal(std::string_view plaintext) const;
  // DataLoss when `sealed` was altered, truncated or sealed under another key.
  Result<std::string> open(std::span<const uint8_t> sealed) const;

 private:
  std::shared_ptr<const DerivedKey> key_;
};

// A digest of a secret the node keeps only to notice that it changed (a
// camera's URLs, whose query may hold a token: app::NodeRegister):
// HMAC-SHA256 under a key derived from the node key, so a database copied
// without the key file gives no fast hash to try guesses against.
class KeyedDigest {
 public:
  KeyedDigest(const NodeKey& nodeKey, std::string_view purpose);

  // Lower-case hex, 64 characters.
  std::string hex(std::string_view data) const;

 private:
  std::shared_ptr<const DerivedKey> key_;
};

}  // namespace vigil::access

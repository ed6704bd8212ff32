#include "access/secret_box.h"

#include <sodium.h>

#include "base/encoding.h"

namespace vigil::access {

struct DerivedKey {
  std::array<uint8_t, 32> bytes{};
  ~DerivedKey() { sodium_memzero(bytes.data(), bytes.size()); }
};

namespace {

static_assert(crypto_secretbox_KEYBYTES == 32 && crypto_auth_hmacsha256_KEYBYTES == 32,
              "NodeKey::deriveKey gives 32 bytes");

std::shared_ptr<const DerivedKey> derive(const NodeKey& nodeKey, std::string_view purpose) {
  auto key = std::make_shared<DerivedKey>();
  key->bytes = nodeKey.deriveKey(purpose);
  return key;
}

}  // namespace

SecretBox::SecretBox(const NodeKey& nodeKey, std::string_view purpose) : key_(derive(nodeKey, purpose)) {}

std::vector<uint8_t> SecretBox::seal(std::string_view plaintext) const {
  std::vector<uint8_t> out(crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + plaintext.size());
  randombytes_buf(out.data(), crypto_secretbox_NONCEBYTES);
  crypto_secretbox_easy(out.data() + crypto_secretbox_NONCEBYTES, reinterpret_cast<const uint8_t*>(plaintext.data()),
                        plaintext.size(), out.data(), key_->bytes.data());
  return out;
}

Result<std::string> SecretBox::open(std::span<const uint8_t> sealed) const {
  constexpr size_t kOverhead = crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES;
  if (sealed.size() < kOverhead) return Status::dataLoss("sealed secret: too short");
  std::string plain(sealed.size() - kOverhead, '\0');
  if (crypto_secretbox_open_easy(reinterpret_cast<uint8_t*>(plain.data()), sealed.data() + crypto_secretbox_NONCEBYTES,
                                 sealed.size() - crypto_secretbox_NONCEBYTES, sealed.data(), key_->bytes.data()) != 0) {
    return Status::dataLoss("sealed secret: does not open with this node's key (altered, or another node's)");
  }
  return plain;
}

KeyedDigest::KeyedDigest(const NodeKey& nodeKey, std::string_view purpose) : key_(derive(nodeKey, purpose)) {}

std::string KeyedDigest::hex(std::string_view data) const {
  std::array<uint8_t, crypto_auth_hmacsha256_BYTES> mac{};
  crypto_auth_hmacsha256(mac.data(), reinterpret_cast<const uint8_t*>(data.data()), data.size(), key_->bytes.data());
  return hexEncode(mac);
}

}  // namespace vigil::access

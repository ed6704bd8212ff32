#include "access/node_key.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string_view>

#include "base/encoding.h"

namespace vigil::access {

namespace {

// The file holds one line: this prefix and the 32-byte seed in hex. A
// prefix names the algorithm, so a later kind of key is not misread.
constexpr std::string_view kFilePrefix = "ed25519-seed:";
constexpr size_t kSeedBytes = crypto_sign_SEEDBYTES;
constexpr size_t kFileBytes = kFilePrefix.size() + 2 * kSeedBytes + 1;  // + '\n'

void ensureSodium() {
  static const bool ready = sodium_init() >= 0;
  if (!ready) std::abort();  // no source of randomness: nothing can run
}

std::string errnoText() { return std::strerror(errno); }

// Closes on scope exit.
struct Fd {
  int fd;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

std::optional<std::array<uint8_t, kSeedBytes>> parseSeed(std::string_view text) {
  if (text.size() != kFileBytes || text.substr(0, kFilePrefix.size()) != kFilePrefix || text.back() != '\n') {
    return std::nullopt;
  }
  const std::string_view hex = text.substr(kFilePrefix.size(), 2 * kSeedBytes);
  std::array<uint8_t, kSeedBytes> seed{};
  size_t used = 0;
  if (sodium_hex2bin(seed.data(), seed.size(), hex.data(), hex.size(), nullptr, &used, nullptr) != 0 ||
      used != seed.size()) {
    sodium_memzero(seed.data(), seed.size());
    return std::nullopt;
  }
  return seed;
}

Status writeAll(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Status::unavailable(errnoText());
    data.remove_prefix(static_cast<size_t>(n));
  }
  return Status::ok();
}

// Writes a fresh seed to a temporary file and links it to `path`: link()
// fails when `path` exists, so a key another process made first is kept.
Status createKeyFile(const std::filesystem::path& path) {
  std::array<uint8_t, kSeedBytes> seed{};
  randombytes_buf(seed.data(), seed.size());
  std::string text(kFilePrefix);
  text += hexEncode(seed);
  text += '\n';
  sodium_memzero(seed.data(), seed.size());

  const std::filesystem::path tmp = path.string() + fmt::format(".tmp{}", ::getpid());
  Status written;
  {
    Fd f{::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600)};
    if (f.fd < 0) {
      sodium_memzero(text.data(), text.size());
      return Status::unavailable(fmt::format("cannot create {}: {}", tmp.string(), errnoText()));
    }
    written = writeAll(f.fd, text);
    if (written.isOk() && ::fsync(f.fd) != 0) written = Status::unavailable(errnoText());
  }
  sodium_memzero(text.data(), text.size());
  if (written.isOk() && ::link(tmp.c_str(), path.c_str()) != 0 && errno != EEXIST) {
    written = Status::unavailable(errnoText());
  }
  ::unlink(tmp.c_str());
  if (!written.isOk()) return Status::unavailable(fmt::format("cannot write {}: {}", path.string(), written.message()));
  Fd dir{::open(path.parent_path().empty() ? "." : path.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
  if (dir.fd >= 0) (void)::fsync(dir.fd);  // best effort: the key is already usable
  return Status::ok();
}

}  // namespace

struct NodeKey::Secret {
  std::array<uint8_t, crypto_sign_SECRETKEYBYTES> bytes{};
  ~Secret() { sodium_memzero(bytes.data(), bytes.size()); }
};

Result<NodeKey> NodeKey::load(const std::filesystem::path& path) {
  ensureSodium();
  Fd f{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (f.fd < 0) {
    if (errno == ENOENT) return Status::notFound(fmt::format("no node key {}", path.string()));
    return Status::unavailable(fmt::format("cannot open node key {}: {}", path.string(), errnoText()));
  }
  struct stat st {};
  if (::fstat(f.fd, &st) != 0) return Status::unavailable(fmt::format("stat {}: {}", path.string(), errnoText()));
  if (!S_ISREG(st.st_mode)) return Status::failedPrecondition(fmt::format("node key {}: not a file", path.string()));
  if ((st.st_mode & 077) != 0) {
    return Status::permissionDenied(fmt::format(
        "node key {}: mode {:o} lets others read or write it; the key may have leaked: if it has not, chmod 600 it",
        path.string(), st.st_mode & 0777));
  }
  std::array<char, kFileBytes + 1> buf{};
  ssize_t n;
  do n = ::read(f.fd, buf.data(), buf.size());
  while (n < 0 && errno == EINTR);
  if (n < 0) return Status::unavailable(fmt::format("read {}: {}", path.string(), errnoText()));
  auto seed = parseSeed(std::string_view(buf.data(), static_cast<size_t>(n)));
  sodium_memzero(buf.data(), buf.size());
  if (!seed) return Status::dataLoss(fmt::format("node key {}: not a vigil node key", path.string()));

  auto secret = std::make_shared<Secret>();
  PublicKey pub{};
  crypto_sign_seed_keypair(pub.data(), secret->bytes.data(), seed->data());
  sodium_memzero(seed->data(), seed->size());
  return NodeKey(pub, std::move(secret));
}

Result<NodeKey> NodeKey::loadOrCreate(const std::filesystem::path& path) {
  auto key = load(path);
  if (key || key.status().code() != StatusCode::kNotFound) return key;
  VIGIL_RETURN_IF_ERROR(createKeyFile(path));
  return load(path);
}

std::string NodeKey::publicKeyHex() const { return hexEncode(publicKey_); }

NodeKey::Signature NodeKey::sign(std::span<const uint8_t> message) const {
  Signature sig{};
  crypto_sign_detached(sig.data(), nullptr, message.data(), message.size(), secret_->bytes.data());
  return sig;
}

std::array<uint8_t, 32> NodeKey::deriveKey(std::string_view purpose) const {
  std::array<uint8_t, 32> key{};
  const std::string message = fmt::format("vigil node key: {}", purpose);
  // libsodium's secret key is the seed followed by the public key.
  crypto_generichash(key.data(), key.size(), reinterpret_cast<const uint8_t*>(message.data()), message.size(),
                     secret_->bytes.data(), kSeedBytes);
  return key;
}

bool NodeKey::verify(const PublicKey& publicKey, std::span<const uint8_t> message,
                     std::span<const uint8_t, kSignatureBytes> signature) {
  ensureSodium();
  return crypto_sign_verify_detached(signature.data(), message.data(), message.size(), publicKey.data()) == 0;
}

}  // namespace vigil::access

// The tier link's binary messages (link/wire.h) and the protocol that
// consumes them (link/session.h), as a parent meets them from any client
// of /api/v1/link/connect: the input is a sequence of messages, each a
// 2-byte big-endian length and its bytes, fed to a fresh parent session
// after each one is also decoded on its own by every payload decoder.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>

#include "link/session.h"
#include "link/wire.h"

namespace {

const vigil::access::NodeKey& parentKey() {
  static const vigil::access::NodeKey key = [] {
    const auto path = std::filesystem::temp_directory_path() / "vigil-fuzz-link-parent.key";
    return *vigil::access::NodeKey::loadOrCreate(path);
  }();
  return key;
}

void decodeAll(std::span<const uint8_t> bytes) {
  using namespace vigil::link;
  auto frame = decodeFrame(bytes);
  const std::span<const uint8_t> payload = frame ? std::span<const uint8_t>(frame->payload) : bytes;
  (void)decodeHello(payload);
  (void)decodeChallenge(payload);
  (void)decodeAuth(payload);
  (void)decodeRefuse(payload);
  (void)decodePing(payload);
  (void)decodeWelcome(payload);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace vigil::link;
  static vigil::ManualClock clock(vigil::WallTime::fromUnixMicros(1'700'000'000'000'000));
  const PublicKey anyChild{};  // every id is "enrolled", with a key no one holds
  Session parent(parentKey(), [&](const std::string&) -> vigil::Result<PinnedChild> { return PinnedChild{anyChild}; },
                 ChannelBinding{}, clock);
  std::span<const uint8_t> rest(data, size);
  while (rest.size() >= 2) {
    const size_t n = std::min<size_t>(rest.size() - 2, size_t{rest[0]} << 8 | rest[1]);
    const auto message = rest.subspan(2, n);
    rest = rest.subspan(2 + n);
    decodeAll(message);
    (void)parent.receive(message);
    while (parent.nextFrame()) {
    }
    (void)parent.tick();
  }
  return 0;
}

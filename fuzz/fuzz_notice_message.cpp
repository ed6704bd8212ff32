// Emergency broadcasts and notices (alarm/notice.h): the three outbox
// messages a node reads from a neighbour ("notice.send" and
// "notice.audio" from the parent, "notice.receipt" from a child). The
// first byte picks the message, the rest is its body. Whatever the bytes,
// nothing crashes; what decodes encodes back to the same message; a
// village's Notices takes it without an error (refused or stored).
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "alarm/notices.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace vigil;
  using namespace vigil::alarm;
  if (size == 0) return 0;
  static ManualClock clock(WallTime::fromUnixMicros(1'700'000'000'000'000));
  static link::Bus bus;
  static std::unique_ptr<link::Outbox> outbox = [] {
    auto opened = link::Outbox::open(":memory:", bus);
    if (!opened) std::abort();
    return std::move(*opened);
  }();
  static std::unique_ptr<NoticeStore> store = [] {
    auto opened = NoticeStore::open(":memory:");
    if (!opened) std::abort();
    return std::move(*opened);
  }();
  static Notices notices(NoticesContext{
      .store = store.get(), .outbox = outbox.get(), .clock = &clock, .selfId = "village1",
      .selfTier = Tier::kVillage, .hasParent = true,
      .children = [] { return Result<std::vector<NoticeChild>>(std::vector<NoticeChild>{{"house1", false}}); }});
  const std::span<const uint8_t> body(data + 1, size - 1);
  switch (data[0] % 3) {
    case 0: {
      auto n = decodeNotice(body);
      if (n && !(decodeNotice(encode(*n)).value() == *n)) std::abort();
      if (!notices.receive(link::Peer::theParent(), kNoticeMessage, body).isOk()) std::abort();
      break;
    }
    case 1: {
      auto c = decodeAudioChunk(body);
      if (c) {
        auto again = decodeAudioChunk(encodeAudioChunk(c->id, c->index, c->bytes));
        if (!again || again->id != c->id || again->index != c->index || again->bytes.size() != c->bytes.size()) {
          std::abort();
        }
      }
      if (!notices.receive(link::Peer::theParent(), kAudioMessage, body).isOk()) std::abort();
      break;
    }
    default: {
      auto r = decodeReceipts(body);
      if (r && !(decodeReceipts(encode(*r)).value() == *r)) std::abort();
      if (!notices.receive(link::Peer::child("house1"), kReceiptMessage, body).isOk()) std::abort();
    }
  }
  return 0;
}

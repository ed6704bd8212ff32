// What a look across tiers takes from the network (design/LINK.md,
// "Looks"): the four look messages (link/look_messages.h) and a channel's
// stream of frame chunks (link/stream_frames.h). The input is a sequence
// of payloads, each a 2-byte big-endian length and its bytes: each is
// decoded as every look message, and all of them in order by one stream
// decoder, whose frames (pictures and sound) must stay within their bounds.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "link/look_messages.h"
#include "link/stream_frames.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace vigil::link;
  std::span<const uint8_t> rest(data, size);
  StreamDecoder stream;
  while (rest.size() >= 2) {
    const size_t n = std::min<size_t>(rest.size() - 2, size_t{rest[0]} << 8 | rest[1]);
    const auto payload = rest.subspan(2, n);
    rest = rest.subspan(2 + n);
    (void)decodeLookOpen(payload);
    (void)decodeLookAnswer(payload);
    (void)decodeLookClose(payload);
    (void)decodeLookEnd(payload);
    auto out = stream.push(payload);
    if (!out || !*out) continue;
    const vigil::media::Frame& frame = *(*out)->frame;
    if (frame.data.size() > StreamDecoder::kMaxFrameBytes) std::abort();
    // Sound comes with its parameters, within what a camera may send, never with a picture's.
    if (frame.audio && (frame.params || frame.audio->sampleRate < 8000 || frame.audio->sampleRate > 96000 ||
                        frame.audio->channels < 1 || frame.audio->channels > 8)) {
      std::abort();
    }
  }
  return 0;
}

// Fuzzes the RTSP byte-stream splitter (what a server reads from any
// client), the Transport header parser and the RTP packet parser.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "rtsp/message.h"
#include "rtsp/rtp.h"
#include "rtsp/transport.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace vigil::rtsp;
  // The first byte picks a chunk size, so messages split across reads are covered.
  const size_t chunk = size > 0 ? (data[0] % 64) + 1 : 1;
  RtspSplitter splitter(RtspSplitter::Limits{4096, 4096});
  for (size_t pos = size > 0 ? 1 : 0; pos < size; pos += chunk) {
    splitter.append(ByteView(data + pos, std::min(chunk, size - pos)));
    for (auto item = splitter.next(); item != RtspSplitter::Item::kNeedMore; item = splitter.next()) {
      if (item == RtspSplitter::Item::kError) return 0;
      if (item == RtspSplitter::Item::kInterleaved) {
        (void)parseRtpPacket(splitter.payload());
      } else {
        const RtspMessage& m = splitter.message();
        (void)m.cseq();
        if (auto t = m.header("Transport")) (void)parseTransportHeader(*t);
        (void)m.serialize();
      }
    }
  }
  return 0;
}

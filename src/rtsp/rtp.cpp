#include "rtsp/rtp.h"

#include "base/encoding.h"

namespace vigil::rtsp {

void writeRtpHeader(uint8_t* out, const RtpHeader& h) {
  out[0] = 0x80;
  out[1] = static_cast<uint8_t>((h.marker ? 0x80 : 0) | (h.payloadType & 0x7f));
  writeBigEndian16(out + 2, h.sequence);
  writeBigEndian32(out + 4, h.timestamp);
  writeBigEndian32(out + 8, h.ssrc);
}

Result<RtpPacket> parseRtpPacket(ByteView p) {
  if (p.size() < kRtpHeaderSize) return Status::invalidArgument("RTP packet shorter than 12 bytes");
  if ((p[0] >> 6) != 2) return Status::invalidArgument("RTP version is not 2");
  RtpPacket out;
  out.header.marker = (p[1] & 0x80) != 0;
  out.header.payloadType = p[1] & 0x7f;
  out.header.sequence = readBigEndian16(p.data() + 2);
  out.header.timestamp = readBigEndian32(p.data() + 4);
  out.header.ssrc = readBigEndian32(p.data() + 8);
  size_t begin = kRtpHeaderSize + 4 * size_t{static_cast<uint8_t>(p[0] & 0x0f)};
  size_t end = p.size();
  if (begin > end) return Status::invalidArgument("RTP CSRC list past the end");
  if (p[0] & 0x10) {
    if (end - begin < 4) return Status::invalidArgument("RTP extension header past the end");
    const size_t words = readBigEndian16(p.data() + begin + 2);
    begin += 4 + 4 * words;
    if (begin > end) return Status::invalidArgument("RTP extension past the end");
  }
  if (p[0] & 0x20) {
    const size_t padding = p[end - 1];
    if (padding == 0 || padding > end - begin) return Status::invalidArgument("bad RTP padding");
    end -= padding;
  }
  out.payload = p.subspan(begin, end - begin);
  return out;
}

}  // namespace vigil::rtsp

#include "rtsp/rtp.h"

namespace vigil::rtsp {

void writeRtpHeader(uint8_t* out, const RtpHeader& h) {
  out[0] = 0x80;
  out[1] = static_cast<uint8_t>((h.marker ? 0x80 : 0) | (h.payloadType & 0x7f));
  out[2] = static_cast<uint8_t>(h.sequence >> 8);
  out[3] = static_cast<uint8_t>(h.sequence);
  out[4] = static_cast<uint8_t>(h.timestamp >> 24);
  out[5] = static_cast<uint8_t>(h.timestamp >> 16);
  out[6] = static_cast<uint8_t>(h.timestamp >> 8);
  out[7] = static_cast<uint8_t>(h.timestamp);
  out[8] = static_cast<uint8_t>(h.ssrc >> 24);
  out[9] = static_cast<uint8_t>(h.ssrc >> 16);
  out[10] = static_cast<uint8_t>(h.ssrc >> 8);
  out[11] = static_cast<uint8_t>(h.ssrc);
}

Result<RtpPacket> parseRtpPacket(ByteView p) {
  if (p.size() < kRtpHeaderSize) return Status::invalidArgument("RTP packet shorter than 12 bytes");
  if ((p[0] >> 6) != 2) return Status::invalidArgument("RTP version is not 2");
  RtpPacket out;
  out.header.marker = (p[1] & 0x80) != 0;
  out.header.payloadType = p[1] & 0x7f;
  out.header.sequence = static_cast<uint16_t>((p[2] << 8) | p[3]);
  out.header.timestamp = (uint32_t{p[4]} << 24) | (uint32_t{p[5]} << 16) | (uint32_t{p[6]} << 8) | p[7];
  out.header.ssrc = (uint32_t{p[8]} << 24) | (uint32_t{p[9]} << 16) | (uint32_t{p[10]} << 8) | p[11];
  size_t begin = kRtpHeaderSize + 4 * size_t{static_cast<uint8_t>(p[0] & 0x0f)};
  size_t end = p.size();
  if (begin > end) return Status::invalidArgument("RTP CSRC list past the end");
  if (p[0] & 0x10) {
    if (end - begin < 4) return Status::invalidArgument("RTP extension header past the end");
    const size_t words = (size_t{p[begin + 2]} << 8) | p[begin + 3];
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

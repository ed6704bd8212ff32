#include "rtsp/rtcp.h"

namespace vigil::rtsp {
namespace {
void put32(Bytes& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<uint8_t>(v >> shift));
}
}  // namespace

Bytes makeSenderReport(const SenderReport& sr, std::string_view cname) {
  Bytes out;
  // SR: V=2, P=0, RC=0, PT=200, length = 6 words after the first.
  out.insert(out.end(), {0x80, 200, 0, 6});
  put32(out, sr.ssrc);
  const uint64_t ntp = sr.wallTime.toNtp();
  put32(out, static_cast<uint32_t>(ntp >> 32));
  put32(out, static_cast<uint32_t>(ntp));
  put32(out, sr.rtpTimestamp);
  put32(out, sr.packetCount);
  put32(out, sr.octetCount);

  // SDES: one chunk (SSRC, CNAME item, END), padded to a 32-bit boundary.
  if (cname.size() > 255) cname = cname.substr(0, 255);
  const size_t chunkBytes = 4 + 2 + cname.size() + 1;
  const size_t padded = (chunkBytes + 3) / 4 * 4;
  out.insert(out.end(), {0x81, 202, 0, static_cast<uint8_t>(padded / 4)});
  put32(out, sr.ssrc);
  out.push_back(1);  // CNAME
  out.push_back(static_cast<uint8_t>(cname.size()));
  out.insert(out.end(), cname.begin(), cname.end());
  out.resize(out.size() + (padded - chunkBytes) + 1, 0);  // END item + padding
  return out;
}

}  // namespace vigil::rtsp

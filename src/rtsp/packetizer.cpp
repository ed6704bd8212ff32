#include "rtsp/packetizer.h"

namespace vigil::rtsp {

using media::VideoCodec;

std::vector<RtpPayload> packetizeAccessUnit(VideoCodec codec, const std::vector<ByteView>& nals,
                                            size_t maxPayload) {
  std::vector<RtpPayload> out;
  const size_t header = media::nalHeaderSize(codec);
  const size_t prefixSize = codec == VideoCodec::kH264 ? 2 : 3;
  for (ByteView nal : nals) {
    if (nal.size() <= header) continue;  // nothing a decoder could use
    if (nal.size() <= maxPayload) {
      out.push_back(RtpPayload{{}, 0, nal});
      continue;
    }
    // Fragment: the NAL header is replaced by the FU indicator + FU header.
    std::array<uint8_t, 3> base{};
    uint8_t fuType;
    if (codec == VideoCodec::kH264) {
      base[0] = static_cast<uint8_t>((nal[0] & 0xe0) | media::h264::kFuA);
      fuType = nal[0] & 0x1f;
    } else {
      base[0] = static_cast<uint8_t>((nal[0] & 0x81) | (media::h265::kFu << 1));
      base[1] = nal[1];
      fuType = media::nalType(codec, nal[0]);
    }
    ByteView rest = nal.subspan(header);
    const size_t chunk = maxPayload - prefixSize;
    bool first = true;
    while (!rest.empty()) {
      const size_t n = std::min(chunk, rest.size());
      RtpPayload p{base, static_cast<uint8_t>(prefixSize), rest.first(n)};
      uint8_t& fuHeader = p.prefix[prefixSize - 1];
      fuHeader = fuType;
      if (first) fuHeader |= 0x80;               // S
      if (n == rest.size()) fuHeader |= 0x40;    // E
      out.push_back(p);
      rest = rest.subspan(n);
      first = false;
    }
  }
  return out;
}

}  // namespace vigil::rtsp

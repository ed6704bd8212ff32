#pragma once
// Splitting H.264/H.265 access units into RTP payloads: single NAL unit
// packets when a NAL unit fits, else fragmentation units (FU-A, RFC 6184
// §5.8; FU, RFC 7798 §4.4.3). Aggregation packets are not produced.

#include <array>
#include <vector>

#include "rtsp/rtp.h"

namespace vigil::rtsp {

// One RTP payload: up to 3 prefix bytes (the FU indicator/header) followed by
// a slice of a NAL unit. `body` points into the caller's access unit, which
// must outlive the payload.
struct RtpPayload {
  std::array<uint8_t, 3> prefix{};
  uint8_t prefixSize = 0;
  ByteView body;
  size_t size() const { return prefixSize + body.size(); }
};

constexpr size_t kDefaultMaxPayload = 1400;  // fits a 1500-byte MTU with IP/UDP/RTP headers

// Payloads for the NAL units of one access unit, in order. The last payload
// is the one that carries the RTP marker bit.
std::vector<RtpPayload> packetizeAccessUnit(media::VideoCodec codec, const std::vector<ByteView>& nals,
                                            size_t maxPayload = kDefaultMaxPayload);

}  // namespace vigil::rtsp

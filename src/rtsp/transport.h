#pragma once
// The RTSP Transport header (RFC 2326 §12.39), as far as unicast RTP/AVP
// over TCP (interleaved) and UDP needs it.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace vigil::rtsp {

struct TransportSpec {
  bool tcp = false;  // RTP/AVP/TCP (interleaved) vs RTP/AVP[/UDP]
  bool multicast = false;
  int interleavedRtp = -1;  // TCP channels
  int interleavedRtcp = -1;
  uint16_t clientRtpPort = 0;  // UDP
  uint16_t clientRtcpPort = 0;
  uint16_t serverRtpPort = 0;
  uint16_t serverRtcpPort = 0;
  std::optional<uint32_t> ssrc;

  std::string toString() const;
};

// A Transport header may list alternatives separated by commas; all are
// returned in order. Unknown parameters are ignored; malformed known ones
// (ports, channels) are InvalidArgument.
Result<std::vector<TransportSpec>> parseTransportHeader(std::string_view value);

}  // namespace vigil::rtsp

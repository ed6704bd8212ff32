#pragma once
// Building RTCP sender reports (RFC 3550 §6.4.1), sent by vigil's RTSP
// server so that clients can map RTP time to wall-clock time.

#include <string_view>

#include "base/time.h"
#include "rtsp/rtp.h"

namespace vigil::rtsp {

struct SenderReport {
  uint32_t ssrc = 0;
  WallTime wallTime;         // the NTP timestamp
  uint32_t rtpTimestamp = 0; // the same instant on the RTP clock
  uint32_t packetCount = 0;
  uint32_t octetCount = 0;
};

// A compound packet: SR (no report blocks) followed by SDES with a CNAME.
Bytes makeSenderReport(const SenderReport& sr, std::string_view cname);

}  // namespace vigil::rtsp

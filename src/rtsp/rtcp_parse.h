#pragma once
// Parsing received RTCP compound packets (RFC 3550 §6): sender reports
// (what a camera's RTP clock maps to in NTP time), receiver reports, BYE.
// SDES, APP and feedback packets are skipped. Building sender reports is
// rtcp.h's job.

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "rtsp/rtcp.h"
#include "rtsp/rtp.h"

namespace vigil::rtsp {

struct RtcpReportBlock {
  uint32_t ssrc = 0;  // the source reported on
  uint8_t fractionLost = 0;
  int32_t cumulativeLost = 0;  // 24-bit signed
  uint32_t extendedHighestSequence = 0;
  uint32_t jitter = 0;
  uint32_t lastSenderReport = 0;            // LSR: middle 32 bits of the last SR's NTP time
  uint32_t delaySinceLastSenderReport = 0;  // DLSR, 1/65536 s
};

struct ReceivedSenderReport {
  SenderReport report;        // sender SSRC, NTP time as WallTime, RTP time, counts
  uint64_t ntpTimestamp = 0;  // as sent (its middle 32 bits are the LSR of our reports)
  std::vector<RtcpReportBlock> blocks;
};

struct RtcpReceiverReport {
  uint32_t ssrc = 0;  // of the reporter
  std::vector<RtcpReportBlock> blocks;
};

struct RtcpBye {
  std::vector<uint32_t> ssrcs;
  std::string reason;
};

struct RtcpCompound {
  std::vector<ReceivedSenderReport> senderReports;
  std::vector<RtcpReceiverReport> receiverReports;
  std::vector<RtcpBye> byes;
  size_t skippedPackets = 0;  // SDES, APP, feedback, unknown types
  // A malformed packet followed the ones above; the rest was not read.
  bool malformedTail = false;
};

// InvalidArgument when not even the first packet of the compound is valid
// (version 2, length within the datagram, body as long as its type needs).
Result<RtcpCompound> parseRtcp(ByteView datagram);

}  // namespace vigil::rtsp

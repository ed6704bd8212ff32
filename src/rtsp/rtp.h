#pragma once
// RTP fixed header (RFC 3550 §5.1): writing and parsing.

#include <cstdint>

#include "base/status.h"
#include "media/h26x.h"

namespace vigil::rtsp {

using media::ByteView;
using media::Bytes;

constexpr size_t kRtpHeaderSize = 12;

struct RtpHeader {
  bool marker = false;
  uint8_t payloadType = 96;
  uint16_t sequence = 0;
  uint32_t timestamp = 0;
  uint32_t ssrc = 0;
};

// Writes the 12-byte fixed header (version 2, no padding, extension or CSRC).
void writeRtpHeader(uint8_t* out, const RtpHeader& header);

struct RtpPacket {
  RtpHeader header;
  ByteView payload;  // after CSRCs and the header extension, before padding
};

// Parses a packet; CSRC lists, header extensions and padding are skipped.
// Anything malformed (version != 2, lengths past the end) is InvalidArgument.
Result<RtpPacket> parseRtpPacket(ByteView packet);

}  // namespace vigil::rtsp

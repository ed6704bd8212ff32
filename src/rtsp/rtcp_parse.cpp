#include "rtsp/rtcp_parse.h"

#include "base/encoding.h"

namespace vigil::rtsp {
namespace {

constexpr uint8_t kSenderReport = 200, kReceiverReport = 201, kBye = 203;
constexpr size_t kReportBlockSize = 24;

// `body` starts at the first report block; `count` is the header's RC.
bool readBlocks(ByteView body, size_t count, std::vector<RtcpReportBlock>& out) {
  if (body.size() < count * kReportBlockSize) return false;
  for (size_t i = 0; i < count; ++i) {
    const uint8_t* b = body.data() + i * kReportBlockSize;
    RtcpReportBlock r;
    r.ssrc = readBigEndian32(b);
    r.fractionLost = b[4];
    // 24-bit two's complement.
    const uint32_t lost = readBigEndian24(b + 5);
    r.cumulativeLost =
        (lost & 0x800000) ? static_cast<int32_t>(lost) - 0x1000000 : static_cast<int32_t>(lost);
    r.extendedHighestSequence = readBigEndian32(b + 8);
    r.jitter = readBigEndian32(b + 12);
    r.lastSenderReport = readBigEndian32(b + 16);
    r.delaySinceLastSenderReport = readBigEndian32(b + 20);
    out.push_back(r);
  }
  return true;
}

// One packet of the compound: header already checked, `body` after the
// 4-byte header with padding removed.
bool parseOne(uint8_t type, size_t count, ByteView body, RtcpCompound& out) {
  switch (type) {
    case kSenderReport: {
      if (body.size() < 24) return false;
      ReceivedSenderReport sr;
      sr.report.ssrc = readBigEndian32(body.data());
      sr.ntpTimestamp = (uint64_t{readBigEndian32(body.data() + 4)} << 32) | readBigEndian32(body.data() + 8);
      sr.report.wallTime = WallTime::fromNtp(sr.ntpTimestamp);
      sr.report.rtpTimestamp = readBigEndian32(body.data() + 12);
      sr.report.packetCount = readBigEndian32(body.data() + 16);
      sr.report.octetCount = readBigEndian32(body.data() + 20);
      if (!readBlocks(body.subspan(24), count, sr.blocks)) return false;
      out.senderReports.push_back(std::move(sr));
      return true;
    }
    case kReceiverReport: {
      if (body.size() < 4) return false;
      RtcpReceiverReport rr;
      rr.ssrc = readBigEndian32(body.data());
      if (!readBlocks(body.subspan(4), count, rr.blocks)) return false;
      out.receiverReports.push_back(std::move(rr));
      return true;
    }
    case kBye: {
      if (body.size() < count * 4) return false;
      RtcpBye bye;
      for (size_t i = 0; i < count; ++i) bye.ssrcs.push_back(readBigEndian32(body.data() + 4 * i));
      const ByteView rest = body.subspan(count * 4);
      if (!rest.empty()) {
        const size_t n = rest[0];
        if (n > rest.size() - 1) return false;
        bye.reason.assign(reinterpret_cast<const char*>(rest.data() + 1), n);
      }
      out.byes.push_back(std::move(bye));
      return true;
    }
    default:
      ++out.skippedPackets;
      return true;
  }
}

}  // namespace

Result<RtcpCompound> parseRtcp(ByteView d) {
  RtcpCompound out;
  size_t off = 0;
  bool any = false;
  while (off < d.size()) {
    const ByteView rest = d.subspan(off);
    bool ok = rest.size() >= 4 && (rest[0] >> 6) == 2;
    size_t size = 0;
    if (ok) {
      size = (size_t{readBigEndian16(rest.data() + 2)} + 1) * 4;
      ok = size <= rest.size();
    }
    if (ok) {
      ByteView body = rest.subspan(4, size - 4);
      if (rest[0] & 0x20) {  // padding: its count is the last byte
        const size_t pad = body.empty() ? 0 : body.back();
        ok = pad > 0 && pad <= body.size();
        if (ok) body = body.first(body.size() - pad);
      }
      ok = ok && parseOne(rest[1], rest[0] & 0x1f, body, out);
    }
    if (!ok) {
      if (!any) return Status::invalidArgument("malformed RTCP packet");
      out.malformedTail = true;
      break;
    }
    any = true;
    off += size;
  }
  if (!any) return Status::invalidArgument("empty RTCP packet");
  return out;
}

}  // namespace vigil::rtsp

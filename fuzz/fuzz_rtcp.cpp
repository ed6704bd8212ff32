// Fuzzes the RTCP compound parser (what any camera sends on its RTCP
// channel) and feeds the sender reports to a stream timeline.
#include <cstddef>
#include <cstdint>

#include "base/log.h"
#include "rtsp/rtcp_parse.h"
#include "rtsp/rtp_timeline.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Jump warnings of the timeline would flood the output and slow the run.
  static const bool quiet = (vigil::log::init(vigil::log::Level::kError), true);
  (void)quiet;
  using namespace vigil;
  auto c = rtsp::parseRtcp(media::ByteView(data, size));
  if (!c) return 0;
  rtsp::StreamTimeline timeline(rtsp::StreamTimeline::Options{});
  const WallTime arrival = WallTime::fromUnixMicros(1'790'000'000'000'000);
  for (const auto& sr : c->senderReports) {
    timeline.onSenderReport(sr.ntpTimestamp, sr.report.rtpTimestamp, arrival);
    (void)timeline.onFrame(sr.report.rtpTimestamp, arrival);
  }
  return 0;
}

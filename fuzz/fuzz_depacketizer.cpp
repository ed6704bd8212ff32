// Fuzzes the depacketizers (H.264, H.265, AAC, G.711) and the stream
// timeline with a series of RTP packets made from the input:
//   byte 0: depacketizer (low 2 bits) and, for AAC, the AU header layout;
//   then records of [length][flags][payload of `length` bytes], where flags
//   give the marker bit (bit 0), the sequence step (bits 1-3: 0 duplicates,
//   >1 loses packets) and the timestamp step (bits 4-7).
// Every access unit that comes out must be well formed. Audio frames go
// through their own timeline and onto a video clock (AudioOnVideoClock),
// whose pts must rise within a segment.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "base/log.h"
#include "rtsp/depacketizer.h"
#include "rtsp/rtp_timeline.h"

namespace {

using namespace vigil;

void checkLengthPrefixed(const media::Bytes& data) {
  if (!data.empty() && media::splitLengthPrefixed(data).empty()) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Jump warnings of the timeline would flood the output and slow the run.
  static const bool quiet = (vigil::log::init(vigil::log::Level::kError), true);
  (void)quiet;
  if (size < 1) return 0;
  const uint8_t mode = data[0];
  rtsp::AacParameters aac;
  aac.sizeLength = (mode >> 2) & 1 ? 13 : (mode >> 3) & 15;
  aac.indexLength = (mode >> 2) & 1 ? 3 : (mode >> 7);
  aac.indexDeltaLength = aac.indexLength;
  std::optional<rtsp::VideoDepacketizer> video;
  std::optional<rtsp::AudioDepacketizer> audio;
  switch (mode & 3) {
    case 0:
      video.emplace(media::VideoCodec::kH264, nullptr);
      break;
    case 1:
      video.emplace(media::VideoCodec::kH265, nullptr);
      break;
    case 2:
      audio.emplace(rtsp::AudioCodec::kAac, aac);
      break;
    default:
      audio.emplace(rtsp::AudioCodec::kPcma, rtsp::AacParameters{});
      break;
  }
  rtsp::StreamTimeline timeline(rtsp::StreamTimeline::Options{audio ? 16000u : 90000u, "fuzz"});
  rtsp::AudioOnVideoClock onVideo;
  int64_t videoPts = 0;
  uint16_t seq = 1000;
  uint32_t ts = 0xfffff000;
  int64_t now = 1'790'000'000'000'000;
  MediaTime lastPts(INT64_MIN);
  size_t pos = 1;
  while (pos + 2 <= size) {
    const size_t len = data[pos];
    const uint8_t flags = data[pos + 1];
    pos += 2;
    const size_t n = std::min(len, size - pos);
    rtsp::RtpPacket p;
    p.header.marker = flags & 1;
    seq = static_cast<uint16_t>(seq + ((flags >> 1) & 7));
    ts += static_cast<uint32_t>(flags >> 4) * 1500;
    p.header.sequence = seq;
    p.header.timestamp = ts;
    p.payload = media::ByteView(data + pos, n);
    pos += n;
    now += 10'000;
    if (video) {
      video->push(p);
      while (auto au = video->pop()) {
        checkLengthPrefixed(au->data);
        auto t = timeline.onFrame(au->rtpTimestamp, WallTime::fromUnixMicros(now));
        if (t.pts <= lastPts) std::abort();  // the contract: strictly increasing
        lastPts = t.pts;
      }
    } else {
      audio->push(p);
      // A video frame every other packet, its clock stepping with the input.
      if (flags & 1) {
        videoPts += (flags >> 4) * 3600;
        onVideo.onVideo(MediaTime(videoPts), WallTime::fromUnixMicros(now), (flags & 0xe) == 0xe);
      }
      while (auto f = audio->pop()) {
        if (f->data.empty()) std::abort();
        auto t = timeline.onFrame(f->rtpTimestamp, WallTime::fromUnixMicros(now));
        auto m = onVideo.map(t.captureTime, MediaDuration(static_cast<int64_t>(f->data.size()) * 90), t.discontinuity);
        if (m && !m->newSegment && m->pts <= lastPts) std::abort();
        if (m) lastPts = m->pts;
      }
    }
  }
  return 0;
}

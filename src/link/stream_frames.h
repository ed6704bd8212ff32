#pragma once
// A camera's frames as they cross the link (design/LINK.md, "Looks"):
// each frame becomes one or more kData payloads on its stream's channel,
// each at most what a frame holds. Intermediate nodes reassemble and
// publish them to their own live registry without decoding the video.
//
//   seq u32 | flags u8 | [first chunk: pts i64 | capture_us i64 | size u32 | params?] | bytes
//
// flags: 1 first chunk, 2 last chunk, 4 keyframe, 8 new segment (the pts
// need not follow on), 16 parameters follow (with every keyframe):
//   codec u8 | width u16 | height u16 | count u8 x (vps, sps, pps) of (len u16 | bytes)
// 32 audio: a frame of the camera's sound (media::Frame::audio, pts on the
// video's clock), a keyframe with its parameters always (16):
//   codec u8 (0 AAC, 1 µ-law, 2 A-law) | rate u32 | channels u8 | config len u8 | bytes
// The sound rides its camera's channel, so it keeps its place among the
// pictures and goes up only when they may (design/LINK.md, "Sound"). An
// audio frame is at most kMaxAudioFrameBytes (a camera's G.711 chunk is
// about 100 ms, an AAC frame a few kB): one larger is not sent, and is
// refused when received (a child's 16 MB of G.711 would be minutes of
// sound for the node above to transcode at once). A pts more than 2^61
// ticks from 0, which no camera has, is refused too.
// `seq` counts the channel's payloads: a gap (a chunk dropped because the
// link's data lane was full) makes the receiver wait for the next video
// keyframe; audio frames, each whole on its own, come out again at once.

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "base/status.h"
#include "media/frame.h"

namespace vigil::link {

// The payloads of one channel, in order.
class StreamEncoder {
 public:
  // Appends the payloads of `frame` to `out`.
  void encode(const media::Frame& frame, bool newSegment, std::vector<std::vector<uint8_t>>& out);

 private:
  uint32_t seq_ = 0;
};

class StreamDecoder {
 public:
  static constexpr size_t kMaxFrameBytes = 16 << 20;
  static constexpr size_t kMaxAudioFrameBytes = 64 << 10;
  struct Output {
    media::SharedFrame frame;
    bool newSegment = false;
  };
  // One payload. A frame when it completes one, nothing while a frame is
  // being reassembled or skipped to a keyframe after a gap;
  // InvalidArgument for a payload that cannot be one (bad fields, sizes
  // past their bounds): the caller ends the stream. An audio frame has
  // Frame::audio set (and no video parameters); its newSegment is the
  // sender's.
  Result<std::optional<Output>> push(std::span<const uint8_t> payload);

 private:
  std::optional<uint32_t> nextSeq_;
  bool waitKeyframe_ = true;  // from the start and after a gap
  bool gapBefore_ = true;     // the next frame out starts a new segment
  std::optional<media::Frame> partial_;
  size_t partialSize_ = 0;
  bool partialNewSegment_ = false;
  std::shared_ptr<const media::VideoParameters> params_;
  std::shared_ptr<const media::AudioParameters> audioParams_;
};

}  // namespace vigil::link

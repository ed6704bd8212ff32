#pragma once
// A camera's video decoder for detection: libavcodec on one thread, fed
// the frames ingest received; what it need not show it may skip.

#include "base/status.h"
#include "detect/libav.h"
#include "media/frame.h"

namespace vigil::detect {

// `params`' parameter sets (when given) and then the access unit as one
// Annex B stream, which libavcodec's H.264/H.265 decoders take without
// extradata. Its last AV_INPUT_BUFFER_PADDING_SIZE bytes are zeros the
// decoder may read past the stream's end.
media::Bytes annexB(const media::VideoParameters* params, media::ByteView accessUnit);

class VideoDecoder {
 public:
  // InvalidArgument/Unimplemented when libavcodec cannot decode `params`' codec.
  static Result<VideoDecoder> open(const media::VideoParameters& params);

  const media::VideoParameters& params() const { return params_; }

  // Decodes one frame. With `wanted` false, a picture no other frame
  // references is not decoded at all, and pictures that are lose no
  // quality (skip_frame). Keyframes carry the parameter sets.
  Status send(const media::Frame& frame, bool wanted);
  // No more frames: the pictures still held for reordering come out.
  void flush();
  // The next decoded picture (its pts the sent frame's), or null.
  const AVFrame* receive();

 private:
  VideoDecoder() = default;
  media::VideoParameters params_;
  AvCodecContextPtr context_;
  AvPacketPtr packet_;
  AvFramePtr picture_;
};

}  // namespace vigil::detect

#pragma once
// Snapshots: one keyframe decoded with libavcodec and encoded as JPEG, for
// GET /api/v1/cameras/{id}/snapshot.jpg and as posters in the web UI; an
// analysed picture with an event's box drawn on it, for the event's snapshot.

#include <string>

#include "base/status.h"
#include "detect/picture.h"
#include "media/frame.h"

namespace vigil::detect {

// Decodes `keyframe` (an access unit of length-prefixed NAL units that a
// decoder can start at) with the parameter sets of `params` and returns a
// JPEG. With maxWidth > 0 the picture is scaled down (aspect kept) to at
// most that width. InvalidArgument when the frame does not decode.
Result<std::string> keyframeToJpeg(const media::VideoParameters& params, const media::Bytes& keyframe,
                                   int maxWidth = 0);

// An event's snapshot: `picture` with a frame drawn along `box`, as JPEG.
// InvalidArgument when `picture` is not a packed BGR picture of 2x2 or more.
Result<std::string> boxedPictureToJpeg(const BgrImage& picture, const Box& box);

}  // namespace vigil::detect

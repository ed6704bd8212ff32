#pragma once
// Test camera streams for detection's tests and benchmark: a scene that
// ffmpeg encodes with libx264 into an Annex B file, read back as the frames
// ingest would hand over (not linked into `vigil`).

#include <string>
#include <vector>

#include "base/status.h"
#include "media/frame.h"

namespace vigil::detect::testing {

// Runs `ffmpeg -y <arguments> -c:v libx264 ... -f h264 <path>` (libx265
// and -f hevc for H.265): the arguments give the inputs and filters of a
// 640x360 (or other) scene; the encoder settings are a camera's
// (baseline-like: no B-frames, `gop` frames per GOP). Internal error with
// ffmpeg's exit status when it fails.
Status encodeScene(const std::string& arguments, int gop, const std::string& path,
                   media::VideoCodec codec = media::VideoCodec::kH264);

// The access units of an H.264 (or H.265) Annex B file as media::Frames:
// length-prefixed slices, the parameter sets in `params`, pts `fps` apart
// from 0, capture times likewise from `start`.
Result<std::vector<media::SharedFrame>> readH264File(const std::string& path, int fps, WallTime start = {},
                                                     media::VideoCodec codec = media::VideoCodec::kH264);

}  // namespace vigil::detect::testing

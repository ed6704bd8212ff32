#pragma once
// Recorded video of a camera with privacy masks, for the nodes above
// (design/DETECT.md, "Privacy masks"): each keyframe run of a recording
// decoded, masked and encoded again as H.264 (masker.h) before it leaves
// the node, so playback and export from above show the masks too. The
// recording on disk stays as the camera sent it.

#include <vector>

#include "detect/picture.h"
#include "storage/transformed.h"

namespace vigil::mask {

// A transform for storage/transformed.h: runs of the camera's recording
// masked with `masks` (0..1 picture coordinates). The masked run keeps
// the recorded one's times: a picture that does not decode leaves its
// time to the picture before it.
storage::SampleTransform maskingTransform(std::vector<detect::Polygon> masks);

}  // namespace vigil::mask

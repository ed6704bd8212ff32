#pragma once
// The first frames a new viewer of a live stream gets (the cached GOP,
// from its keyframe), for a snapshot.

#include <chrono>
#include <vector>

#include "media/live.h"

namespace vigil::http {

// What a new viewer of `stream` gets first, waiting for it at most `wait`;
// empty when nothing came.
std::vector<media::LiveItem> firstFrames(media::LiveStream& stream, std::chrono::milliseconds wait);

}  // namespace vigil::http

#pragma once
// The "send time" SEI that vigil testcam puts in every access unit so that
// latency can be measured downstream: an SEI NAL unit with one
// user_data_unregistered message (payload type 5) holding vigil's UUID and
// the wall-clock time the access unit was sent, as 8 bytes of big-endian
// microseconds since the Unix epoch.

#include <optional>

#include "base/time.h"
#include "media/h26x.h"

namespace vigil::media {

// A complete NAL unit (header included, emulation prevention applied).
Bytes makeSendTimeSei(VideoCodec codec, WallTime sendTime);
// The send time if `nal` is such an SEI, else nullopt (any other SEI, any
// other NAL type, truncated or corrupt input).
std::optional<WallTime> parseSendTimeSei(VideoCodec codec, ByteView nal);

}  // namespace vigil::media

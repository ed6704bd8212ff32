#pragma once
// Finding access-unit boundaries in a run of length-prefixed NAL units.
//
// Sample files hold access units back to back with no per-sample framing
// (they are the MP4 `mdat` bytes), so after a crash the bytes written past
// the committed index are re-indexed by deriving where each access unit
// starts from the NAL units themselves (design/STORAGE.md, "Recovery"):
// a new access unit begins, once the current one has a VCL NAL unit, at
//  - a NAL unit that may only precede a picture's first slice (AUD, SEI,
//    parameter sets; H.264 types 14-18, H.265 prefix types 41-44, 48-55), or
//  - a VCL NAL unit that starts a picture: H.264 first_mb_in_slice == 0,
//    H.265 first_slice_segment_in_pic_flag == 1.
// NAL units that follow a picture (filler, suffix SEI, end of sequence)
// stay with it.

#include <cstdint>
#include <vector>

#include "media/h26x.h"

namespace vigil::storage {

struct AccessUnitSpan {
  size_t offset = 0;  // from the start of the scanned data
  size_t bytes = 0;
  bool keyframe = false;
};

struct AccessUnitScan {
  std::vector<AccessUnitSpan> units;
  // Bytes covered by `units`; everything after is to be truncated.
  size_t wholeBytes = 0;
};

// Groups the NAL units of `data` into access units. The scan stops at the
// first malformed NAL unit (zero or overlong length, forbidden bit set):
// bytes from there on are torn. The access unit they interrupt is dropped
// too, since its remaining slices may be among them, unless the torn NAL
// unit's first bytes show that it opens the next access unit. When the
// data ends exactly at a NAL boundary the last access unit is kept if it
// has a VCL NAL unit.
AccessUnitScan scanAccessUnits(media::VideoCodec codec, media::ByteView data);

// Whether any NAL unit of a length-prefixed access unit is a keyframe NAL;
// false for malformed data.
bool containsKeyframe(media::VideoCodec codec, media::ByteView accessUnit);

}  // namespace vigil::storage

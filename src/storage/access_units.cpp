#include "storage/access_units.h"

#include "base/encoding.h"

namespace vigil::storage {
namespace {

using media::VideoCodec;

// NAL units that, after a picture's VCL units, open the next access unit.
bool opensAccessUnit(VideoCodec codec, uint8_t type) {
  if (codec == VideoCodec::kH264) {
    return type == media::h264::kSei || type == media::h264::kSps || type == media::h264::kPps ||
           type == media::h264::kAud || (type >= 14 && type <= 18);
  }
  return (type >= media::h265::kVps && type <= media::h265::kAud) || type == media::h265::kPrefixSei ||
         (type >= 41 && type <= 44) || (type >= 48 && type <= 55);
}

// The first bit after the NAL header: first_mb_in_slice == 0 is ue(v) "1";
// first_slice_segment_in_pic_flag is a plain bit.
bool startsPicture(VideoCodec codec, media::ByteView nal) {
  const size_t header = media::nalHeaderSize(codec);
  return nal.size() > header && (nal[header] & 0x80) != 0;
}

}  // namespace

AccessUnitScan scanAccessUnits(VideoCodec codec, media::ByteView data) {
  AccessUnitScan scan;
  AccessUnitSpan current;
  bool currentHasVcl = false;
  size_t pos = 0;
  bool torn = false;
  while (pos < data.size()) {
    if (data.size() - pos < 4) {
      torn = true;
      break;
    }
    const size_t len = readBigEndian32(data.data() + pos);
    if (len < media::nalHeaderSize(codec) || len > data.size() - pos - 4 || (data[pos + 4] & 0x80) != 0) {
      // The interrupted NAL unit may be the rest of the current picture,
      // unless what is left of it shows that it opens the next one.
      const media::ByteView rest = data.subspan(pos + 4);
      const size_t header = media::nalHeaderSize(codec);
      torn = true;
      if (len > header && rest.size() > header && (rest[0] & 0x80) == 0) {
        const uint8_t type = media::nalType(codec, rest[0]);
        torn = !(opensAccessUnit(codec, type) || (media::isVcl(codec, type) && startsPicture(codec, rest)));
      }
      break;
    }
    const media::ByteView nal = data.subspan(pos + 4, len);
    const uint8_t type = media::nalType(codec, nal[0]);
    const bool vcl = media::isVcl(codec, type);
    if (currentHasVcl && (opensAccessUnit(codec, type) || (vcl && startsPicture(codec, nal)))) {
      scan.units.push_back(current);
      current = AccessUnitSpan{pos, 0, false};
      currentHasVcl = false;
    }
    if (current.bytes == 0) current.offset = pos;
    current.bytes += 4 + len;
    currentHasVcl = currentHasVcl || vcl;
    current.keyframe = current.keyframe || media::isKeyframeNal(codec, type);
    pos += 4 + len;
  }
  if (!torn && currentHasVcl) scan.units.push_back(current);
  if (!scan.units.empty()) scan.wholeBytes = scan.units.back().offset + scan.units.back().bytes;
  return scan;
}

bool containsKeyframe(VideoCodec codec, media::ByteView accessUnit) {
  for (media::ByteView nal : media::splitLengthPrefixed(accessUnit)) {
    if (media::isKeyframeNal(codec, media::nalType(codec, nal[0]))) return true;
  }
  return false;
}

}  // namespace vigil::storage

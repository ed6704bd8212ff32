#pragma once
// Reading H.264 / H.265 sequence parameter sets: just enough to know the
// picture size a stream declares and the profile/level bytes that codec
// strings ("avc1.64001F") and sample entries (avcC, hvcC) need.
//
// Parameter sets come from cameras (SDP sprop-* or in-band), so all of this
// is untrusted input: every read is bounds-checked and a malformed SPS
// yields InvalidArgument, never a crash.

#include <array>
#include <cstdint>
#include <string>

#include "base/status.h"
#include "media/h26x.h"

namespace vigil::media {

// Reads bits of an RBSP (emulation prevention already removed), most
// significant bit first. Reads past the end return 0 and make the reader
// failed for good, so a parser may read a whole structure and check ok()
// once at the end.
class BitReader {
 public:
  explicit BitReader(ByteView rbsp) : data_(rbsp) {}

  // n in [0, 32].
  uint32_t bits(int n);
  bool flag() { return bits(1) != 0; }
  void skip(size_t n);
  // Exp-Golomb ue(v) and se(v). Codes longer than 32 bits fail the reader.
  uint32_t ue();
  int32_t se();

  bool ok() const { return ok_; }
  size_t bitsLeft() const { return ok_ ? data_.size() * 8 - pos_ : 0; }

 private:
  ByteView data_;
  size_t pos_ = 0;  // in bits
  bool ok_ = true;
};

struct SpsInfo {
  VideoCodec codec = VideoCodec::kH264;
  int spsId = 0;
  // Display size: coded size minus the cropping / conformance window.
  int width = 0;
  int height = 0;
  int chromaFormatIdc = 1;  // 0 monochrome, 1 4:2:0, 2 4:2:2, 3 4:4:4
  int bitDepthLuma = 8;
  int bitDepthChroma = 8;
  // H.264: profile_idc, constraint_set flags byte and level_idc, i.e. the
  // three bytes of the SDP "profile-level-id" and of avcC.
  uint8_t profileIdc = 0;
  uint8_t constraintFlags = 0;  // H.264 only
  uint8_t levelIdc = 0;
  bool frameMbsOnly = true;  // H.264 only; false for interlaced (field) coding
  // H.265: the 12 bytes of general_profile_tier_level (profile space, tier,
  // profile_idc, 32 compatibility flags, 48 constraint bits, level_idc),
  // exactly as hvcC stores them. profileIdc/levelIdc are copied from it.
  std::array<uint8_t, 12> h265GeneralProfileTierLevel{};
  int maxSubLayers = 1;  // H.265 only

  friend bool operator==(const SpsInfo&, const SpsInfo&) = default;
};

// Parses a complete SPS NAL unit (NAL header included, emulation prevention
// bytes present, as in SDP sprop sets and RTP payloads).
Result<SpsInfo> parseSps(VideoCodec codec, ByteView nal);

// Whether two SPS NAL units describe the same coded pictures, so that a
// camera repeating its SPS with other bytes is no change of parameters.
// H.264: the same syntax before vui_parameters (the VUI -- timing, colour,
// buffering hints -- may differ). H.265: the same SpsInfo (its VUI sits
// behind the reference picture sets, which vigil does not parse). False
// when either does not parse.
bool sameSps(VideoCodec codec, ByteView a, ByteView b);

// The id a parameter set NAL unit declares (VPS/SPS/PPS id), so a new set
// can replace the old one of the same id. nullopt-like failure for garbage.
Result<int> parameterSetId(VideoCodec codec, ByteView nal);

// "64001f": the H.264 profile-level-id as six lower-case hex digits.
std::string h264ProfileLevelId(const SpsInfo& sps);

}  // namespace vigil::media

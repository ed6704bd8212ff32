#include "media/parameter_sets.h"

#include <fmt/format.h>

namespace vigil::media {

uint32_t BitReader::bits(int n) {
  if (!ok_ || n < 0 || n > 32 || static_cast<size_t>(n) > data_.size() * 8 - pos_) {
    ok_ = false;
    return 0;
  }
  uint32_t v = 0;
  for (int i = 0; i < n; ++i) {
    v = (v << 1) | ((data_[pos_ >> 3] >> (7 - (pos_ & 7))) & 1u);
    ++pos_;
  }
  return v;
}

void BitReader::skip(size_t n) {
  if (!ok_ || n > data_.size() * 8 - pos_) {
    ok_ = false;
    return;
  }
  pos_ += n;
}

uint32_t BitReader::ue() {
  int zeros = 0;
  while (ok_ && bits(1) == 0) {
    if (++zeros > 31) {  // the value would not fit in 32 bits
      ok_ = false;
      return 0;
    }
  }
  if (!ok_) return 0;
  const uint64_t v = (uint64_t{1} << zeros) - 1 + bits(zeros);
  if (v > UINT32_MAX) {
    ok_ = false;
    return 0;
  }
  return static_cast<uint32_t>(v);
}

int32_t BitReader::se() {
  const uint32_t k = ue();
  // 1 -> 1, 2 -> -1, 3 -> 2, ... computed in 64 bits so k = 2^32-1 cannot overflow.
  const int64_t v = (k & 1) ? (int64_t{k} + 1) / 2 : -(int64_t{k} / 2);
  return static_cast<int32_t>(v);
}

namespace {

// Bounds that keep the arithmetic below far from overflow and reject
// nonsense; no camera comes near them (H.265 level 6.2 is 8192x4320).
constexpr uint32_t kMaxDimension = 16384;

Status malformed(std::string_view what) {
  return Status::invalidArgument(fmt::format("malformed SPS: {}", what));
}

// H.264 §7.3.2.1.1.1: the lists are delta coded; only their syntax matters here.
void skipScalingList(BitReader& r, int size) {
  int last = 8, next = 8;
  for (int j = 0; j < size && r.ok(); ++j) {
    if (next != 0) {
      // 64-bit: a malformed delta outside the spec's -128..127 must not overflow.
      const int64_t delta = r.se();
      next = static_cast<int>((last + delta + 256) % 256);
    }
    last = next == 0 ? last : next;
  }
}

bool h264HasChromaInfo(uint8_t profileIdc) {
  switch (profileIdc) {
    case 100:
    case 110:
    case 122:
    case 244:
    case 44:
    case 83:
    case 86:
    case 118:
    case 128:
    case 138:
    case 139:
    case 134:
    case 135:
      return true;
    default:
      return false;
  }
}

// `vuiBit`, when given, receives where vui_parameters_present_flag is in
// the RBSP (after the NAL header), in bits.
Result<SpsInfo> parseH264Sps(ByteView nal, size_t* vuiBit = nullptr) {
  if (nal.size() < 4 || nalType(VideoCodec::kH264, nal[0]) != h264::kSps)
    return malformed("not an H.264 SPS");
  const Bytes rbsp = removeEmulationPrevention(nal.subspan(1));
  BitReader r(rbsp);
  SpsInfo s;
  s.codec = VideoCodec::kH264;
  s.profileIdc = static_cast<uint8_t>(r.bits(8));
  s.constraintFlags = static_cast<uint8_t>(r.bits(8));
  s.levelIdc = static_cast<uint8_t>(r.bits(8));
  const uint32_t spsId = r.ue();
  if (spsId > 31) return malformed("seq_parameter_set_id > 31");
  s.spsId = static_cast<int>(spsId);
  bool separateColourPlane = false;
  if (h264HasChromaInfo(s.profileIdc)) {
    const uint32_t chroma = r.ue();
    if (chroma > 3) return malformed("chroma_format_idc > 3");
    s.chromaFormatIdc = static_cast<int>(chroma);
    if (chroma == 3) separateColourPlane = r.flag();
    const uint32_t depthLuma = r.ue(), depthChroma = r.ue();
    if (depthLuma > 6 || depthChroma > 6) return malformed("bit depth > 14");
    s.bitDepthLuma = static_cast<int>(depthLuma) + 8;
    s.bitDepthChroma = static_cast<int>(depthChroma) + 8;
    r.skip(1);       // qpprime_y_zero_transform_bypass_flag
    if (r.flag()) {  // seq_scaling_matrix_present_flag
      const int lists = chroma != 3 ? 8 : 12;
      for (int i = 0; i < lists && r.ok(); ++i) {
        if (r.flag()) skipScalingList(r, i < 6 ? 16 : 64);
      }
    }
  }
  if (r.ue() > 12) return malformed("log2_max_frame_num_minus4 > 12");
  const uint32_t pocType = r.ue();
  if (pocType == 0) {
    if (r.ue() > 12) return malformed("log2_max_pic_order_cnt_lsb_minus4 > 12");
  } else if (pocType == 1) {
    r.skip(1);  // delta_pic_order_always_zero_flag
    r.se();     // offset_for_non_ref_pic
    r.se();     // offset_for_top_to_bottom_field
    const uint32_t cycle = r.ue();
    if (cycle > 255) return malformed("num_ref_frames_in_pic_order_cnt_cycle > 255");
    for (uint32_t i = 0; i < cycle && r.ok(); ++i) r.se();
  } else if (pocType != 2) {
    return malformed("pic_order_cnt_type > 2");
  }
  r.ue();     // max_num_ref_frames
  r.skip(1);  // gaps_in_frame_num_value_allowed_flag
  const uint32_t widthMbs = r.ue() + 1;
  const uint32_t heightMapUnits = r.ue() + 1;
  s.frameMbsOnly = r.flag();
  if (!s.frameMbsOnly) r.skip(1);  // mb_adaptive_frame_field_flag
  r.skip(1);                       // direct_8x8_inference_flag
  uint32_t cropLeft = 0, cropRight = 0, cropTop = 0, cropBottom = 0;
  if (r.flag()) {
    cropLeft = r.ue();
    cropRight = r.ue();
    cropTop = r.ue();
    cropBottom = r.ue();
  }
  // vui_parameters follow; nothing in them is needed here.
  if (!r.ok()) return malformed("truncated");
  if (vuiBit) *vuiBit = rbsp.size() * 8 - r.bitsLeft();
  if (widthMbs == 0 || heightMapUnits == 0 || widthMbs > kMaxDimension / 16 ||
      heightMapUnits > kMaxDimension / 16) {
    return malformed("picture size out of range");
  }
  const uint32_t frameHeightFactor = s.frameMbsOnly ? 1 : 2;
  const uint32_t codedWidth = widthMbs * 16;
  const uint32_t codedHeight = heightMapUnits * 16 * frameHeightFactor;
  // §7.4.2.1.1: crop offsets are in units of CropUnitX / CropUnitY.
  const int chromaArrayType = separateColourPlane ? 0 : s.chromaFormatIdc;
  uint32_t cropUnitX = 1, cropUnitY = frameHeightFactor;
  if (chromaArrayType != 0) {
    const uint32_t subWidthC = chromaArrayType == 3 ? 1 : 2;
    const uint32_t subHeightC = chromaArrayType == 1 ? 2 : 1;
    cropUnitX = subWidthC;
    cropUnitY = subHeightC * frameHeightFactor;
  }
  // Each offset is checked alone first so the products cannot overflow.
  if (cropLeft > codedWidth || cropRight > codedWidth || cropTop > codedHeight ||
      cropBottom > codedHeight) {
    return malformed("cropping larger than the picture");
  }
  const uint64_t cropX = uint64_t{cropUnitX} * (uint64_t{cropLeft} + cropRight);
  const uint64_t cropY = uint64_t{cropUnitY} * (uint64_t{cropTop} + cropBottom);
  if (cropX >= codedWidth || cropY >= codedHeight)
    return malformed("cropping larger than the picture");
  s.width = static_cast<int>(codedWidth - cropX);
  s.height = static_cast<int>(codedHeight - cropY);
  return s;
}

Result<SpsInfo> parseH265Sps(ByteView nal) {
  if (nal.size() < 4 || nalType(VideoCodec::kH265, nal[0]) != h265::kSps)
    return malformed("not an H.265 SPS");
  const Bytes rbsp = removeEmulationPrevention(nal.subspan(2));
  BitReader r(rbsp);
  SpsInfo s;
  s.codec = VideoCodec::kH265;
  r.skip(4);  // sps_video_parameter_set_id
  const uint32_t maxSubLayersMinus1 = r.bits(3);
  if (maxSubLayersMinus1 > 6) return malformed("sps_max_sub_layers_minus1 > 6");
  s.maxSubLayers = static_cast<int>(maxSubLayersMinus1) + 1;
  r.skip(1);  // sps_temporal_id_nesting_flag

  // profile_tier_level(1, sps_max_sub_layers_minus1), §7.3.3. The general
  // part is 96 bits = 12 bytes, byte aligned here.
  for (auto& b : s.h265GeneralProfileTierLevel) b = static_cast<uint8_t>(r.bits(8));
  s.profileIdc = s.h265GeneralProfileTierLevel[0] & 0x1f;
  s.levelIdc = s.h265GeneralProfileTierLevel[11];
  bool subProfilePresent[8] = {}, subLevelPresent[8] = {};
  for (uint32_t i = 0; i < maxSubLayersMinus1; ++i) {
    subProfilePresent[i] = r.flag();
    subLevelPresent[i] = r.flag();
  }
  if (maxSubLayersMinus1 > 0) {
    for (uint32_t i = maxSubLayersMinus1; i < 8; ++i) r.skip(2);  // reserved_zero_2bits
  }
  for (uint32_t i = 0; i < maxSubLayersMinus1; ++i) {
    if (subProfilePresent[i]) r.skip(88);
    if (subLevelPresent[i]) r.skip(8);
  }

  const uint32_t spsId = r.ue();
  if (spsId > 15) return malformed("sps_seq_parameter_set_id > 15");
  s.spsId = static_cast<int>(spsId);
  const uint32_t chroma = r.ue();
  if (chroma > 3) return malformed("chroma_format_idc > 3");
  s.chromaFormatIdc = static_cast<int>(chroma);
  bool separateColourPlane = false;
  if (chroma == 3) separateColourPlane = r.flag();
  const uint32_t codedWidth = r.ue();
  const uint32_t codedHeight = r.ue();
  uint32_t left = 0, right = 0, top = 0, bottom = 0;
  if (r.flag()) {  // conformance_window_flag
    left = r.ue();
    right = r.ue();
    top = r.ue();
    bottom = r.ue();
  }
  const uint32_t depthLuma = r.ue(), depthChroma = r.ue();
  if (!r.ok()) return malformed("truncated");
  if (depthLuma > 8 || depthChroma > 8) return malformed("bit depth > 16");
  s.bitDepthLuma = static_cast<int>(depthLuma) + 8;
  s.bitDepthChroma = static_cast<int>(depthChroma) + 8;
  if (codedWidth == 0 || codedHeight == 0 || codedWidth > kMaxDimension ||
      codedHeight > kMaxDimension) {
    return malformed("picture size out of range");
  }
  const int chromaArrayType = separateColourPlane ? 0 : s.chromaFormatIdc;
  const uint32_t subWidthC = (chromaArrayType == 1 || chromaArrayType == 2) ? 2 : 1;
  const uint32_t subHeightC = chromaArrayType == 1 ? 2 : 1;
  if (left > codedWidth || right > codedWidth || top > codedHeight || bottom > codedHeight) {
    return malformed("conformance window larger than the picture");
  }
  const uint64_t cropX = uint64_t{subWidthC} * (uint64_t{left} + right);
  const uint64_t cropY = uint64_t{subHeightC} * (uint64_t{top} + bottom);
  if (cropX >= codedWidth || cropY >= codedHeight)
    return malformed("conformance window larger than the picture");
  s.width = static_cast<int>(codedWidth - cropX);
  s.height = static_cast<int>(codedHeight - cropY);
  return s;
}

}  // namespace

Result<SpsInfo> parseSps(VideoCodec codec, ByteView nal) {
  return codec == VideoCodec::kH264 ? parseH264Sps(nal) : parseH265Sps(nal);
}

bool sameSps(VideoCodec codec, ByteView a, ByteView b) {
  if (codec == VideoCodec::kH265) {
    auto x = parseH265Sps(a), y = parseH265Sps(b);
    return x && y && *x == *y;
  }
  size_t bitsA = 0, bitsB = 0;
  if (!parseH264Sps(a, &bitsA) || !parseH264Sps(b, &bitsB) || bitsA != bitsB) return false;
  const Bytes x = removeEmulationPrevention(a.subspan(1)), y = removeEmulationPrevention(b.subspan(1));
  BitReader rx(x), ry(y);
  for (size_t left = bitsA; left > 0;) {
    const int n = static_cast<int>(std::min<size_t>(left, 32));
    if (rx.bits(n) != ry.bits(n)) return false;
    left -= static_cast<size_t>(n);
  }
  return true;
}

Result<int> parameterSetId(VideoCodec codec, ByteView nal) {
  const size_t header = nalHeaderSize(codec);
  if (nal.size() <= header) return Status::invalidArgument("parameter set too short");
  const uint8_t type = nalType(codec, nal[0]);
  // Only the first few bytes are needed; unescape just those.
  const Bytes rbsp =
      removeEmulationPrevention(nal.subspan(header, std::min<size_t>(nal.size() - header, 32)));
  BitReader r(rbsp);
  uint32_t id = 0;
  if (codec == VideoCodec::kH264) {
    if (type == h264::kSps) {
      r.skip(24);
      id = r.ue();
      if (id > 31) return Status::invalidArgument("SPS id > 31");
    } else if (type == h264::kPps) {
      id = r.ue();
      if (id > 255) return Status::invalidArgument("PPS id > 255");
    } else {
      return Status::invalidArgument("not a parameter set");
    }
  } else {
    if (type == h265::kVps) {
      id = r.bits(4);
    } else if (type == h265::kSps) {
      // The id follows profile_tier_level, whose size depends on sub-layers.
      auto sps = parseH265Sps(nal);
      if (!sps) return sps.status();
      return sps->spsId;
    } else if (type == h265::kPps) {
      id = r.ue();
      if (id > 63) return Status::invalidArgument("PPS id > 63");
    } else {
      return Status::invalidArgument("not a parameter set");
    }
  }
  if (!r.ok()) return Status::invalidArgument("parameter set truncated");
  return static_cast<int>(id);
}

std::string h264ProfileLevelId(const SpsInfo& sps) {
  return fmt::format("{:02x}{:02x}{:02x}", sps.profileIdc, sps.constraintFlags, sps.levelIdc);
}

}  // namespace vigil::media

#include "media/send_time_sei.h"

#include <algorithm>
#include <array>

namespace vigil::media {
namespace {

// Random, fixed: identifies vigil's send-time message among other user data.
constexpr std::array<uint8_t, 16> kUuid = {0x76, 0x69, 0x67, 0x69, 0x6c, 0x2d, 0x73, 0x65,
                                           0x6e, 0x64, 0x74, 0x69, 0x6d, 0x65, 0x01, 0x00};
constexpr uint8_t kUserDataUnregistered = 5;
constexpr size_t kPayloadSize = 16 + 8;

}  // namespace

Bytes makeSendTimeSei(VideoCodec codec, WallTime sendTime) {
  Bytes rbsp;
  if (codec == VideoCodec::kH264) {
    rbsp.push_back(h264::kSei);  // forbidden_zero 0, nal_ref_idc 0
  } else {
    rbsp.push_back(static_cast<uint8_t>(h265::kPrefixSei << 1));
    rbsp.push_back(1);  // nuh_layer_id 0, nuh_temporal_id_plus1 1
  }
  rbsp.push_back(kUserDataUnregistered);
  rbsp.push_back(kPayloadSize);
  rbsp.insert(rbsp.end(), kUuid.begin(), kUuid.end());
  const auto us = static_cast<uint64_t>(sendTime.unixMicros());
  for (int shift = 56; shift >= 0; shift -= 8) rbsp.push_back(static_cast<uint8_t>(us >> shift));
  rbsp.push_back(0x80);  // rbsp_trailing_bits
  return addEmulationPrevention(rbsp);
}

std::optional<WallTime> parseSendTimeSei(VideoCodec codec, ByteView nal) {
  const size_t header = nalHeaderSize(codec);
  if (nal.size() < header) return std::nullopt;
  const uint8_t type = nalType(codec, nal[0]);
  if (type != (codec == VideoCodec::kH264 ? h264::kSei : h265::kPrefixSei)) return std::nullopt;
  const Bytes rbsp = removeEmulationPrevention(nal.subspan(header));
  if (rbsp.size() < 2 + kPayloadSize || rbsp[0] != kUserDataUnregistered ||
      rbsp[1] != kPayloadSize || !std::equal(kUuid.begin(), kUuid.end(), rbsp.begin() + 2)) {
    return std::nullopt;
  }
  uint64_t us = 0;
  for (size_t i = 0; i < 8; ++i) us = (us << 8) | rbsp[2 + 16 + i];
  return WallTime::fromUnixMicros(static_cast<int64_t>(us));
}

}  // namespace vigil::media

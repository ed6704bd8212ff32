#pragma once
// H.264 (ITU-T H.264) and H.265 (ITU-T H.265) NAL unit helpers: splitting
// Annex B byte streams, NAL types, keyframes, emulation prevention.

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace vigil::media {

enum class VideoCodec { kH264, kH265 };
std::string_view codecName(VideoCodec codec);  // "h264" | "h265"

using Bytes = std::vector<uint8_t>;
using ByteView = std::span<const uint8_t>;

// NAL unit types we act on.
namespace h264 {
constexpr uint8_t kNonIdrSlice = 1, kIdrSlice = 5, kSei = 6, kSps = 7, kPps = 8, kAud = 9,
                  kFiller = 12, kStapA = 24, kFuA = 28;
}
namespace h265 {
constexpr uint8_t kBlaWLp = 16, kCraNut = 21, kVps = 32, kSps = 33, kPps = 34, kAud = 35,
                  kFiller = 38, kPrefixSei = 39, kSuffixSei = 40, kAp = 48, kFu = 49;
}

// The type of a NAL unit from its first header byte.
uint8_t nalType(VideoCodec codec, uint8_t firstHeaderByte);
// Bytes of NAL unit header: 1 for H.264, 2 for H.265.
size_t nalHeaderSize(VideoCodec codec);

bool isVcl(VideoCodec codec, uint8_t type);
// A random access point a decoder can start at (IDR; for H.265 any IRAP).
bool isKeyframeNal(VideoCodec codec, uint8_t type);
bool isParameterSet(VideoCodec codec, uint8_t type);

// Splits an Annex B stream (00 00 01 / 00 00 00 01 start codes) into NAL
// units, without start codes. Bytes before the first start code are ignored;
// trailing zero bytes of a NAL unit are removed.
std::vector<ByteView> splitAnnexB(ByteView stream);

// Inserts emulation prevention bytes (00 00 0x -> 00 00 03 0x for x <= 3)
// into an RBSP, and removes them.
Bytes addEmulationPrevention(ByteView rbsp);
Bytes removeEmulationPrevention(ByteView nal);

// Appends a NAL unit with a 4-byte big-endian length prefix (the layout of
// MP4 samples and of vigil's sample files).
void appendLengthPrefixed(Bytes& out, ByteView nal);
// Splits length-prefixed data into NAL units; empty on malformed input.
std::vector<ByteView> splitLengthPrefixed(ByteView data);

}  // namespace vigil::media

#include "media/h26x.h"

#include "base/encoding.h"

namespace vigil::media {

std::string_view codecName(VideoCodec codec) {
  return codec == VideoCodec::kH264 ? "h264" : "h265";
}

uint8_t nalType(VideoCodec codec, uint8_t b) {
  return codec == VideoCodec::kH264 ? (b & 0x1f) : ((b >> 1) & 0x3f);
}

size_t nalHeaderSize(VideoCodec codec) { return codec == VideoCodec::kH264 ? 1 : 2; }

bool isVcl(VideoCodec codec, uint8_t type) {
  return codec == VideoCodec::kH264 ? (type >= 1 && type <= 5) : (type <= 31);
}

bool isKeyframeNal(VideoCodec codec, uint8_t type) {
  return codec == VideoCodec::kH264 ? type == h264::kIdrSlice
                                    : (type >= h265::kBlaWLp && type <= h265::kCraNut);
}

bool isParameterSet(VideoCodec codec, uint8_t type) {
  return codec == VideoCodec::kH264 ? (type == h264::kSps || type == h264::kPps)
                                    : (type >= h265::kVps && type <= h265::kPps);
}

std::vector<ByteView> splitAnnexB(ByteView s) {
  std::vector<ByteView> out;
  const size_t n = s.size();
  size_t i = 0;
  size_t start = SIZE_MAX;  // start of the current NAL unit
  auto close = [&](size_t end) {
    if (start == SIZE_MAX) return;
    while (end > start && s[end - 1] == 0) --end;  // trailing_zero_8bits
    if (end > start) out.push_back(s.subspan(start, end - start));
  };
  while (i + 2 < n) {
    if (s[i] == 0 && s[i + 1] == 0 && s[i + 2] == 1) {
      close(i);
      i += 3;
      start = i;
    } else {
      ++i;
    }
  }
  close(n);
  return out;
}

Bytes addEmulationPrevention(ByteView rbsp) {
  Bytes out;
  out.reserve(rbsp.size() + rbsp.size() / 64 + 4);
  int zeros = 0;
  for (uint8_t b : rbsp) {
    if (zeros >= 2 && b <= 3) {
      out.push_back(3);
      zeros = 0;
    }
    out.push_back(b);
    zeros = b == 0 ? zeros + 1 : 0;
  }
  return out;
}

Bytes removeEmulationPrevention(ByteView nal) {
  Bytes out;
  out.reserve(nal.size());
  int zeros = 0;
  for (uint8_t b : nal) {
    if (zeros >= 2 && b == 3) {
      zeros = 0;
      continue;
    }
    out.push_back(b);
    zeros = b == 0 ? zeros + 1 : 0;
  }
  return out;
}

void appendLengthPrefixed(Bytes& out, ByteView nal) {
  const size_t at = out.size();
  out.resize(at + 4);
  writeBigEndian32(out.data() + at, static_cast<uint32_t>(nal.size()));
  out.insert(out.end(), nal.begin(), nal.end());
}

std::vector<ByteView> splitLengthPrefixed(ByteView data) {
  std::vector<ByteView> out;
  size_t pos = 0;
  while (pos < data.size()) {
    if (data.size() - pos < 4) return {};
    const size_t len = readBigEndian32(data.data() + pos);
    pos += 4;
    if (len == 0 || len > data.size() - pos) return {};
    out.push_back(data.subspan(pos, len));
    pos += len;
  }
  return out;
}

}  // namespace vigil::media

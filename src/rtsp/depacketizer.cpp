#include "rtsp/depacketizer.h"

#include <algorithm>

#include "base/encoding.h"
#include "media/parameter_sets.h"

namespace vigil::rtsp {
namespace {

using media::VideoCodec;

// RFC 3550 appendix A.1: a packet up to this far behind is late (reordered
// past the buffer, or duplicated); further behind is a restarted sender.
constexpr int kMaxMisorder = 100;
// Completed access units kept when the caller does not pop them.
constexpr size_t kMaxReady = 64;
// Parameter sets kept per kind (H.264 allows 32 SPS; more is an attack).
constexpr size_t kMaxParameterSets = 32;
constexpr size_t kMaxParameterSetBytes = 4096;
constexpr size_t kMaxCarriedBytes = 64 * 1024;

enum class Sequence { kNext, kLate, kGap };

// Classifies `seq` against the expected one and advances it, counting the
// packet as accepted or late. A gap counts its missing packets as lost (none
// for a jump backwards: a restart) and sets `afterLoss`.
Sequence acceptSequence(std::optional<uint16_t>& expected, uint16_t seq, DepacketizerCounters& counters,
                        bool& afterLoss) {
  if (!expected) {
    expected = static_cast<uint16_t>(seq + 1);
    ++counters.packets;
    return Sequence::kNext;
  }
  const auto diff = static_cast<int16_t>(static_cast<uint16_t>(seq - *expected));
  if (diff < 0 && diff >= -kMaxMisorder) {
    ++counters.packetsLate;
    return Sequence::kLate;
  }
  expected = static_cast<uint16_t>(seq + 1);
  ++counters.packets;
  if (diff == 0) return Sequence::kNext;
  counters.packetsLost += diff > 0 ? static_cast<uint64_t>(diff) : 0;
  afterLoss = true;
  return Sequence::kGap;
}


}  // namespace

// ---------------------------------------------------------------------------
// Video

VideoDepacketizer::VideoDepacketizer(VideoCodec codec,
                                     std::shared_ptr<const media::VideoParameters> fromSdp)
    : codec_(codec), params_(std::move(fromSdp)) {
  if (params_ && params_->sps.empty() && params_->pps.empty() && params_->vps.empty())
    params_.reset();
}

void VideoDepacketizer::push(const RtpPacket& packet) {
  const Sequence seq = acceptSequence(nextSequence_, packet.header.sequence, counters_, afterLoss_);
  if (seq == Sequence::kLate) return;
  const uint32_t ts = packet.header.timestamp;
  bool startCorrupt = false;
  if (seq == Sequence::kGap) {
    // The missing packets may be the tail of the access unit in progress or
    // the head of the one this packet belongs to: both are dropped.
    if (inAccessUnit_) corrupt_ = true;
    startCorrupt = true;
  }
  if (inAccessUnit_ && ts != timestamp_) finishAccessUnit();  // no marker bit seen
  if (!inAccessUnit_) {
    startAccessUnit(ts, startCorrupt);
  }
  if (!corrupt_) {
    const bool ok =
        codec_ == VideoCodec::kH264 ? parseH264(packet.payload) : parseH265(packet.payload);
    if (!ok) {
      ++counters_.packetsMalformed;
      corrupt_ = true;
    } else if (data_.size() > kMaxAccessUnitBytes) {
      corrupt_ = true;
    }
    if (corrupt_) {
      media::Bytes().swap(data_);  // nothing of it will be used
      inFragment_ = false;
    }
  }
  if (packet.header.marker) finishAccessUnit();
}

std::optional<VideoAccessUnit> VideoDepacketizer::pop() {
  if (ready_.empty()) return std::nullopt;
  VideoAccessUnit au = std::move(ready_.front());
  ready_.pop_front();
  return au;
}

void VideoDepacketizer::startAccessUnit(uint32_t timestamp, bool corrupt) {
  inAccessUnit_ = true;
  timestamp_ = timestamp;
  corrupt_ = corrupt;
  keyframe_ = false;
  hasVcl_ = false;
  inFragment_ = false;
  data_.clear();
  // Room for a picture like the previous non-key one, so that assembling
  // most pictures does not reallocate (and copy) their bytes as they grow.
  // Not sized for keyframes: the pictures after one would hold its size.
  data_.reserve(lastDeltaBytes_ + lastDeltaBytes_ / 4);
}

void VideoDepacketizer::dropAccessUnit() {
  ++counters_.accessUnitsDropped;
  afterLoss_ = true;
  carried_.clear();  // parameter sets of a lost picture; in-band ones were learnt already
}

void VideoDepacketizer::finishAccessUnit() {
  inAccessUnit_ = false;
  if (inFragment_) corrupt_ = true;  // the last fragment never came
  if (corrupt_) {
    dropAccessUnit();
    return;
  }
  if (!hasVcl_) {
    // Parameter sets or SEI with a timestamp or marker bit of their own, as
    // some cameras send them: they belong before the next picture.
    if (carried_.size() + data_.size() <= kMaxCarriedBytes) {
      carried_.insert(carried_.end(), data_.begin(), data_.end());
    }
    return;
  }
  VideoAccessUnit au;
  au.rtpTimestamp = timestamp_;
  au.keyframe = keyframe_;
  au.afterLoss = afterLoss_;
  au.params = params_;
  au.parametersChanged = emittedAny_ && params_ != lastEmittedParams_;
  if (!keyframe_) lastDeltaBytes_ = data_.size();
  if (carried_.empty()) {
    au.data = std::move(data_);
  } else {
    au.data = std::move(carried_);
    au.data.insert(au.data.end(), data_.begin(), data_.end());
  }
  data_ = {};
  carried_.clear();
  afterLoss_ = false;
  emittedAny_ = true;
  lastEmittedParams_ = params_;
  ++counters_.accessUnits;
  if (ready_.size() >= kMaxReady) {
    ready_.pop_front();
    ++counters_.accessUnitsDropped;
    au.afterLoss = true;
  }
  ready_.push_back(std::move(au));
}

bool VideoDepacketizer::parseH264(ByteView p) {
  if (p.empty()) return false;
  const uint8_t type = p[0] & 0x1f;
  if (type >= 1 && type <= 23) {
    if (inFragment_) return false;  // a fragmented NAL unit was cut short
    addNal(p);
    return true;
  }
  if (type == media::h264::kStapA) return parseAggregate(p, 1);
  if (type == media::h264::kFuA) {
    if (p.size() < 2) return false;
    const uint8_t fuHeader = p[1];
    const uint8_t header = static_cast<uint8_t>((p[0] & 0xe0) | (fuHeader & 0x1f));
    return fragment(fuHeader & 0x80, fuHeader & 0x40, fuHeader & 0x1f, ByteView(&header, 1),
                    p.subspan(2));
  }
  return false;  // 0 and 30-31 reserved; STAP-B, MTAP, FU-B need interleaved mode
}

bool VideoDepacketizer::parseH265(ByteView p) {
  if (p.size() < 2) return false;
  const uint8_t type = (p[0] >> 1) & 0x3f;
  if (type < media::h265::kAp) {
    if (inFragment_) return false;
    addNal(p);
    return true;
  }
  if (type == media::h265::kAp) return parseAggregate(p, 2);
  if (type == media::h265::kFu) {
    if (p.size() < 3) return false;
    const uint8_t fuHeader = p[2];
    const uint8_t fuType = fuHeader & 0x3f;
    const uint8_t header[2] = {static_cast<uint8_t>((p[0] & 0x81) | (fuType << 1)), p[1]};
    return fragment(fuHeader & 0x80, fuHeader & 0x40, fuType, ByteView(header, 2), p.subspan(3));
  }
  return false;  // PACI (50) and reserved types
}

// STAP-A (RFC 6184 §5.7.1) and AP (RFC 7798 §4.4.2): 16-bit size, NAL unit, ...
bool VideoDepacketizer::parseAggregate(ByteView p, size_t headerSize) {
  if (inFragment_) return false;
  size_t off = headerSize;
  if (off >= p.size()) return false;
  // Validate all sizes first so a bad packet adds nothing.
  for (size_t o = off; o < p.size();) {
    if (p.size() - o < 2) return false;
    const size_t n = readBigEndian16(&p[o]);
    if (n < media::nalHeaderSize(codec_) || n > p.size() - o - 2) return false;
    o += 2 + n;
  }
  while (off < p.size()) {
    const size_t n = readBigEndian16(&p[off]);
    addNal(p.subspan(off + 2, n));
    off += 2 + n;
  }
  return true;
}

// FU-A (RFC 6184 §5.8) and FU (RFC 7798 §4.4.3), with the reconstructed NAL
// header. A start while a fragment is open, or a middle or end without a
// start, means packets went missing.
bool VideoDepacketizer::fragment(bool start, bool end, uint8_t type, ByteView header,
                                 ByteView body) {
  if (start) {
    if (inFragment_) return false;
    fragmentOffset_ = data_.size();
    fragmentType_ = type;
    data_.resize(data_.size() + 4);
    data_.insert(data_.end(), header.begin(), header.end());
    data_.insert(data_.end(), body.begin(), body.end());
    inFragment_ = true;
  } else {
    if (!inFragment_ || type != fragmentType_) return false;
    data_.insert(data_.end(), body.begin(), body.end());
  }
  if (end) {
    inFragment_ = false;
    onNalComplete(fragmentOffset_);
  }
  return true;
}

void VideoDepacketizer::addNal(ByteView nal) {
  const size_t offset = data_.size();
  data_.resize(offset + 4);
  data_.insert(data_.end(), nal.begin(), nal.end());
  onNalComplete(offset);
}

void VideoDepacketizer::onNalComplete(size_t offset) {
  const size_t size = data_.size() - offset - 4;
  const ByteView nal(data_.data() + offset + 4, size);
  if (size < media::nalHeaderSize(codec_)) {
    data_.resize(offset);  // an empty NAL unit: nothing to keep
    return;
  }
  const uint8_t type = media::nalType(codec_, nal[0]);
  writeBigEndian32(&data_[offset], static_cast<uint32_t>(size));
  if (media::isVcl(codec_, type)) hasVcl_ = true;
  if (media::isKeyframeNal(codec_, type)) keyframe_ = true;
  if (media::isParameterSet(codec_, type)) learnParameterSet(type, nal);
}

// Keeps the newest parameter set of each id; a new pointer only when
// something changed, so parametersChanged compares pointers.
void VideoDepacketizer::learnParameterSet(uint8_t type, ByteView nal) {
  if (nal.size() > kMaxParameterSetBytes) return;
  auto id = media::parameterSetId(codec_, nal);
  if (!id) return;  // a decoder could not use it either
  const bool h264 = codec_ == VideoCodec::kH264;
  auto select = [&](media::VideoParameters& p) -> std::vector<media::Bytes>& {
    if (h264) return type == media::h264::kSps ? p.sps : p.pps;
    if (type == media::h265::kVps) return p.vps;
    return type == media::h265::kSps ? p.sps : p.pps;
  };
  const bool isSps = type == (h264 ? media::h264::kSps : media::h265::kSps);

  media::VideoParameters next = params_ ? *params_ : media::VideoParameters{};
  next.codec = codec_;
  auto& list = select(next);
  auto same = std::find_if(list.begin(), list.end(), [&](const media::Bytes& b) {
    auto other = media::parameterSetId(codec_, b);
    return other && *other == *id;
  });
  if (same != list.end()) {
    if (std::equal(same->begin(), same->end(), nal.begin(), nal.end())) return;  // unchanged
    // The same SPS with another VUI (cameras and encoders vary it) decodes
    // the same pictures: keep the one already known, and the segment.
    if (isSps && media::sameSps(codec_, *same, nal)) return;
    same->assign(nal.begin(), nal.end());
  } else {
    if (list.size() >= kMaxParameterSets) return;
    list.emplace_back(nal.begin(), nal.end());
  }
  if (isSps) {
    if (auto info = media::parseSps(codec_, nal)) {
      next.width = info->width;
      next.height = info->height;
    }
  }
  params_ = std::make_shared<const media::VideoParameters>(std::move(next));
}

// ---------------------------------------------------------------------------
// Audio

AudioDepacketizer::AudioDepacketizer(AudioCodec codec, AacParameters aac)
    : codec_(codec), aac_(std::move(aac)) {}

void AudioDepacketizer::push(const RtpPacket& packet) {
  const Sequence seq = acceptSequence(nextSequence_, packet.header.sequence, counters_, afterLoss_);
  if (seq == Sequence::kLate) return;
  if (seq == Sequence::kGap) {
    if (inFragment_) {
      inFragment_ = false;
      fragment_.clear();
      ++counters_.accessUnitsDropped;
    }
  }
  if (codec_ != AudioCodec::kAac) {
    if (!packet.payload.empty()) emit(packet.header.timestamp, packet.payload);
    return;
  }
  if (!parseAac(packet)) {
    ++counters_.packetsMalformed;
    afterLoss_ = true;
    if (inFragment_) {
      inFragment_ = false;
      fragment_.clear();
      ++counters_.accessUnitsDropped;
    }
  }
}

std::optional<AudioFrame> AudioDepacketizer::pop() {
  if (ready_.empty()) return std::nullopt;
  AudioFrame f = std::move(ready_.front());
  ready_.pop_front();
  return f;
}

void AudioDepacketizer::emit(uint32_t timestamp, ByteView data) {
  if (ready_.size() >= kMaxReady) {
    ready_.pop_front();
    ++counters_.accessUnitsDropped;
    afterLoss_ = true;
  }
  AudioFrame f;
  f.rtpTimestamp = timestamp;
  f.afterLoss = afterLoss_;
  f.data.assign(data.begin(), data.end());
  afterLoss_ = false;
  ++counters_.accessUnits;
  ready_.push_back(std::move(f));
}

// RFC 3640 §3.2: AU-headers-length (bits), AU headers, then the AUs.
bool AudioDepacketizer::parseAac(const RtpPacket& packet) {
  const ByteView p = packet.payload;
  const uint32_t ts = packet.header.timestamp;
  const int sizeLength = aac_.sizeLength;
  if (sizeLength == 0) {
    // No AU headers: constantsize AUs, or one AU per packet.
    if (p.empty()) return false;
    const size_t step = aac_.constantSize > 0 ? static_cast<size_t>(aac_.constantSize) : p.size();
    if (p.size() % step != 0) return false;
    for (size_t i = 0; i * step < p.size(); ++i)
      emit(ts + static_cast<uint32_t>(i) * kAacSamplesPerFrame, p.subspan(i * step, step));
    return true;
  }
  if (p.size() < 2) return false;
  const size_t headerBits = readBigEndian16(p.data());
  const size_t headerBytes = (headerBits + 7) / 8;
  if (headerBits == 0 || headerBytes > p.size() - 2) return false;
  media::BitReader r(p.subspan(2, headerBytes));
  std::vector<size_t> sizes;
  size_t used = 0;
  for (bool first = true;; first = false) {
    const size_t bits = static_cast<size_t>(sizeLength) +
                        static_cast<size_t>(first ? aac_.indexLength : aac_.indexDeltaLength);
    if (used + bits > headerBits) break;
    sizes.push_back(r.bits(sizeLength));
    r.bits(first ? aac_.indexLength
                 : aac_.indexDeltaLength);  // interleaving is not negotiated: ignored
    used += bits;
  }
  if (sizes.empty() || !r.ok()) return false;
  ByteView data = p.subspan(2 + headerBytes);

  if (inFragment_) {
    // Continuation of a fragmented AU: one header giving the whole AU's size.
    if (ts != fragmentTimestamp_ || sizes.size() != 1 || sizes[0] != fragmentSize_ ||
        fragment_.size() + data.size() > fragmentSize_) {
      inFragment_ = false;
      fragment_.clear();
      ++counters_.accessUnitsDropped;
      return false;
    }
    fragment_.insert(fragment_.end(), data.begin(), data.end());
    if (fragment_.size() == fragmentSize_) {
      inFragment_ = false;
      emit(ts, fragment_);
      fragment_.clear();
    } else if (packet.header.marker) {  // the last fragment, yet short
      inFragment_ = false;
      fragment_.clear();
      ++counters_.accessUnitsDropped;
      return false;
    }
    return true;
  }

  if (sizes.size() == 1 && sizes[0] > data.size()) {
    // The first fragment of a large AU (§3.2.3: the header gives its full size).
    if (packet.header.marker || sizes[0] > kMaxFrameBytes) return false;
    inFragment_ = true;
    fragmentTimestamp_ = ts;
    fragmentSize_ = sizes[0];
    fragment_.assign(data.begin(), data.end());
    return true;
  }
  size_t total = 0;
  for (size_t s : sizes) total += s;
  if (total > data.size()) return false;
  size_t off = 0;
  for (size_t i = 0; i < sizes.size(); ++i) {
    if (sizes[i] > 0)
      emit(ts + static_cast<uint32_t>(i) * kAacSamplesPerFrame, data.subspan(off, sizes[i]));
    off += sizes[i];
  }
  return true;
}

// ---------------------------------------------------------------------------

std::optional<AudioCodec> audioCodecOf(const SdpMedia& m) {
  if (m.type != "audio") return std::nullopt;
  if (m.encodingName == "PCMU") return AudioCodec::kPcmu;
  if (m.encodingName == "PCMA") return AudioCodec::kPcma;
  if (m.encodingName == "MPEG4-GENERIC" && m.aac) return AudioCodec::kAac;
  return std::nullopt;
}

std::shared_ptr<const media::AudioParameters> audioParametersOf(const SdpMedia& m) {
  const auto codec = audioCodecOf(m);
  if (!codec) return nullptr;
  media::AudioParameters p;
  p.codec = *codec;
  if (*codec == AudioCodec::kAac) {
    const AacParameters& aac = *m.aac;
    if (aac.sampleRate <= 0 || aac.channels <= 0) return nullptr;
    p.sampleRate = aac.sampleRate;
    p.channels = aac.channels;
    p.config = aac.audioSpecificConfig;
  } else {
    p.sampleRate = static_cast<int>(m.clockRate);
    p.channels = m.channels;
  }
  // The RTP clock is the sampling rate for all three (RFC 3640, 3551).
  if (p.sampleRate < 8000 || p.sampleRate > 96000 || static_cast<uint32_t>(p.sampleRate) != m.clockRate ||
      p.channels < 1 || p.channels > 8) {
    return nullptr;
  }
  return std::make_shared<const media::AudioParameters>(std::move(p));
}

std::shared_ptr<const media::VideoParameters> videoParametersOf(const SdpMedia& m) {
  if (!m.videoCodec) return nullptr;
  media::VideoParameters p;
  p.codec = *m.videoCodec;
  p.vps = m.vps;
  p.sps = m.sps;
  p.pps = m.pps;
  for (const auto& sps : p.sps) {
    if (auto info = media::parseSps(p.codec, sps)) {
      p.width = info->width;
      p.height = info->height;
      break;
    }
  }
  return std::make_shared<const media::VideoParameters>(std::move(p));
}

}  // namespace vigil::rtsp

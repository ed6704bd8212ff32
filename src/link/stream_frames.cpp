#include "link/stream_frames.h"

#include "link/byte_reader.h"
#include "link/wire.h"

namespace vigil::link {

namespace {

enum Flag : uint8_t { kFirst = 1, kLast = 2, kKey = 4, kNewSegment = 8, kParams = 16, kAudio = 32 };
constexpr size_t kMaxChunkBytes = kMaxFrameBytes - kHeaderBytes;
constexpr size_t kMaxParameterSets = 8;
// No camera's pts is this far from 0 (90 kHz ticks: 800 000 years); within
// it, the differences the node above takes between two frames (fMP4's
// durations, the transcoder's count) cannot overflow.
constexpr int64_t kMaxPts = int64_t{1} << 61;
// What a camera's audio may be (rtsp's audioParametersOf takes no other).
constexpr uint32_t kMinAudioRate = 8000, kMaxAudioRate = 96000;
constexpr uint8_t kMaxAudioChannels = 8;
constexpr size_t kMaxAudioConfig = 64;

uint8_t audioCodecByte(media::AudioCodec codec) {
  switch (codec) {
    case media::AudioCodec::kAac: return 0;
    case media::AudioCodec::kPcmu: return 1;
    case media::AudioCodec::kPcma: return 2;
  }
  return 0;
}

void putAudioParams(std::vector<uint8_t>& out, const media::AudioParameters& p) {
  out.push_back(audioCodecByte(p.codec));
  putU32(out, static_cast<uint32_t>(p.sampleRate));
  out.push_back(static_cast<uint8_t>(p.channels));
  out.push_back(static_cast<uint8_t>(p.config.size()));
  putBytes(out, p.config);
}

// Why the audio parameters cannot be read, if they cannot.
const char* readAudioParams(Reader& r, media::AudioParameters& p) {
  uint8_t codec = 0, channels = 0, configSize = 0;
  uint32_t rate = 0;
  std::span<const uint8_t> config;
  if (!r.u8(codec) || !r.u32(rate) || !r.u8(channels) || !r.u8(configSize) || !r.view(config, configSize)) {
    return "truncated audio parameters";
  }
  if (codec > 2) return "unknown audio codec";
  if (rate < kMinAudioRate || rate > kMaxAudioRate) return "audio rate out of range";
  if (channels < 1 || channels > kMaxAudioChannels) return "audio channels out of range";
  if (configSize > kMaxAudioConfig || (codec != 0 && configSize != 0)) return "bad audio config";
  p.codec = codec == 0 ? media::AudioCodec::kAac : codec == 1 ? media::AudioCodec::kPcmu : media::AudioCodec::kPcma;
  p.sampleRate = static_cast<int>(rate);
  p.channels = channels;
  p.config.assign(config.begin(), config.end());
  return nullptr;
}

void putSets(std::vector<uint8_t>& out, const std::vector<media::Bytes>& sets) {
  out.push_back(static_cast<uint8_t>(sets.size()));
  for (const auto& s : sets) {
    putU16(out, static_cast<uint16_t>(s.size()));
    putBytes(out, s);
  }
}

bool readSets(Reader& r, std::vector<media::Bytes>& sets) {
  uint8_t count = 0;
  if (!r.u8(count) || count > kMaxParameterSets) return false;
  for (uint8_t i = 0; i < count; ++i) {
    uint16_t size = 0;
    std::span<const uint8_t> bytes;
    if (!r.u16(size) || !r.view(bytes, size)) return false;
    sets.emplace_back(bytes.begin(), bytes.end());
  }
  return true;
}

}  // namespace

void StreamEncoder::encode(const media::Frame& frame, bool newSegment, std::vector<std::vector<uint8_t>>& out) {
  if (frame.audio && frame.data.size() > StreamDecoder::kMaxAudioFrameBytes) return;  // refused above
  std::vector<uint8_t> head;
  uint8_t flags = kFirst;
  if (frame.keyframe || frame.audio) flags |= kKey;
  if (newSegment) flags |= kNewSegment;
  const bool params = frame.audio || (frame.keyframe && frame.params);
  if (params) flags |= kParams;
  if (frame.audio) flags |= kAudio;
  putU64(head, static_cast<uint64_t>(frame.pts.ticks()));
  putU64(head, static_cast<uint64_t>(frame.captureTime.unixMicros()));
  putU32(head, static_cast<uint32_t>(frame.data.size()));
  if (frame.audio) {
    putAudioParams(head, *frame.audio);
  } else if (params) {
    const media::VideoParameters& p = *frame.params;
    head.push_back(p.codec == media::VideoCodec::kH265 ? 1 : 0);
    putU16(head, static_cast<uint16_t>(p.width));
    putU16(head, static_cast<uint16_t>(p.height));
    putSets(head, p.vps);
    putSets(head, p.sps);
    putSets(head, p.pps);
  }
  std::span<const uint8_t> rest(frame.data);
  bool first = true;
  do {
    std::vector<uint8_t> payload;
    const size_t overhead = 5 + (first ? head.size() : 0);
    const size_t n = std::min(rest.size(), kMaxChunkBytes - overhead);
    putU32(payload, seq_++);
    uint8_t f = first ? flags : 0;
    if (n == rest.size()) f |= kLast;
    payload.push_back(f);
    if (first) putBytes(payload, head);
    putBytes(payload, rest.first(n));
    rest = rest.subspan(n);
    out.push_back(std::move(payload));
    first = false;
  } while (!rest.empty());
}

Result<std::optional<StreamDecoder::Output>> StreamDecoder::push(std::span<const uint8_t> payload) {
  Reader r(payload, "stream data");
  uint32_t seq = 0;
  uint8_t flags = 0;
  if (!r.u32(seq) || !r.u8(flags)) return r.truncated();
  if (flags & ~(kFirst | kLast | kKey | kNewSegment | kParams | kAudio)) return r.error("unknown flags");
  if (!(flags & kFirst) && (flags & ~kLast)) return r.error("frame flags on a continuation");
  const bool gap = nextSeq_ && seq != *nextSeq_;
  nextSeq_ = seq + 1;
  if (gap) {
    partial_.reset();
    waitKeyframe_ = true;
    gapBefore_ = true;
  }
  if (flags & kFirst) {
    media::Frame f;
    uint64_t pts = 0, capture = 0;
    uint32_t size = 0;
    if (!r.u64(pts) || !r.u64(capture) || !r.u32(size)) return r.truncated();
    if (size > kMaxFrameBytes) return r.error("frame too large");
    if (static_cast<int64_t>(pts) > kMaxPts || static_cast<int64_t>(pts) < -kMaxPts) return r.error("pts out of range");
    f.pts = MediaTime(static_cast<int64_t>(pts));
    f.captureTime = WallTime::fromUnixMicros(static_cast<int64_t>(capture));
    f.keyframe = flags & kKey;
    if (flags & kAudio) {
      if (!f.keyframe || !(flags & kParams)) return r.error("an audio frame without its parameters");
      if (size > kMaxAudioFrameBytes) return r.error("audio frame too large");
      media::AudioParameters p;
      if (const char* why = readAudioParams(r, p)) return r.error(why);
      if (!audioParams_ || !(*audioParams_ == p)) audioParams_ = std::make_shared<const media::AudioParameters>(std::move(p));
    } else if (flags & kParams) {
      if (!f.keyframe) return r.error("parameters on a frame that is not a keyframe");
      media::VideoParameters p;
      uint8_t codec = 0;
      uint16_t width = 0, height = 0;
      if (!r.u8(codec) || !r.u16(width) || !r.u16(height)) return r.truncated();
      if (codec > 1) return r.error("unknown codec");
      p.codec = codec == 1 ? media::VideoCodec::kH265 : media::VideoCodec::kH264;
      p.width = width;
      p.height = height;
      if (!readSets(r, p.vps) || !readSets(r, p.sps) || !readSets(r, p.pps)) return r.error("bad parameter sets");
      if (!params_ || !(*params_ == p)) params_ = std::make_shared<const media::VideoParameters>(std::move(p));
    }
    if (partial_) {  // the previous frame never finished
      waitKeyframe_ = true;
      gapBefore_ = true;
    }
    partial_.reset();
    if (flags & kAudio) {
      // Whole on its own: no wait for a video keyframe.
      f.audio = audioParams_;
      partialNewSegment_ = flags & kNewSegment;
    } else {
      if (waitKeyframe_ && !(f.keyframe && params_)) return std::optional<Output>();
      waitKeyframe_ = false;
      f.params = params_;
      partialNewSegment_ = std::exchange(gapBefore_, false) || (flags & kNewSegment);
    }
    f.data.reserve(size);
    partial_ = std::move(f);
    partialSize_ = size;
  } else if (!partial_) {
    return std::optional<Output>();  // the rest of a frame being skipped
  }
  std::span<const uint8_t> bytes;
  (void)r.view(bytes, r.left());
  if (partial_->data.size() + bytes.size() > partialSize_) return r.error("more bytes than the frame's size");
  partial_->data.insert(partial_->data.end(), bytes.begin(), bytes.end());
  if (!(flags & kLast)) return std::optional<Output>();
  if (partial_->data.size() != partialSize_) return r.error("fewer bytes than the frame's size");
  Output out{std::make_shared<const media::Frame>(std::move(*partial_)), partialNewSegment_};
  partial_.reset();
  return std::optional<Output>(std::move(out));
}

}  // namespace vigil::link

#include "media/fmp4.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <limits>

#include "media/mp4_boxes.h"
#include "media/parameter_sets.h"

namespace vigil::media {

using mp4::BoxWriter;

namespace {

// Empty sample tables: every sample is in a fragment.
void writeEmptySampleTables(BoxWriter& t) {
  for (const char* type : {"stts", "stsc", "stco"}) {
    const size_t box = t.openFull(type, 0, 0);
    t.u32(0);
    t.close(box);
  }
  const size_t stsz = t.openFull("stsz", 0, 0);
  t.u32(0);
  t.u32(0);
  t.close(stsz);
}

void writeTrex(BoxWriter& w, uint32_t trackId) {
  const size_t trex = w.openFull("trex", 0, 0);
  w.u32(trackId);
  w.u32(1);  // default_sample_description_index
  w.u32(0);  // default_sample_duration, _size, _flags: every trun says
  w.u32(0);
  w.u32(0);
  w.close(trex);
}

}  // namespace

Result<Bytes> fmp4InitSegment(const VideoParameters& params, const AudioParameters* audio) {
  auto config = mp4::decoderConfiguration(params);
  if (!config) return config.status();
  const std::vector<mp4::SampleEntry> entries{{&params, std::move(config.value())}};
  const mp4::TrackTimes times;  // no creation time, duration in the fragments
  Bytes out;
  BoxWriter w(out);
  // iso5: default-base-is-moof and tfdt; iso6: the brand MSE parsers expect.
  mp4::writeFtyp(w, "iso5", 0x200, {"iso5", "iso6", "mp41"});
  const size_t moov = w.open("moov");
  mp4::writeMvhd(w, times, audio ? 2 : 1);
  mp4::writeVideoTrak(w, times, entries, mp4::HevcEntry::kHvc1, writeEmptySampleTables, kVideoTrackId);
  if (audio) mp4::writeAudioTrak(w, times, {audio}, writeEmptySampleTables, kAudioTrackId);
  const size_t mvex = w.open("mvex");
  writeTrex(w, kVideoTrackId);
  if (audio) writeTrex(w, kAudioTrackId);
  w.close(mvex);
  w.close(moov);
  return out;
}

std::string codecString(const AudioParameters& params) {
  if (params.codec == AudioCodec::kPcma) return "alaw";
  if (params.codec == AudioCodec::kPcmu) return "ulaw";
  // The audio object type: the config's first 5 bits (2: AAC-LC).
  const int objectType = params.config.empty() ? 2 : params.config[0] >> 3;
  return fmt::format("mp4a.40.{}", objectType);
}

uint32_t audioFrameDuration(const Frame& frame) {
  const AudioParameters& a = *frame.audio;
  const uint64_t samples = a.codec == AudioCodec::kAac ? 1024 : frame.data.size() / static_cast<size_t>(std::max(a.channels, 1));
  return static_cast<uint32_t>(samples * MediaDuration::kTicksPerSecond / static_cast<uint64_t>(std::max(a.sampleRate, 1)));
}

Result<std::string> codecString(const VideoParameters& params) {
  if (params.sps.empty()) return Status::failedPrecondition("no SPS to read the profile and level from");
  auto sps = parseSps(params.codec, params.sps.front());
  if (!sps) return sps.status();
  if (params.codec == VideoCodec::kH264) return "avc1." + h264ProfileLevelId(*sps);
  // ISO/IEC 14496-15 annex E: hvc1.[space]profile.compat.(L|H)level.constraints
  const auto& ptl = sps->h265GeneralProfileTierLevel;
  const int space = ptl[0] >> 6;
  uint32_t compat = 0;
  for (int i = 0; i < 4; ++i) compat = compat << 8 | ptl[1 + static_cast<size_t>(i)];
  uint32_t reversed = 0;  // the flags in reverse bit order
  for (int i = 0; i < 32; ++i) reversed |= ((compat >> i) & 1) << (31 - i);
  std::string out = fmt::format("hvc1.{}{}.{:x}.{}{}", space ? std::string(1, static_cast<char>('A' + space - 1)) : "",
                                ptl[0] & 0x1f, reversed, (ptl[0] & 0x20) ? 'H' : 'L', ptl[11]);
  // The six constraint bytes, trailing zero bytes left out.
  size_t last = 5;
  while (last > 0 && ptl[5 + last] == 0) --last;
  for (size_t i = 0; i <= last; ++i) out += fmt::format(".{:X}", ptl[5 + i]);
  return out;
}

Bytes fragmentHeader(uint32_t sequence, uint64_t baseDecodeTime, std::span<const FragmentSample> samples,
                     uint32_t trackId) {
  // sample_flags: sample_depends_on 2 (an I picture) for keyframes; else
  // depends_on 1 and sample_is_non_sync_sample.
  constexpr uint32_t kKeyframeFlags = 0x02000000;
  constexpr uint32_t kOtherFlags = 0x01010000;
  Bytes out;
  out.reserve(100 + 12 * samples.size());
  BoxWriter w(out);
  const size_t moof = w.open("moof");
  const size_t mfhd = w.openFull("mfhd", 0, 0);
  w.u32(sequence);
  w.close(mfhd);
  const size_t traf = w.open("traf");
  const size_t tfhd = w.openFull("tfhd", 0, 0x020000);  // default-base-is-moof
  w.u32(trackId);
  w.close(tfhd);
  const size_t tfdt = w.openFull("tfdt", 1, 0);
  w.u64(baseDecodeTime);
  w.close(tfdt);
  // data-offset, sample-duration, sample-size and sample-flags present.
  const size_t trun = w.openFull("trun", 0, 0x000701);
  w.u32(static_cast<uint32_t>(samples.size()));
  const size_t dataOffset = w.size();
  w.u32(0);  // patched below: from the moof's first byte to the first sample
  uint64_t payload = 0;
  for (const FragmentSample& s : samples) {
    w.u32(s.duration);
    w.u32(s.size);
    w.u32(s.keyframe ? kKeyframeFlags : kOtherFlags);
    payload += s.size;
  }
  w.close(trun);
  w.close(traf);
  w.close(moof);
  // A fragment past 4 GiB needs the 64-bit mdat size.
  const bool large = payload + 8 > std::numeric_limits<uint32_t>::max();
  if (large) {
    w.u32(1);
    w.fourcc("mdat");
    w.u64(payload + 16);
  } else {
    w.u32(static_cast<uint32_t>(payload + 8));
    w.fourcc("mdat");
  }
  w.patchU32(dataOffset, static_cast<uint32_t>(out.size() - moof));
  return out;
}

uint64_t Fragment::size() const {
  uint64_t n = header.size();
  for (const auto& f : frames) n += f->data.size();
  return n;
}

std::vector<ByteView> Fragment::buffers() const {
  std::vector<ByteView> out;
  out.reserve(frames.size() + 1);
  out.emplace_back(header);
  for (const auto& f : frames) out.emplace_back(f->data);
  return out;
}

Bytes Fragment::contiguous() const {
  Bytes out;
  out.reserve(size());
  for (ByteView b : buffers()) out.insert(out.end(), b.begin(), b.end());
  return out;
}

Result<Fragment> buildFragment(uint32_t sequence, uint64_t baseDecodeTime,
                               std::vector<std::shared_ptr<const Frame>> frames, std::optional<uint32_t> lastDuration,
                               uint32_t trackId) {
  if (frames.empty()) return Status::invalidArgument("a fragment needs at least one frame");
  constexpr uint32_t kDefaultDuration = MediaDuration::kTicksPerSecond / 25;
  std::vector<FragmentSample> samples(frames.size());
  uint64_t total = 0;
  for (size_t i = 0; i < frames.size(); ++i) {
    const Frame& f = *frames[i];
    uint32_t duration = 0;
    if (i + 1 < frames.size()) {
      const int64_t delta = (frames[i + 1]->pts - f.pts).ticks();
      if (delta <= 0 || delta > std::numeric_limits<uint32_t>::max()) {
        return Status::invalidArgument(fmt::format("frame {} of a fragment: pts {} then {}", i, f.pts.ticks(),
                                                   frames[i + 1]->pts.ticks()));
      }
      duration = static_cast<uint32_t>(delta);
    } else {
      duration = lastDuration.value_or(i > 0 ? samples[i - 1].duration : kDefaultDuration);
    }
    if (f.data.size() > std::numeric_limits<uint32_t>::max()) {
      return Status::invalidArgument(fmt::format("a frame of {} bytes", f.data.size()));
    }
    samples[i] = {static_cast<uint32_t>(f.data.size()), duration, f.keyframe};
    total += duration;
  }
  Fragment out;
  out.header = fragmentHeader(sequence, baseDecodeTime, samples, trackId);
  out.frames = std::move(frames);
  out.baseDecodeTime = baseDecodeTime;
  out.duration = total;
  return out;
}

Result<LiveFmp4Writer::Output> LiveFmp4Writer::write(std::shared_ptr<const Frame> frame, bool restart) {
  if (!frame->params) return Status::failedPrecondition("a frame without parameter sets");
  Output out;
  if (!params_ || (frame->params != params_ && *frame->params != *params_)) {
    auto init = fmp4InitSegment(*frame->params, audio_.get());
    if (!init) return init.status();
    auto codec = codecString(*frame->params);
    if (!codec) return codec.status();
    out.init = std::make_shared<const Bytes>(std::move(init.value()));
    out.codec = std::move(codec.value());
    if (audio_) out.codec += "," + codecString(*audio_);
    params_ = frame->params;
  }
  if (lastPts_ && !restart) {
    const int64_t delta = (frame->pts - *lastPts_).ticks();
    if (delta > 0 && delta <= std::numeric_limits<uint32_t>::max()) lastDuration_ = static_cast<uint32_t>(delta);
  }
  lastPts_ = frame->pts;
  lastDecodeTime_ = decodeTime_;
  auto fragment = buildFragment(++sequence_, decodeTime_, {std::move(frame)}, lastDuration_);
  if (!fragment) return fragment.status();
  decodeTime_ += fragment->duration;
  out.fragment = std::move(fragment.value());
  return out;
}

std::optional<Fragment> LiveFmp4Writer::writeAudio(std::shared_ptr<const Frame> frame) {
  if (!audio_ || !lastPts_ || !frame->audio) return std::nullopt;
  constexpr int64_t kFollowOn = MediaDuration::kTicksPerSecond / 10;
  int64_t at = static_cast<int64_t>(lastDecodeTime_) + (frame->pts - *lastPts_).ticks();
  if (audioEnd_ && std::abs(at - static_cast<int64_t>(*audioEnd_)) <= kFollowOn) {
    at = static_cast<int64_t>(*audioEnd_);
  } else if (at < 0 || (audioEnd_ && at < static_cast<int64_t>(*audioEnd_))) {
    return std::nullopt;
  }
  const uint32_t duration = audioFrameDuration(*frame);
  if (duration == 0) return std::nullopt;
  auto fragment = buildFragment(++sequence_, static_cast<uint64_t>(at), {std::move(frame)}, duration, kAudioTrackId);
  if (!fragment) return std::nullopt;
  audioEnd_ = static_cast<uint64_t>(at) + duration;
  return std::move(fragment.value());
}

}  // namespace vigil::media

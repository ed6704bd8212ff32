#include "storage/fragmented.h"

#include <fmt/format.h>

#include <map>

#include "media/audio.h"
#include "media/fmp4.h"

namespace vigil::storage {

namespace {

// Samples in an AAC-LC frame.
constexpr uint64_t kAacFrame = 1024;

// G.711 is a byte a sample per channel.
uint64_t g711Samples(const PlaybackSegment& seg) { return seg.bytes / static_cast<uint64_t>(seg.audio->channels); }

// 90 kHz duration of AAC frame `k` at `rate`, rounded so that the frames'
// times do not drift from the samples'.
uint32_t aacFrameTicks(uint64_t k, int rate) {
  const auto at = [&](uint64_t n) { return n * kAacFrame * MediaDuration::kTicksPerSecond / static_cast<uint64_t>(rate); };
  return static_cast<uint32_t>(at(k + 1) - at(k));
}

}  // namespace

Result<FragmentedPlayback> FragmentedPlayback::build(PlaybackPlan plan, const PlaybackPlan* audio, G711ToAacFrames toAac) {
  if (plan.segments.empty()) return Status::failedPrecondition("nothing recorded in the range");
  FragmentedPlayback out;
  if (audio) {
    for (const PlaybackSegment& seg : audio->segments) {
      if (!seg.audio) continue;
      if (!out.audio_.segments.empty()) {
        if (*seg.audio != *out.audio_.segments.front().audio) continue;
      } else if (seg.audio->codec != media::AudioCodec::kAac && (!toAac || !toAac(*seg.audio, {}).isOk())) {
        continue;  // G.711 that cannot be made AAC
      }
      out.audio_.segments.push_back(seg);
    }
  }
  std::shared_ptr<const media::AudioParameters> aac;
  if (!out.audio_.segments.empty()) {
    aac = out.audio_.segments.front().audio;
    if (aac->codec != media::AudioCodec::kAac) {
      out.toAac_ = std::move(toAac);
      aac = std::make_shared<const media::AudioParameters>(media::AudioParameters{
          media::AudioCodec::kAac, aac->sampleRate, aac->channels,
          media::aacLcAudioSpecificConfig(aac->sampleRate, aac->channels)});
    }
  }
  std::map<int64_t, size_t> initOf;  // sample entry id -> index in inits_
  uint64_t decodeTime = 0;
  for (size_t si = 0; si < plan.segments.size(); ++si) {
    const PlaybackSegment& seg = plan.segments[si];
    auto [it, added] = initOf.emplace(seg.sampleEntryId, out.inits_.size());
    if (added) {
      auto init = media::fmp4InitSegment(*seg.params, aac.get());
      if (!init) return init.status();
      out.inits_.push_back(std::make_shared<const media::Bytes>(std::move(init.value())));
    }
    const bool followsOn = si > 0 && seg.start == plan.segments[si - 1].end &&
                           seg.sampleEntryId == plan.segments[si - 1].sampleEntryId;
    int64_t ticks = 0;  // from the segment's start
    uint64_t offset = seg.fileOffset;
    for (size_t i = 0; i < seg.samples.size(); ++i) {
      const SampleInfo& s = seg.samples[i];
      if (i == 0 || s.keyframe) {
        PlaybackFragment f;
        f.init = it->second;
        f.start = WallTime::fromUnixMicros(seg.start.unixMicros() + ticksToMicros(ticks));
        f.discontinuity = i == 0 && si > 0 && !followsOn;
        f.segment = si;
        f.firstSample = i;
        f.fileOffset = offset;
        f.baseDecodeTime = decodeTime;
        out.fragments_.push_back(f);
      }
      PlaybackFragment& f = out.fragments_.back();
      f.mediaDuration += s.duration;
      f.bytes += s.bytes;
      ++f.frames;
      ticks += s.duration;
      offset += s.bytes;
      decodeTime += static_cast<uint64_t>(s.duration);
    }
  }
  out.plan_ = std::move(plan);
  out.placeAudio();
  return out;
}

void FragmentedPlayback::placeAudio() {
  if (audio_.segments.empty()) return;
  // Fragments are in time order and so is audio: one walk.
  size_t fi = 0;
  // Unit `i` of audio segment `si` (a stored sample, or an AAC frame to be
  // made of G.711) starts at wall time `at` (µs); false past the last fragment.
  auto place = [&](size_t si, size_t i, int64_t at, uint64_t offset, uint64_t bytes) {
    auto endOf = [&](const PlaybackFragment& f) { return f.start.unixMicros() + ticksToMicros(f.mediaDuration); };
    while (fi < fragments_.size() && endOf(fragments_[fi]) <= at) ++fi;
    if (fi == fragments_.size()) return false;
    PlaybackFragment& f = fragments_[fi];
    if (at < f.start.unixMicros()) return true;  // in a gap of the video
    const uint64_t decodeTime = f.baseDecodeTime + static_cast<uint64_t>((at - f.start.unixMicros()) * 9 / 100);
    if (f.audio.empty() || f.audio.back().segment != si || f.audio.back().firstSample + f.audio.back().samples != i) {
      f.audio.push_back({si, i, 0, offset, 0, decodeTime});
    }
    ++f.audio.back().samples;
    f.audio.back().bytes += bytes;
    return true;
  };
  for (size_t si = 0; si < audio_.segments.size(); ++si) {
    const PlaybackSegment& seg = audio_.segments[si];
    if (toAac_) {
      const uint64_t rate = static_cast<uint64_t>(seg.audio->sampleRate);
      for (uint64_t k = 0; k * kAacFrame < g711Samples(seg); ++k) {
        const int64_t at = seg.start.unixMicros() + static_cast<int64_t>(k * kAacFrame * 1000000 / rate);
        if (!place(si, k, at, 0, 0)) return;
      }
      continue;
    }
    int64_t ticks = 0;  // from the segment's start
    uint64_t offset = seg.fileOffset;
    for (size_t i = 0; i < seg.samples.size(); ++i) {
      const SampleInfo& s = seg.samples[i];
      if (!place(si, i, seg.start.unixMicros() + ticksToMicros(ticks), offset, s.bytes)) return;
      ticks += s.duration;
      offset += s.bytes;
    }
  }
}

Result<std::vector<media::Bytes>> FragmentedPlayback::madeAac(const PlaybackFragment::AudioRun& run) const {
  const PlaybackSegment& seg = audio_.segments[run.segment];
  const uint64_t channels = static_cast<uint64_t>(seg.audio->channels);
  // A frame of context on either side: the run's first frame then decodes
  // as it would in the middle of the stream, and so does its last.
  const uint64_t firstFrame = run.firstSample == 0 ? 0 : run.firstSample - 1;
  const uint64_t from = firstFrame * kAacFrame;
  const uint64_t to = std::min(g711Samples(seg), (run.firstSample + run.samples + 1) * kAacFrame);
  const uint64_t length = (to - from) * channels;
  const VirtualFile stretch({samplesSlice(seg, 0, seg.fileOffset + from * channels, length)});
  auto bytes = stretch.read(0, length);
  if (!bytes) return bytes.status();
  auto frames = toAac_(*seg.audio, *bytes);
  if (!frames) return frames.status();
  const size_t skip = run.firstSample - firstFrame;
  if (frames->size() < skip + run.samples) {
    return Status::internal(fmt::format("G.711 made {} AAC frames, {} wanted", frames->size(), skip + run.samples));
  }
  return std::vector<media::Bytes>(frames->begin() + static_cast<ptrdiff_t>(skip),
                                   frames->begin() + static_cast<ptrdiff_t>(skip + run.samples));
}

Result<std::shared_ptr<const VirtualFile>> FragmentedPlayback::fragment(size_t index) const {
  if (index >= fragments_.size()) {
    return Status::notFound(fmt::format("no fragment {} (of {})", index, fragments_.size()));
  }
  const PlaybackFragment& f = fragments_[index];
  const PlaybackSegment& seg = plan_.segments[f.segment];
  std::vector<media::FragmentSample> samples;
  samples.reserve(f.frames);
  for (size_t i = f.firstSample; i < f.firstSample + f.frames; ++i) {
    const SampleInfo& s = seg.samples[i];
    samples.push_back({s.bytes, static_cast<uint32_t>(s.duration), s.keyframe});
  }
  auto header = std::make_shared<const media::Bytes>(
      media::fragmentHeader(static_cast<uint32_t>(index + 1), f.baseDecodeTime, samples));
  std::vector<VirtualFile::Slice> slices;
  slices.push_back({0, header->size(), header, {}, 0});
  slices.push_back(samplesSlice(seg, header->size(), f.fileOffset, f.bytes));
  uint64_t at = header->size() + f.bytes;
  // Each audio run: a moof of track 2 and its mdat, after the video's.
  for (const PlaybackFragment::AudioRun& run : f.audio) {
    const PlaybackSegment& aseg = audio_.segments[run.segment];
    samples.clear();
    std::shared_ptr<const media::Bytes> made;  // AAC made of G.711, back to back
    if (toAac_) {
      auto frames = madeAac(run);
      if (!frames) return frames.status();
      media::Bytes joined;
      for (size_t k = 0; k < frames->size(); ++k) {
        const media::Bytes& frame = (*frames)[k];
        samples.push_back({static_cast<uint32_t>(frame.size()), aacFrameTicks(run.firstSample + k, aseg.audio->sampleRate), true});
        joined.insert(joined.end(), frame.begin(), frame.end());
      }
      made = std::make_shared<const media::Bytes>(std::move(joined));
    } else {
      for (size_t i = run.firstSample; i < run.firstSample + run.samples; ++i) {
        const SampleInfo& s = aseg.samples[i];
        samples.push_back({s.bytes, static_cast<uint32_t>(s.duration), true});
      }
    }
    auto audioHeader = std::make_shared<const media::Bytes>(
        media::fragmentHeader(static_cast<uint32_t>(index + 1), run.baseDecodeTime, samples, media::kAudioTrackId));
    slices.push_back({at, audioHeader->size(), audioHeader, {}, 0});
    at += audioHeader->size();
    if (made) {
      slices.push_back({at, made->size(), made, {}, 0});
      at += made->size();
    } else {
      slices.push_back(samplesSlice(aseg, at, run.fileOffset, run.bytes));
      at += run.bytes;
    }
  }
  return std::make_shared<const VirtualFile>(std::move(slices));
}

std::string FragmentedPlayback::playlist(const std::function<std::string(size_t)>& fragmentUri,
                                         const std::function<std::string(size_t)>& initUri) const {
  std::vector<media::HlsSegment> segments;
  segments.reserve(fragments_.size());
  std::vector<std::string> initUris;
  for (size_t i = 0; i < inits_.size(); ++i) initUris.push_back(initUri(i));
  for (size_t i = 0; i < fragments_.size(); ++i) {
    const PlaybackFragment& f = fragments_[i];
    segments.push_back({MediaDuration(f.mediaDuration), fragmentUri(i), initUris[f.init], f.discontinuity, f.start});
  }
  return media::renderVodPlaylist(segments);
}

}  // namespace vigil::storage

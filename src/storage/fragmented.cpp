#include "storage/fragmented.h"

#include <fmt/format.h>

#include <map>

#include "media/fmp4.h"

namespace vigil::storage {

Result<FragmentedPlayback> FragmentedPlayback::build(PlaybackPlan plan, const PlaybackPlan* audio) {
  if (plan.segments.empty()) return Status::failedPrecondition("nothing recorded in the range");
  FragmentedPlayback out;
  if (audio) {
    for (const PlaybackSegment& seg : audio->segments) {
      if (!seg.audio || seg.audio->codec != media::AudioCodec::kAac) continue;
      if (!out.audio_.segments.empty() && *seg.audio != *out.audio_.segments.front().audio) continue;
      out.audio_.segments.push_back(seg);
    }
  }
  const media::AudioParameters* aac = out.audio_.segments.empty() ? nullptr : out.audio_.segments.front().audio.get();
  std::map<int64_t, size_t> initOf;  // sample entry id -> index in inits_
  uint64_t decodeTime = 0;
  for (size_t si = 0; si < plan.segments.size(); ++si) {
    const PlaybackSegment& seg = plan.segments[si];
    auto [it, added] = initOf.emplace(seg.sampleEntryId, out.inits_.size());
    if (added) {
      auto init = media::fmp4InitSegment(*seg.params, aac);
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
  // Fragments are in time order and so are audio samples: one walk.
  size_t fi = 0;
  for (size_t si = 0; si < audio_.segments.size(); ++si) {
    const PlaybackSegment& seg = audio_.segments[si];
    int64_t ticks = 0;  // from the segment's start
    uint64_t offset = seg.fileOffset;
    for (size_t i = 0; i < seg.samples.size(); ++i) {
      const SampleInfo& s = seg.samples[i];
      const int64_t at = seg.start.unixMicros() + ticksToMicros(ticks);
      ticks += s.duration;
      const uint64_t sampleOffset = offset;
      offset += s.bytes;
      auto endOf = [&](const PlaybackFragment& f) {
        return f.start.unixMicros() + ticksToMicros(f.mediaDuration);
      };
      while (fi < fragments_.size() && endOf(fragments_[fi]) <= at) ++fi;
      if (fi == fragments_.size()) return;
      PlaybackFragment& f = fragments_[fi];
      if (at < f.start.unixMicros()) continue;  // in a gap of the video
      const uint64_t decodeTime = f.baseDecodeTime + static_cast<uint64_t>((at - f.start.unixMicros()) * 9 / 100);
      if (f.audio.empty() || f.audio.back().segment != si ||
          f.audio.back().firstSample + f.audio.back().samples != i) {
        f.audio.push_back({si, i, 0, sampleOffset, 0, decodeTime});
      }
      ++f.audio.back().samples;
      f.audio.back().bytes += s.bytes;
    }
  }
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
    for (size_t i = run.firstSample; i < run.firstSample + run.samples; ++i) {
      const SampleInfo& s = aseg.samples[i];
      samples.push_back({s.bytes, static_cast<uint32_t>(s.duration), true});
    }
    auto audioHeader = std::make_shared<const media::Bytes>(
        media::fragmentHeader(static_cast<uint32_t>(index + 1), run.baseDecodeTime, samples, media::kAudioTrackId));
    slices.push_back({at, audioHeader->size(), audioHeader, {}, 0});
    at += audioHeader->size();
    slices.push_back(samplesSlice(aseg, at, run.fileOffset, run.bytes));
    at += run.bytes;
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

#include "storage/mp4.h"

#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <span>

#include "media/mp4_boxes.h"

namespace vigil::storage {
namespace {

using media::Bytes;
using media::mp4::BoxWriter;

using media::mp4::Edit;

// A decoder cannot change codec within a track: each run of segments with
// one codec is a track of its own.
struct Track {
  bool audio = false;
  size_t first = 0;  // segments [first, last) of the plan's, then the audio's
  size_t last = 0;
  int64_t duration = 0;  // of its media, 90 kHz, holds included
  std::vector<media::mp4::SampleEntry> entries;  // stsd order
  std::vector<const media::AudioParameters*> audioEntries;  // for an audio track
  std::vector<uint32_t> chunkEntry;              // per segment of the track: 1-based stsd index
  // Per segment of the track: ticks added to its last sample's duration,
  // the gap before the track's next segment.
  std::vector<int64_t> hold;
  std::vector<Edit> edits;
};

// The movie's timeline is the wall clock from the range's start: 90 kHz
// ticks since plan.start.
int64_t movieTicks(const PlaybackPlan& plan, WallTime t) { return (t - plan.start).count() * 9 / 100; }

// Where a track's media shows on the movie's timeline (design/STORAGE.md,
// "Read path"), which is the wall clock: an empty edit until the track's
// first segment when that starts after plan.start (a range starting in a
// gap, the track after a codec change); then its media from plan.start
// (the media starts at the keyframe before) to plan.end. Gaps within the
// track are in the media itself (Track::hold), not empty edits: ffmpeg,
// and the players built on it, play the media from its start again
// during an empty edit that follows another edit (DECISIONS 43).
std::vector<Edit> editList(const PlaybackPlan& plan, const std::vector<const PlaybackSegment*>& segments,
                           const Track& track) {
  std::vector<Edit> edits;
  const int64_t begin = movieTicks(plan, segments[track.first]->start);
  const int64_t end = std::min(movieTicks(plan, plan.end), begin + track.duration);
  if (begin > 0) edits.push_back({static_cast<uint64_t>(begin), Edit::kEmptyEdit});
  const int64_t from = std::max<int64_t>(begin, 0);
  if (end > from) edits.push_back({static_cast<uint64_t>(end - from), from - begin});
  return edits;
}

// ftyp + moov + the mdat header, with chunk offsets measured from
// `mediaStart` (the first byte after the mdat header). The mdat holds the
// plan's segments in order, whatever track they belong to, then the
// audio's.
Bytes buildHeader(const std::vector<const PlaybackSegment*>& all, const std::vector<Track>& tracks,
                  uint64_t mediaStart) {
  Bytes out;
  BoxWriter w(out);
  media::mp4::writeFtyp(w, "isom", 0x200, {"isom", "iso2", "avc1", "mp41"});
  const uint64_t created = media::mp4::mp4Time(all.front()->start);
  const size_t moov = w.open("moov");
  uint64_t movieDuration = 0;
  for (const Track& track : tracks) {
    uint64_t edited = 0;
    for (const Edit& e : track.edits) edited += e.duration;
    movieDuration = std::max(movieDuration, edited);
  }
  media::mp4::writeMvhd(w, {.created = created, .duration = movieDuration}, static_cast<uint32_t>(tracks.size()));
  std::vector<uint64_t> chunkOffsets;  // per segment
  uint64_t offset = mediaStart;
  for (const PlaybackSegment* seg : all) {
    chunkOffsets.push_back(offset);
    offset += seg->bytes;
  }
  for (size_t k = 0; k < tracks.size(); ++k) {
    const Track& track = tracks[k];
    const std::span<const PlaybackSegment* const> segments(all.data() + track.first, track.last - track.first);
    const media::mp4::TrackTimes times{created, static_cast<uint64_t>(track.duration), track.edits};
    const auto sampleTables = [&](BoxWriter& t) {
          // stts: runs of equal durations.
          std::vector<std::pair<uint32_t, uint32_t>> runs;  // count, duration
          std::vector<uint32_t> sync;
          std::vector<uint32_t> sizes;
          for (size_t i = 0; i < segments.size(); ++i) {
            for (const SampleInfo& s : segments[i]->samples) {
              const bool last = &s == &segments[i]->samples.back();
              const auto d = static_cast<uint32_t>(s.duration + (last ? track.hold[i] : 0));
              if (!runs.empty() && runs.back().second == d) {
                ++runs.back().first;
              } else {
                runs.emplace_back(1, d);
              }
              sizes.push_back(s.bytes);
              if (s.keyframe) sync.push_back(static_cast<uint32_t>(sizes.size()));
            }
          }
          const size_t stts = t.openFull("stts", 0, 0);
          t.u32(static_cast<uint32_t>(runs.size()));
          for (auto [count, d] : runs) {
            t.u32(count);
            t.u32(d);
          }
          t.close(stts);
          if (!track.audio) {  // every audio sample is a sync sample: no stss
            const size_t stss = t.openFull("stss", 0, 0);
            t.u32(static_cast<uint32_t>(sync.size()));
            for (uint32_t n : sync) t.u32(n);
            t.close(stss);
          }
          const size_t stsz = t.openFull("stsz", 0, 0);
          t.u32(0);
          t.u32(static_cast<uint32_t>(sizes.size()));
          for (uint32_t n : sizes) t.u32(n);
          t.close(stsz);
          // stsc: one chunk per segment; an entry wherever the run shape changes.
          const size_t stsc = t.openFull("stsc", 0, 0);
          std::vector<std::array<uint32_t, 3>> chunkRuns;
          for (size_t i = 0; i < segments.size(); ++i) {
            const auto perChunk = static_cast<uint32_t>(segments[i]->samples.size());
            if (chunkRuns.empty() || chunkRuns.back()[1] != perChunk || chunkRuns.back()[2] != track.chunkEntry[i]) {
              chunkRuns.push_back({static_cast<uint32_t>(i + 1), perChunk, track.chunkEntry[i]});
            }
          }
          t.u32(static_cast<uint32_t>(chunkRuns.size()));
          for (const auto& r : chunkRuns) {
            for (uint32_t v : r) t.u32(v);
          }
          t.close(stsc);
          const size_t co64 = t.openFull("co64", 0, 0);
          t.u32(static_cast<uint32_t>(segments.size()));
          for (size_t i = track.first; i < track.last; ++i) t.u64(chunkOffsets[i]);
          t.close(co64);
    };
    if (track.audio) {
      media::mp4::writeAudioTrak(w, times, track.audioEntries, sampleTables, static_cast<uint32_t>(k + 1));
    } else {
      // hvc1 (parameter sets only in the hvcC) would be wrong here: cameras
      // repeat them in band and one export may hold several sets.
      media::mp4::writeVideoTrak(w, times, track.entries, media::mp4::HevcEntry::kHev1, sampleTables,
                                 static_cast<uint32_t>(k + 1));
    }
  }
  w.close(moov);

  // mdat with a 64-bit size, so exports past 4 GiB need no other layout.
  w.u32(1);
  w.fourcc("mdat");
  w.u64(16 + offset - mediaStart);
  return out;
}

}  // namespace

VirtualFile::VirtualFile(std::vector<Slice> slices) : slices_(std::move(slices)) {
  for (const Slice& s : slices_) size_ = std::max(size_, s.start + s.length);
}

std::string VirtualFile::entityTag() const {
  // FNV-1a, 64 bits: a validator, not a defence against forgery.
  uint64_t hash = 0xcbf29ce484222325ull;
  auto mix = [&hash](const uint8_t* data, size_t n) {
    for (size_t i = 0; i < n; ++i) hash = (hash ^ data[i]) * 0x100000001b3ull;
  };
  auto mixNumber = [&mix](uint64_t v) { mix(reinterpret_cast<const uint8_t*>(&v), sizeof v); };
  for (const Slice& s : slices_) {
    mixNumber(s.start);
    mixNumber(s.length);
    if (s.memory) {
      mix(s.memory->data() + s.fileOffset, s.length);
    } else {
      mix(reinterpret_cast<const uint8_t*>(s.path.data()), s.path.size());
      mixNumber(s.fileOffset);
    }
  }
  return fmt::format("\"{:x}-{:016x}\"", size_, hash);
}

Result<Bytes> VirtualFile::read(uint64_t offset, size_t length) const {
  Bytes out;
  if (offset >= size_) return out;
  const uint64_t end = std::min<uint64_t>(size_, offset + length);
  out.reserve(static_cast<size_t>(end - offset));
  // The first slice that ends after `offset`.
  auto it = std::upper_bound(slices_.begin(), slices_.end(), offset,
                             [](uint64_t o, const Slice& s) { return o < s.start + s.length; });
  for (uint64_t pos = offset; pos < end && it != slices_.end(); ++it) {
    const uint64_t within = pos - it->start;
    const uint64_t take = std::min(end, it->start + it->length) - pos;
    if (it->memory) {
      const auto from = it->memory->begin() + static_cast<ptrdiff_t>(it->fileOffset + within);
      out.insert(out.end(), from, from + static_cast<ptrdiff_t>(take));
    } else {
      const int fd = ::open(it->path.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0) return Status::notFound(fmt::format("sample file {}: {}", it->path, std::strerror(errno)));
      const size_t at = out.size();
      out.resize(at + take);
      size_t done = 0;
      while (done < take) {
        const ssize_t n = ::pread(fd, out.data() + at + done, take - done,
                                  static_cast<off_t>(it->fileOffset + within + done));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        done += static_cast<size_t>(n);
      }
      ::close(fd);
      if (done != take) return Status::dataLoss(fmt::format("sample file {} is shorter than its index", it->path));
    }
    pos += take;
  }
  return out;
}

Result<std::shared_ptr<const VirtualFile>> buildMp4(const PlaybackPlan& plan, const PlaybackPlan* audio) {
  if (plan.segments.empty()) return Status::failedPrecondition("nothing recorded in the range");
  std::vector<const PlaybackSegment*> all;
  for (const PlaybackSegment& seg : plan.segments) all.push_back(&seg);
  if (audio) {
    for (const PlaybackSegment& seg : audio->segments) all.push_back(&seg);
  }
  std::vector<Track> tracks;
  std::map<int64_t, uint32_t> entryIndex;  // of the current track: sample entry id -> stsd index
  for (size_t i = 0; i < all.size(); ++i) {
    const PlaybackSegment& seg = *all[i];
    const bool isAudio = seg.audio != nullptr;
    const auto codecOf = [](const PlaybackSegment& s) {
      return s.audio ? 100 + static_cast<int>(s.audio->codec) : static_cast<int>(s.params->codec);
    };
    if (tracks.empty() || codecOf(seg) != codecOf(*all[tracks.back().first])) {
      tracks.push_back(Track{.audio = isAudio, .first = i});
      entryIndex.clear();
    }
    Track& track = tracks.back();
    track.last = i + 1;
    track.duration += seg.mediaDuration;
    auto [it, added] = entryIndex.emplace(seg.sampleEntryId, static_cast<uint32_t>(track.entries.size() +
                                                                                   track.audioEntries.size() + 1));
    if (added && isAudio) {
      track.audioEntries.push_back(seg.audio.get());
    } else if (added) {
      auto config = media::mp4::decoderConfiguration(*seg.params);
      if (!config) return config.status();
      track.entries.push_back({seg.params.get(), std::move(config.value())});
    }
    track.chunkEntry.push_back(it->second);
    // The gap after the previous segment of the track is held on its last
    // sample (at most what stts can say of one sample).
    track.hold.push_back(0);
    if (i > track.first) {
      const PlaybackSegment& previous = *all[i - 1];
      const int64_t gap = (seg.start - previous.end).count() * 9 / 100;
      const int64_t most = int64_t{UINT32_MAX} - previous.samples.back().duration;
      track.hold[i - 1 - track.first] = std::clamp<int64_t>(gap, 0, most);
      track.duration += track.hold[i - 1 - track.first];
    }
  }
  for (Track& track : tracks) track.edits = editList(plan, all, track);
  // Chunk offsets depend on the header's size, which does not depend on
  // them (co64 entries are fixed-size): measure, then build for real.
  const uint64_t headerSize = buildHeader(all, tracks, 0).size();
  auto header = std::make_shared<const Bytes>(buildHeader(all, tracks, headerSize));
  std::vector<VirtualFile::Slice> slices;
  slices.push_back({0, header->size(), header, {}, 0});
  uint64_t at = header->size();
  for (const PlaybackSegment* seg : all) {
    slices.push_back(samplesSlice(*seg, at, seg->fileOffset, seg->bytes));
    at += seg->bytes;
  }
  return std::make_shared<const VirtualFile>(std::move(slices));
}

VirtualFile::Slice samplesSlice(const PlaybackSegment& segment, uint64_t start, uint64_t offset, uint64_t bytes) {
  if (segment.memory) return {start, bytes, segment.memory, {}, offset};
  return {start, bytes, nullptr, segment.samplePath, offset};
}

}  // namespace vigil::storage

#include "storage/mp4.h"

#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>

#include "media/parameter_sets.h"

namespace vigil::storage {
namespace {

using media::Bytes;

// Appends big-endian fields and boxes whose size is patched on close.
class BoxWriter {
 public:
  explicit BoxWriter(Bytes& out) : out_(out) {}
  size_t open(const char (&type)[5]) {
    const size_t at = out_.size();
    u32(0);
    out_.insert(out_.end(), type, type + 4);
    return at;
  }
  size_t openFull(const char (&type)[5], uint8_t version, uint32_t flags) {
    const size_t at = open(type);
    u32(uint32_t{version} << 24 | flags);
    return at;
  }
  void close(size_t at) {
    const auto size = static_cast<uint32_t>(out_.size() - at);
    for (int i = 0; i < 4; ++i) out_[at + static_cast<size_t>(i)] = static_cast<uint8_t>(size >> (24 - 8 * i));
  }
  void u8(uint8_t v) { out_.push_back(v); }
  void u16(uint16_t v) { u8(static_cast<uint8_t>(v >> 8)), u8(static_cast<uint8_t>(v)); }
  void u32(uint32_t v) { u16(static_cast<uint16_t>(v >> 16)), u16(static_cast<uint16_t>(v)); }
  void u64(uint64_t v) { u32(static_cast<uint32_t>(v >> 32)), u32(static_cast<uint32_t>(v)); }
  void bytes(media::ByteView b) { out_.insert(out_.end(), b.begin(), b.end()); }
  void zeros(size_t n) { out_.insert(out_.end(), n, 0); }
  void matrix() {
    for (uint32_t v : {0x00010000u, 0u, 0u, 0u, 0x00010000u, 0u, 0u, 0u, 0x40000000u}) u32(v);
  }

 private:
  Bytes& out_;
};

constexpr uint32_t kTimescale = MediaDuration::kTicksPerSecond;
// Seconds from 1904-01-01 (the MP4 epoch) to 1970-01-01.
constexpr uint64_t kMp4EpochOffset = 2082844800;

struct Track {
  std::vector<const media::VideoParameters*> entries;  // stsd order
  std::vector<uint32_t> chunkEntry;                    // per segment: 1-based stsd index
};

void writeSampleEntry(BoxWriter& w, const media::VideoParameters& p, const Bytes& config) {
  const bool h264 = p.codec == media::VideoCodec::kH264;
  // hvc1 (parameter sets only in the hvcC) would be wrong: cameras repeat
  // them in band; avc1 allows that, and for H.265 that is hev1.
  const size_t entry = w.open(h264 ? "avc1" : "hev1");
  w.zeros(6);
  w.u16(1);  // data_reference_index
  w.zeros(16);
  w.u16(static_cast<uint16_t>(p.width));
  w.u16(static_cast<uint16_t>(p.height));
  w.u32(0x00480000);  // 72 dpi
  w.u32(0x00480000);
  w.u32(0);
  w.u16(1);  // frame_count
  w.zeros(32);  // compressorname
  w.u16(0x0018);
  w.u16(0xffff);
  const size_t box = w.open(h264 ? "avcC" : "hvcC");
  w.bytes(config);
  w.close(box);
  w.close(entry);
}

// ftyp + moov + the mdat header, with chunk offsets measured from
// `mediaStart` (the first byte after the mdat header).
Bytes buildHeader(const PlaybackPlan& plan, const Track& track, const std::vector<Bytes>& configs, uint64_t mediaStart) {
  Bytes out;
  BoxWriter w(out);
  const size_t ftyp = w.open("ftyp");
  w.bytes(media::ByteView(reinterpret_cast<const uint8_t*>("isom"), 4));
  w.u32(0x200);
  for (const char* brand : {"isom", "iso2", "avc1", "mp41"}) w.bytes(media::ByteView(reinterpret_cast<const uint8_t*>(brand), 4));
  w.close(ftyp);

  const uint64_t created = static_cast<uint64_t>(plan.segments.front().start.unixMicros() / 1000000) + kMp4EpochOffset;
  const auto duration = static_cast<uint64_t>(plan.mediaDuration);
  const media::VideoParameters& first = *track.entries.front();

  const size_t moov = w.open("moov");
  const size_t mvhd = w.openFull("mvhd", 1, 0);
  w.u64(created);
  w.u64(created);
  w.u32(kTimescale);
  w.u64(duration);
  w.u32(0x00010000);  // rate 1.0
  w.u16(0x0100);      // volume 1.0
  w.zeros(10);
  w.matrix();
  w.zeros(24);
  w.u32(2);  // next_track_ID
  w.close(mvhd);

  const size_t trak = w.open("trak");
  const size_t tkhd = w.openFull("tkhd", 1, 3);  // enabled, in movie
  w.u64(created);
  w.u64(created);
  w.u32(1);  // track_ID
  w.u32(0);
  w.u64(duration);
  w.zeros(8);
  w.u16(0);  // layer
  w.u16(0);  // alternate_group
  w.u16(0);  // volume
  w.u16(0);
  w.matrix();
  w.u32(static_cast<uint32_t>(first.width) << 16);
  w.u32(static_cast<uint32_t>(first.height) << 16);
  w.close(tkhd);

  const size_t mdia = w.open("mdia");
  const size_t mdhd = w.openFull("mdhd", 1, 0);
  w.u64(created);
  w.u64(created);
  w.u32(kTimescale);
  w.u64(duration);
  w.u16(0x55c4);  // "und"
  w.u16(0);
  w.close(mdhd);
  const size_t hdlr = w.openFull("hdlr", 0, 0);
  w.u32(0);
  w.bytes(media::ByteView(reinterpret_cast<const uint8_t*>("vide"), 4));
  w.zeros(12);
  w.bytes(media::ByteView(reinterpret_cast<const uint8_t*>("VideoHandler"), 13));  // with its NUL
  w.close(hdlr);

  const size_t minf = w.open("minf");
  const size_t vmhd = w.openFull("vmhd", 0, 1);
  w.zeros(8);
  w.close(vmhd);
  const size_t dinf = w.open("dinf");
  const size_t dref = w.openFull("dref", 0, 0);
  w.u32(1);
  const size_t url = w.openFull("url ", 0, 1);  // media in this file
  w.close(url);
  w.close(dref);
  w.close(dinf);

  const size_t stbl = w.open("stbl");
  const size_t stsd = w.openFull("stsd", 0, 0);
  w.u32(static_cast<uint32_t>(track.entries.size()));
  for (size_t i = 0; i < track.entries.size(); ++i) writeSampleEntry(w, *track.entries[i], configs[i]);
  w.close(stsd);

  // stts: runs of equal durations.
  std::vector<std::pair<uint32_t, uint32_t>> runs;  // count, duration
  std::vector<uint32_t> sync;
  std::vector<uint32_t> sizes;
  for (const PlaybackSegment& seg : plan.segments) {
    for (const SampleInfo& s : seg.samples) {
      const auto d = static_cast<uint32_t>(s.duration);
      if (!runs.empty() && runs.back().second == d) {
        ++runs.back().first;
      } else {
        runs.emplace_back(1, d);
      }
      sizes.push_back(s.bytes);
      if (s.keyframe) sync.push_back(static_cast<uint32_t>(sizes.size()));
    }
  }
  const size_t stts = w.openFull("stts", 0, 0);
  w.u32(static_cast<uint32_t>(runs.size()));
  for (auto [count, d] : runs) {
    w.u32(count);
    w.u32(d);
  }
  w.close(stts);
  const size_t stss = w.openFull("stss", 0, 0);
  w.u32(static_cast<uint32_t>(sync.size()));
  for (uint32_t n : sync) w.u32(n);
  w.close(stss);
  const size_t stsz = w.openFull("stsz", 0, 0);
  w.u32(0);
  w.u32(static_cast<uint32_t>(sizes.size()));
  for (uint32_t n : sizes) w.u32(n);
  w.close(stsz);
  // stsc: one chunk per segment; an entry wherever the run shape changes.
  const size_t stsc = w.openFull("stsc", 0, 0);
  std::vector<std::array<uint32_t, 3>> chunkRuns;
  for (size_t i = 0; i < plan.segments.size(); ++i) {
    const auto perChunk = static_cast<uint32_t>(plan.segments[i].samples.size());
    if (chunkRuns.empty() || chunkRuns.back()[1] != perChunk || chunkRuns.back()[2] != track.chunkEntry[i]) {
      chunkRuns.push_back({static_cast<uint32_t>(i + 1), perChunk, track.chunkEntry[i]});
    }
  }
  w.u32(static_cast<uint32_t>(chunkRuns.size()));
  for (const auto& r : chunkRuns) {
    for (uint32_t v : r) w.u32(v);
  }
  w.close(stsc);
  const size_t co64 = w.openFull("co64", 0, 0);
  w.u32(static_cast<uint32_t>(plan.segments.size()));
  uint64_t offset = mediaStart;
  for (const PlaybackSegment& seg : plan.segments) {
    w.u64(offset);
    offset += seg.bytes;
  }
  w.close(co64);
  w.close(stbl);
  w.close(minf);
  w.close(mdia);
  w.close(trak);
  w.close(moov);

  // mdat with a 64-bit size, so exports past 4 GiB need no other layout.
  w.u32(1);
  w.bytes(media::ByteView(reinterpret_cast<const uint8_t*>("mdat"), 4));
  w.u64(16 + plan.bytes);
  return out;
}

}  // namespace

Result<Bytes> avcDecoderConfiguration(const media::VideoParameters& p) {
  if (p.sps.empty() || p.pps.empty()) return Status::failedPrecondition("H.264 parameters without SPS or PPS");
  auto sps = media::parseSps(media::VideoCodec::kH264, p.sps.front());
  if (!sps) return sps.status();
  Bytes out;
  BoxWriter w(out);
  w.u8(1);
  w.u8(sps->profileIdc);
  w.u8(sps->constraintFlags);
  w.u8(sps->levelIdc);
  w.u8(0xff);  // lengthSizeMinusOne = 3
  w.u8(static_cast<uint8_t>(0xe0 | p.sps.size()));
  for (const Bytes& nal : p.sps) {
    w.u16(static_cast<uint16_t>(nal.size()));
    w.bytes(nal);
  }
  w.u8(static_cast<uint8_t>(p.pps.size()));
  for (const Bytes& nal : p.pps) {
    w.u16(static_cast<uint16_t>(nal.size()));
    w.bytes(nal);
  }
  if (sps->profileIdc == 100 || sps->profileIdc == 110 || sps->profileIdc == 122 || sps->profileIdc == 144) {
    w.u8(static_cast<uint8_t>(0xfc | sps->chromaFormatIdc));
    w.u8(static_cast<uint8_t>(0xf8 | (sps->bitDepthLuma - 8)));
    w.u8(static_cast<uint8_t>(0xf8 | (sps->bitDepthChroma - 8)));
    w.u8(0);  // no SPS extensions
  }
  return out;
}

Result<Bytes> hevcDecoderConfiguration(const media::VideoParameters& p) {
  if (p.vps.empty() || p.sps.empty() || p.pps.empty()) {
    return Status::failedPrecondition("H.265 parameters without VPS, SPS or PPS");
  }
  auto sps = media::parseSps(media::VideoCodec::kH265, p.sps.front());
  if (!sps) return sps.status();
  Bytes out;
  BoxWriter w(out);
  w.u8(1);
  w.bytes(sps->h265GeneralProfileTierLevel);
  w.u16(0xf000);  // min_spatial_segmentation_idc = 0
  w.u8(0xfc);     // parallelismType = 0
  w.u8(static_cast<uint8_t>(0xfc | sps->chromaFormatIdc));
  w.u8(static_cast<uint8_t>(0xf8 | (sps->bitDepthLuma - 8)));
  w.u8(static_cast<uint8_t>(0xf8 | (sps->bitDepthChroma - 8)));
  w.u16(0);  // avgFrameRate unknown
  w.u8(static_cast<uint8_t>((sps->maxSubLayers & 7) << 3 | 3));  // lengthSizeMinusOne = 3
  w.u8(3);
  const std::pair<uint8_t, const std::vector<Bytes>*> arrays[] = {
      {media::h265::kVps, &p.vps}, {media::h265::kSps, &p.sps}, {media::h265::kPps, &p.pps}};
  for (auto [type, nals] : arrays) {
    w.u8(static_cast<uint8_t>(0x80 | type));  // array_completeness
    w.u16(static_cast<uint16_t>(nals->size()));
    for (const Bytes& nal : *nals) {
      w.u16(static_cast<uint16_t>(nal.size()));
      w.bytes(nal);
    }
  }
  return out;
}

VirtualFile::VirtualFile(std::vector<Slice> slices) : slices_(std::move(slices)) {
  for (const Slice& s : slices_) size_ = std::max(size_, s.start + s.length);
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
      out.insert(out.end(), it->memory->begin() + static_cast<ptrdiff_t>(within),
                 it->memory->begin() + static_cast<ptrdiff_t>(within + take));
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

Result<std::shared_ptr<const VirtualFile>> buildMp4(const PlaybackPlan& plan) {
  if (plan.segments.empty()) return Status::failedPrecondition("nothing recorded in the range");
  Track track;
  std::map<int64_t, uint32_t> entryIndex;  // sample entry id -> stsd index
  std::vector<Bytes> configs;
  const media::VideoCodec codec = plan.segments.front().params->codec;
  for (const PlaybackSegment& seg : plan.segments) {
    if (seg.params->codec != codec) {
      return Status::failedPrecondition(fmt::format("the range spans a codec change ({} to {}); export each part",
                                                    media::codecName(codec), media::codecName(seg.params->codec)));
    }
    auto [it, added] = entryIndex.emplace(seg.sampleEntryId, static_cast<uint32_t>(track.entries.size() + 1));
    if (added) {
      auto config = codec == media::VideoCodec::kH264 ? avcDecoderConfiguration(*seg.params)
                                                      : hevcDecoderConfiguration(*seg.params);
      if (!config) return config.status();
      configs.push_back(std::move(config.value()));
      track.entries.push_back(seg.params.get());
    }
    track.chunkEntry.push_back(it->second);
  }
  // Chunk offsets depend on the header's size, which does not depend on
  // them (co64 entries are fixed-size): measure, then build for real.
  const uint64_t headerSize = buildHeader(plan, track, configs, 0).size();
  auto header = std::make_shared<const Bytes>(buildHeader(plan, track, configs, headerSize));
  std::vector<VirtualFile::Slice> slices;
  slices.push_back({0, header->size(), header, {}, 0});
  uint64_t at = header->size();
  for (const PlaybackSegment& seg : plan.segments) {
    slices.push_back({at, seg.bytes, nullptr, seg.samplePath, seg.fileOffset});
    at += seg.bytes;
  }
  return std::make_shared<const VirtualFile>(std::move(slices));
}

}  // namespace vigil::storage

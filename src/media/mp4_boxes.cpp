#include "media/mp4_boxes.h"

#include <algorithm>

#include "media/parameter_sets.h"

namespace vigil::media::mp4 {

size_t BoxWriter::open(std::string_view type) {
  const size_t at = out_.size();
  u32(0);
  fourcc(type);
  return at;
}

size_t BoxWriter::openFull(std::string_view type, uint8_t version, uint32_t flags) {
  const size_t at = open(type);
  u32(uint32_t{version} << 24 | flags);
  return at;
}

void BoxWriter::close(size_t at) { patchU32(at, static_cast<uint32_t>(out_.size() - at)); }

void BoxWriter::u16(uint16_t v) {
  u8(static_cast<uint8_t>(v >> 8));
  u8(static_cast<uint8_t>(v));
}

void BoxWriter::u32(uint32_t v) {
  u16(static_cast<uint16_t>(v >> 16));
  u16(static_cast<uint16_t>(v));
}

void BoxWriter::u64(uint64_t v) {
  u32(static_cast<uint32_t>(v >> 32));
  u32(static_cast<uint32_t>(v));
}

void BoxWriter::fourcc(std::string_view code) {
  for (size_t i = 0; i < 4; ++i) u8(i < code.size() ? static_cast<uint8_t>(code[i]) : ' ');
}

void BoxWriter::unityMatrix() {
  for (uint32_t v : {0x00010000u, 0u, 0u, 0u, 0x00010000u, 0u, 0u, 0u, 0x40000000u}) u32(v);
}

void BoxWriter::patchU32(size_t at, uint32_t v) {
  for (size_t i = 0; i < 4; ++i) out_[at + i] = static_cast<uint8_t>(v >> (24 - 8 * i));
}

namespace {

// Parameter sets as avcC and hvcC list them: each NAL unit after its 16-bit size.
void writeParameterSets(BoxWriter& w, const std::vector<Bytes>& nals) {
  for (const Bytes& nal : nals) {
    w.u16(static_cast<uint16_t>(nal.size()));
    w.bytes(nal);
  }
}

}  // namespace

Result<Bytes> avcDecoderConfiguration(const VideoParameters& p) {
  if (p.sps.empty() || p.pps.empty()) return Status::failedPrecondition("H.264 parameters without SPS or PPS");
  auto sps = parseSps(VideoCodec::kH264, p.sps.front());
  if (!sps) return sps.status();
  Bytes out;
  BoxWriter w(out);
  w.u8(1);
  w.u8(sps->profileIdc);
  w.u8(sps->constraintFlags);
  w.u8(sps->levelIdc);
  w.u8(0xff);  // lengthSizeMinusOne = 3
  w.u8(static_cast<uint8_t>(0xe0 | p.sps.size()));
  writeParameterSets(w, p.sps);
  w.u8(static_cast<uint8_t>(p.pps.size()));
  writeParameterSets(w, p.pps);
  if (sps->profileIdc == 100 || sps->profileIdc == 110 || sps->profileIdc == 122 || sps->profileIdc == 144) {
    w.u8(static_cast<uint8_t>(0xfc | sps->chromaFormatIdc));
    w.u8(static_cast<uint8_t>(0xf8 | (sps->bitDepthLuma - 8)));
    w.u8(static_cast<uint8_t>(0xf8 | (sps->bitDepthChroma - 8)));
    w.u8(0);  // no SPS extensions
  }
  return out;
}

Result<Bytes> hevcDecoderConfiguration(const VideoParameters& p) {
  if (p.vps.empty() || p.sps.empty() || p.pps.empty()) {
    return Status::failedPrecondition("H.265 parameters without VPS, SPS or PPS");
  }
  auto sps = parseSps(VideoCodec::kH265, p.sps.front());
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
      {h265::kVps, &p.vps}, {h265::kSps, &p.sps}, {h265::kPps, &p.pps}};
  for (auto [type, nals] : arrays) {
    w.u8(static_cast<uint8_t>(0x80 | type));  // array_completeness
    w.u16(static_cast<uint16_t>(nals->size()));
    writeParameterSets(w, *nals);
  }
  return out;
}

Result<Bytes> decoderConfiguration(const VideoParameters& params) {
  return params.codec == VideoCodec::kH264 ? avcDecoderConfiguration(params) : hevcDecoderConfiguration(params);
}

uint64_t mp4Time(WallTime t) {
  constexpr int64_t kEpochOffset = 2082844800;  // 1904-01-01 to 1970-01-01, in seconds
  return static_cast<uint64_t>(t.unixMicros() / 1000000 + kEpochOffset);
}

void writeFtyp(BoxWriter& w, std::string_view majorBrand, uint32_t minorVersion,
               std::initializer_list<std::string_view> compatibleBrands) {
  const size_t ftyp = w.open("ftyp");
  w.fourcc(majorBrand);
  w.u32(minorVersion);
  for (std::string_view brand : compatibleBrands) w.fourcc(brand);
  w.close(ftyp);
}

void writeMvhd(BoxWriter& w, const TrackTimes& times, uint32_t tracks) {
  const size_t mvhd = w.openFull("mvhd", 1, 0);
  w.u64(times.created);
  w.u64(times.created);
  w.u32(kTimescale);
  w.u64(times.duration);
  w.u32(0x00010000);  // rate 1.0
  w.u16(0x0100);      // volume 1.0
  w.zeros(10);
  w.unityMatrix();
  w.zeros(24);
  w.u32(tracks + 1);  // next_track_ID
  w.close(mvhd);
}

namespace {

void writeSampleEntry(BoxWriter& w, const SampleEntry& e, HevcEntry hevc) {
  const VideoParameters& p = *e.params;
  const bool h264 = p.codec == VideoCodec::kH264;
  const size_t entry = w.open(h264 ? "avc1" : hevc == HevcEntry::kHvc1 ? "hvc1" : "hev1");
  w.zeros(6);
  w.u16(1);  // data_reference_index
  w.zeros(16);
  w.u16(static_cast<uint16_t>(p.width));
  w.u16(static_cast<uint16_t>(p.height));
  w.u32(0x00480000);  // 72 dpi
  w.u32(0x00480000);
  w.u32(0);
  w.u16(1);     // frame_count
  w.zeros(32);  // compressorname
  w.u16(0x0018);
  w.u16(0xffff);
  const size_t box = w.open(h264 ? "avcC" : "hvcC");
  w.bytes(e.config);
  w.close(box);
  w.close(entry);
}

}  // namespace

namespace {

// What sets a video and an audio trak apart.
struct TrakKind {
  uint32_t width = 0, height = 0;  // tkhd, 16.16
  uint16_t volume = 0;             // tkhd, 8.8
  std::string_view handler;        // "vide" | "soun"
  std::string_view handlerName;    // with its NUL
  std::function<void(BoxWriter&)> sampleDescriptions;  // the entries of stsd
  uint32_t entries = 0;
};

void writeTrak(BoxWriter& w, const TrackTimes& times, const TrakKind& kind,
               const std::function<void(BoxWriter&)>& sampleTables, uint32_t trackId) {
  const size_t trak = w.open("trak");
  const size_t tkhd = w.openFull("tkhd", 1, 3);  // enabled, in movie
  w.u64(times.created);
  w.u64(times.created);
  w.u32(trackId);
  w.u32(0);
  uint64_t edited = 0;
  for (const Edit& e : times.edits) edited += e.duration;
  w.u64(times.edits.empty() ? times.duration : edited);  // the track's length in movie time
  w.zeros(8);
  w.u16(0);  // layer
  w.u16(0);  // alternate_group
  w.u16(kind.volume);
  w.u16(0);
  w.unityMatrix();
  w.u32(kind.width << 16);
  w.u32(kind.height << 16);
  w.close(tkhd);
  if (!times.edits.empty()) {
    const size_t edts = w.open("edts");
    const size_t elst = w.openFull("elst", 1, 0);
    w.u32(static_cast<uint32_t>(times.edits.size()));
    for (const Edit& e : times.edits) {
      w.u64(e.duration);
      w.u64(static_cast<uint64_t>(e.mediaTime));  // -1 is all ones
      w.u32(0x00010000);                          // rate 1
    }
    w.close(elst);
    w.close(edts);
  }

  const size_t mdia = w.open("mdia");
  const size_t mdhd = w.openFull("mdhd", 1, 0);
  w.u64(times.created);
  w.u64(times.created);
  w.u32(kTimescale);
  w.u64(times.duration);
  w.u16(0x55c4);  // "und"
  w.u16(0);
  w.close(mdhd);
  const size_t hdlr = w.openFull("hdlr", 0, 0);
  w.u32(0);
  w.fourcc(kind.handler);
  w.zeros(12);
  w.bytes(ByteView(reinterpret_cast<const uint8_t*>(kind.handlerName.data()), kind.handlerName.size()));
  w.close(hdlr);

  const size_t minf = w.open("minf");
  if (kind.handler == "soun") {
    const size_t smhd = w.openFull("smhd", 0, 0);
    w.zeros(4);  // balance, reserved
    w.close(smhd);
  } else {
    const size_t vmhd = w.openFull("vmhd", 0, 1);
    w.zeros(8);
    w.close(vmhd);
  }
  const size_t dinf = w.open("dinf");
  const size_t dref = w.openFull("dref", 0, 0);
  w.u32(1);
  const size_t url = w.openFull("url ", 0, 1);  // media in this file
  w.close(url);
  w.close(dref);
  w.close(dinf);

  const size_t stbl = w.open("stbl");
  const size_t stsd = w.openFull("stsd", 0, 0);
  w.u32(kind.entries);
  kind.sampleDescriptions(w);
  w.close(stsd);
  sampleTables(w);
  w.close(stbl);
  w.close(minf);
  w.close(mdia);
  w.close(trak);
}

// An MPEG-4 descriptor header (ISO/IEC 14496-1 8.3.3) with a one-byte size.
void descriptor(BoxWriter& w, uint8_t tag, size_t size) {
  w.u8(tag);
  w.u8(static_cast<uint8_t>(size));
}

}  // namespace

void writeAudioSampleEntry(BoxWriter& w, const AudioParameters& p) {
  const size_t entry = w.open(p.codec == AudioCodec::kAac    ? "mp4a"
                              : p.codec == AudioCodec::kPcma ? "alaw"
                                                             : "ulaw");
  w.zeros(6);
  w.u16(1);  // data_reference_index
  w.zeros(8);
  w.u16(static_cast<uint16_t>(p.channels));
  w.u16(16);  // samplesize
  w.zeros(4);
  w.u32(static_cast<uint32_t>(p.sampleRate) << 16);
  if (p.codec == AudioCodec::kAac) {
    // esds: ES_Descriptor { DecoderConfigDescriptor { DecoderSpecificInfo }, SLConfigDescriptor }.
    const size_t config = std::min<size_t>(p.config.size(), 100);
    const size_t esds = w.openFull("esds", 0, 0);
    descriptor(w, 0x03, 3 + 2 + 13 + 2 + config + 3);
    w.u16(0);  // ES_ID
    w.u8(0);   // no stream dependence, URL, OCR
    descriptor(w, 0x04, 13 + 2 + config);
    w.u8(0x40);  // Audio ISO/IEC 14496-3
    w.u8(0x15);  // audio stream, upstream 0, reserved 1
    w.u8(0);     // bufferSizeDB, 24 bits
    w.u16(0);
    w.u32(0);  // maxBitrate: unknown
    w.u32(0);  // avgBitrate: unknown
    descriptor(w, 0x05, config);
    w.bytes(ByteView(p.config.data(), config));
    descriptor(w, 0x06, 1);
    w.u8(0x02);  // predefined: MP4
    w.close(esds);
  }
  w.close(entry);
}

void writeVideoTrak(BoxWriter& w, const TrackTimes& times, const std::vector<SampleEntry>& entries, HevcEntry hevc,
                    const std::function<void(BoxWriter&)>& sampleTables, uint32_t trackId) {
  const VideoParameters& first = *entries.front().params;
  TrakKind kind{static_cast<uint32_t>(first.width), static_cast<uint32_t>(first.height), 0, "vide",
                std::string_view("VideoHandler", 13),
                [&](BoxWriter& b) {
                  for (const SampleEntry& e : entries) writeSampleEntry(b, e, hevc);
                },
                static_cast<uint32_t>(entries.size())};
  writeTrak(w, times, kind, sampleTables, trackId);
}

void writeAudioTrak(BoxWriter& w, const TrackTimes& times, const std::vector<const AudioParameters*>& entries,
                    const std::function<void(BoxWriter&)>& sampleTables, uint32_t trackId) {
  TrakKind kind{0, 0, 0x0100, "soun", std::string_view("SoundHandler", 13),
                [&](BoxWriter& b) {
                  for (const AudioParameters* e : entries) writeAudioSampleEntry(b, *e);
                },
                static_cast<uint32_t>(entries.size())};
  writeTrak(w, times, kind, sampleTables, trackId);
}

}  // namespace vigil::media::mp4

#pragma once
// ISO BMFF (MP4) box writing shared by the progressive MP4 export
// (storage/mp4.h) and fragmented MP4 (media/fmp4.h): a big-endian box
// writer, the codec configuration records (avcC, hvcC), the video and
// audio sample entries and the boxes of a track that both layouts have in
// common.

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "media/frame.h"
#include "media/h26x.h"

namespace vigil::media::mp4 {

// Every vigil track counts time in 90 kHz ticks, like RTP video.
inline constexpr uint32_t kTimescale = 90000;

// Appends big-endian fields and boxes to a byte vector; a box's size is
// patched when it is closed.
class BoxWriter {
 public:
  explicit BoxWriter(Bytes& out) : out_(out) {}
  // Starts a box (or a full box with version and flags); returns the
  // position to pass to close().
  size_t open(std::string_view type);
  size_t openFull(std::string_view type, uint8_t version, uint32_t flags);
  void close(size_t at);

  void u8(uint8_t v) { out_.push_back(v); }
  void u16(uint16_t v);
  void u32(uint32_t v);
  void u64(uint64_t v);
  void bytes(ByteView b) { out_.insert(out_.end(), b.begin(), b.end()); }
  void fourcc(std::string_view code);  // exactly four characters
  void zeros(size_t n) { out_.insert(out_.end(), n, 0); }
  void unityMatrix();
  // Overwrites a u32 written earlier at `at` (a field known only later).
  void patchU32(size_t at, uint32_t v);
  size_t size() const { return out_.size(); }

 private:
  Bytes& out_;
};

// The payloads of the avcC / hvcC boxes (ISO/IEC 14496-15) with 4-byte
// NAL unit lengths. FailedPrecondition when a parameter set is missing,
// InvalidArgument when the SPS does not parse.
Result<Bytes> avcDecoderConfiguration(const VideoParameters& params);
Result<Bytes> hevcDecoderConfiguration(const VideoParameters& params);
// The one of the two that params.codec calls for.
Result<Bytes> decoderConfiguration(const VideoParameters& params);

// The sample entry's four-character code for H.265: hvc1 promises every
// parameter set is in the hvcC (what Safari and Chrome's MSE require),
// hev1 allows them to change in band. H.264 is always avc1.
enum class HevcEntry { kHvc1, kHev1 };

struct SampleEntry {
  const VideoParameters* params = nullptr;
  Bytes config;  // decoderConfiguration(*params)
};

// One entry of a track's edit list (elst): `duration` of the movie's
// timeline shows the media from `mediaTime` on (90 kHz), or nothing when
// mediaTime is kEmptyEdit.
struct Edit {
  static constexpr int64_t kEmptyEdit = -1;
  uint64_t duration = 0;
  int64_t mediaTime = kEmptyEdit;
};

// Times of the movie, track and media headers.
struct TrackTimes {
  uint64_t created = 0;   // seconds since 1904-01-01 (mp4Time())
  uint64_t duration = 0;  // 90 kHz, of the media; 0 for fragmented files
  // A track only: where its media appears on the movie's timeline. None:
  // the media plays from the movie's start.
  std::vector<Edit> edits;
};
// Seconds since the MP4 epoch (1904-01-01) of a wall time.
uint64_t mp4Time(WallTime t);

void writeFtyp(BoxWriter& w, std::string_view majorBrand, uint32_t minorVersion,
               std::initializer_list<std::string_view> compatibleBrands);
// mvhd of a movie whose tracks have ids 1..tracks.
void writeMvhd(BoxWriter& w, const TrackTimes& times, uint32_t tracks = 1);
// trak of video track `trackId`: tkhd (size of the first entry), edts with
// times.edits when there are any, mdia, minf, stbl with stsd holding `entries` (1-based
// in that order); then `sampleTables` writes the rest of stbl (stts, stss,
// stsz, stsc, co64).
void writeVideoTrak(BoxWriter& w, const TrackTimes& times, const std::vector<SampleEntry>& entries, HevcEntry hevc,
                    const std::function<void(BoxWriter&)>& sampleTables, uint32_t trackId = 1);
// The same for an audio track (soun, smhd; 90 kHz like the video, so one
// clock serves both): `entries` as mp4a (with esds) for AAC, alaw / ulaw
// for G.711 (what ffmpeg reads and writes).
void writeAudioTrak(BoxWriter& w, const TrackTimes& times, const std::vector<const AudioParameters*>& entries,
                    const std::function<void(BoxWriter&)>& sampleTables, uint32_t trackId);
void writeAudioSampleEntry(BoxWriter& w, const AudioParameters& params);

}  // namespace vigil::media::mp4

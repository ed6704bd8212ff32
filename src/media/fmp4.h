#pragma once
// Fragmented MP4 (ISO/IEC 14496-12 movie fragments) for live view over
// WebSocket/MSE and for HLS: an init segment (ftyp + moov with mvex) from a
// stream's parameters, then fragments (moof + mdat) of frames.
//
// One video track (id 1) and, for a camera with audio, an AAC track (id 2),
// both at 90 kHz, no composition offsets (pts is the decode time: DECISIONS
// 47). A fragment holds one track's samples. Frame::data is already what an MP4
// sample holds (length-prefixed NAL units), so a fragment never copies
// frame bytes: it is a small header (moof + the mdat header) plus the
// frames themselves, shared; a sender writes buffers() as one gathered
// write (Beast/Asio take a buffer sequence).

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/status.h"
#include "media/audio.h"
#include "media/frame.h"

namespace vigil::media {

// ftyp + moov of a fragmented file whose samples use `params`. H.265 is
// described as hvc1 (what Chrome's and Safari's MSE accept); cameras also
// repeat the parameter sets in band, which decoders accept, and a change
// of parameters calls for a new init segment anyway.
// FailedPrecondition / InvalidArgument when the parameter sets are
// missing or do not parse. With `audio` (AAC: browsers play no G.711 in
// MP4, DECISIONS 87) a second track, id 2.
Result<Bytes> fmp4InitSegment(const VideoParameters& params, const AudioParameters* audio = nullptr);

inline constexpr uint32_t kVideoTrackId = 1;
inline constexpr uint32_t kAudioTrackId = 2;

// The RFC 6381 codec string MSE and HLS want ("avc1.64001f",
// "hvc1.1.6.L93.90"), for `video/mp4; codecs="..."`.
Result<std::string> codecString(const VideoParameters& params);
// "mp4a.40.2" for AAC-LC (the object type from the AudioSpecificConfig).
std::string codecString(const AudioParameters& params);

// One sample of a fragment as the moof describes it.
struct FragmentSample {
  uint32_t size = 0;
  uint32_t duration = 0;  // 90 kHz
  bool keyframe = false;
};

// moof (mfhd, traf with tfhd default-base-is-moof, tfdt v1, trun with
// per-sample duration, size and flags) followed by the header of an mdat
// that holds the samples' bytes back to back. `sequence` numbers
// fragments from 1; `baseDecodeTime` is the sum of earlier durations.
Bytes fragmentHeader(uint32_t sequence, uint64_t baseDecodeTime, std::span<const FragmentSample> samples,
                     uint32_t trackId = kVideoTrackId);

// A fragment of frames: the header bytes, then each frame's data.
struct Fragment {
  Bytes header;
  std::vector<std::shared_ptr<const Frame>> frames;
  uint64_t baseDecodeTime = 0;
  uint64_t duration = 0;  // 90 kHz, of all samples

  uint64_t size() const;
  // The fragment's bytes in order, as views into header and frames (valid
  // while this Fragment lives): for a gathered write.
  std::vector<ByteView> buffers() const;
  // The same bytes copied into one buffer (tests, simple senders).
  Bytes contiguous() const;
};

// A fragment of `frames` (non-empty, strictly increasing pts). Sample
// durations are pts deltas; the last one is `lastDuration` when given,
// else the delta before it, else 1/25 s. InvalidArgument when pts do not
// increase or a delta does not fit in 32 bits.
Result<Fragment> buildFragment(uint32_t sequence, uint64_t baseDecodeTime,
                               std::vector<std::shared_ptr<const Frame>> frames,
                               std::optional<uint32_t> lastDuration = std::nullopt,
                               uint32_t trackId = kVideoTrackId);

// The 90 kHz duration of an audio frame: 1024 samples of AAC, a byte a
// sample of G.711 (per channel).
uint32_t audioFrameDuration(const Frame& frame);

// The fMP4 a live viewer receives (WebSocket/MSE): an init segment first
// and whenever the parameters change, then one fragment per frame, sent as
// soon as the frame arrives. A frame's duration is not known until the
// next one, so each fragment's sample lasts the previous pts delta; decode
// times are those durations back to back. With audio, the init segment
// has an AAC track too and each audio frame is a fragment of its own,
// placed by its pts against the latest video frame's.
class LiveFmp4Writer {
 public:
  struct Output {
    // Set when an init segment must be sent before the fragment, with the
    // codec string of its parameters (a client may need a new SourceBuffer
    // type).
    std::shared_ptr<const Bytes> init;
    std::string codec;
    Fragment fragment;
  };
  // `restart`: pts need not follow on from the previous frame's (a new
  // stream segment, or frames skipped). FailedPrecondition for a frame
  // without parameters; parameter set errors as fmp4InitSegment.
  Result<Output> write(std::shared_ptr<const Frame> frame, bool restart);

  // The init segments from the next one on have an audio track of these
  // parameters (AAC), and the codec string names it. Call it before the
  // first write(): an MSE source buffer keeps the tracks it started with.
  void setAudio(std::shared_ptr<const AudioParameters> audio) { audio_ = std::move(audio); }
  bool hasAudio() const { return audio_ != nullptr; }
  // A fragment of one AAC frame of setAudio's parameters; none before the
  // first video fragment (no clock to place it on) or for a frame that
  // would go back before the previous one. A frame within 100 ms of the
  // previous one's end follows it exactly, so the track has no gaps nor
  // overlaps from the jitter of its timing.
  std::optional<Fragment> writeAudio(std::shared_ptr<const Frame> frame);

 private:
  std::shared_ptr<const VideoParameters> params_;
  std::shared_ptr<const AudioParameters> audio_;
  std::optional<uint64_t> audioEnd_;  // decode time after the last audio fragment
  uint64_t lastDecodeTime_ = 0;       // of the last video fragment
  uint32_t sequence_ = 0;
  uint64_t decodeTime_ = 0;
  std::optional<MediaTime> lastPts_;
  uint32_t lastDuration_ = MediaDuration::kTicksPerSecond / 25;
};

}  // namespace vigil::media

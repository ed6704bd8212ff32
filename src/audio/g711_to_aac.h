#pragma once
// G.711 (A-law, µ-law) transcoded to AAC-LC for browsers, which play no
// G.711 from MP4 (design/DECISIONS.md 87). For the browser paths only: a
// recording and its export keep the camera's G.711 bytes.

#include <memory>
#include <optional>
#include <vector>

#include "base/status.h"
#include "media/frame.h"

namespace vigil::audio {

// One G.711 stream in, AAC frames out, on the same clock. Not thread-safe:
// one per stream of frames.
class G711ToAac {
 public:
  // InvalidArgument unless `g711` is PCMA or PCMU at 8-48 kHz, 1 or 2
  // channels; Unimplemented when libavcodec lacks a codec.
  static Result<std::unique_ptr<G711ToAac>> create(const media::AudioParameters& g711);
  ~G711ToAac();

  // AAC-LC at the input's rate and channels, with its AudioSpecificConfig:
  // known before the first frame, for an init segment.
  const std::shared_ptr<const media::AudioParameters>& output() const { return output_; }

  // Takes one G.711 frame (pts on the 90 kHz clock of frame.pts) and
  // returns the AAC frames now complete (an AAC frame is 1024 samples, so
  // most calls return none). An output frame's pts is that of its first
  // sample: the encoder's delay is accounted for, so audio stays in sync.
  // Input samples are counted on from the first frame's pts; a frame more
  // than 100 ms off the count (packets lost, a new stream) starts the
  // count again, the encoder's pending samples dropped. InvalidArgument
  // for a pts more than 2^62 ticks from 0 (a hostile node below's: the
  // count from it would overflow).
  Result<std::vector<media::SharedFrame>> push(const media::Frame& g711);
  // The end of the input: the pending samples, padded with silence to a
  // whole frame, and what the encoder still holds come out; the next
  // push() starts a new count.
  Result<std::vector<media::SharedFrame>> finish();

 private:
  struct Codecs;
  G711ToAac(std::unique_ptr<Codecs> codecs, std::shared_ptr<const media::AudioParameters> output);
  Status restart();
  // Encodes the whole encoder frames of pending_; their capture time is
  // the latest input's (close enough for a browser).
  Status encodePending(WallTime captureTime, std::vector<media::SharedFrame>& out);
  // The packets the encoder has ready, as frames.
  void takePackets(WallTime captureTime, std::vector<media::SharedFrame>& out);

  std::unique_ptr<Codecs> codecs_;
  std::shared_ptr<const media::AudioParameters> output_;
  std::optional<int64_t> origin_;  // 90 kHz pts of input sample 0 since the last (re)start
  int64_t samplesIn_ = 0;          // per channel, since origin_
  std::vector<float> pending_;     // decoded samples, interleaved, not yet a whole encoder frame
  int64_t pendingStart_ = 0;       // sample number of pending_[0]
  WallTime latestCapture_;         // of the latest input
};

// A stretch of stored G.711 (whole samples of one stream, at most a few
// seconds) as AAC-LC frames, for a browser playing a recording back
// (design/STORAGE.md, "Audio"): frame k holds samples [1024k, 1024k + 1024)
// of `samples`, the encoder's delay removed, the last padded with silence.
// Errors as G711ToAac::create.
Result<std::vector<media::Bytes>> g711ToAacFrames(const media::AudioParameters& g711, media::ByteView samples);

}  // namespace vigil::audio

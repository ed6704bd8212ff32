#pragma once
// Fragmented MP4 of a playback plan, for HLS playback (design/STORAGE.md,
// "Read path"): an init segment per sample entry and one fragment
// (moof + mdat) per GOP. A fragment is a VirtualFile whose header is built
// from the index when asked and whose media is a byte range of its sample
// file: nothing is copied. Listing the fragments reads no sample file and
// builds no moof, so a playlist of an hour costs a scan of the index.

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "base/time.h"
#include "media/hls.h"
#include "storage/mp4.h"
#include "storage/playback.h"

namespace vigil::storage {

// Stored G.711 as AAC for a browser (HLS playback: browsers play no G.711
// from MP4), given by the caller (http: audio::g711ToAacFrames): storage
// never transcodes on its own, and exports keep the camera's bytes.
// `samples`: whole samples of one stream; frame k of the result holds
// samples [1024k, 1024k + 1024), the last padded with silence. An error
// for empty `samples` says such G.711 cannot be made AAC.
using G711ToAacFrames =
    std::function<Result<std::vector<media::Bytes>>(const media::AudioParameters& g711, media::ByteView samples)>;

struct PlaybackFragment {
  size_t init = 0;  // its init segment: an index into FragmentedPlayback::inits()
  WallTime start;   // wall time of its first sample
  int64_t mediaDuration = 0;  // 90 kHz
  // A gap in the recorded time or new parameters come before it: the
  // playlist says EXT-X-DISCONTINUITY. Never set on the first fragment.
  bool discontinuity = false;
  size_t frames = 0;

  // Where its samples are: plan segment, first sample within it, bytes.
  size_t segment = 0;
  size_t firstSample = 0;
  uint64_t fileOffset = 0;
  uint64_t bytes = 0;
  uint64_t baseDecodeTime = 0;  // 90 kHz: the durations of the fragments before it

  // The camera's AAC samples that start within the fragment's time, as
  // runs of consecutive samples of one audio segment (track 2). For G.711
  // made AAC, the AAC frames (1024 samples from the segment's first) that
  // start within it: made when the fragment is asked for.
  struct AudioRun {
    size_t segment = 0;  // in the audio plan
    size_t firstSample = 0;  // or AAC frame
    size_t samples = 0;
    uint64_t fileOffset = 0;  // of stored AAC samples; 0 for G.711
    uint64_t bytes = 0;
    uint64_t baseDecodeTime = 0;  // on the video's fragment timeline
  };
  std::vector<AudioRun> audio;
};

class FragmentedPlayback {
 public:
  // FailedPrecondition for an empty plan; the parameter sets' errors
  // (mp4_boxes.h) for an entry that cannot be described. With `audio`, the
  // plan of the camera's audio over the same range: its segments of the
  // first carried segment's parameters are a second track (AAC) of every
  // init segment and fragment, placed by wall time. AAC is carried as
  // stored; G.711 only with `toAac`, as the AAC it makes of each
  // fragment's stretch (browsers play no G.711 from MP4).
  static Result<FragmentedPlayback> build(PlaybackPlan plan, const PlaybackPlan* audio = nullptr,
                                          G711ToAacFrames toAac = nullptr);

  // ftyp + moov, one per distinct sample entry, in the order first used.
  const std::vector<std::shared_ptr<const media::Bytes>>& inits() const { return inits_; }
  const std::vector<PlaybackFragment>& fragments() const { return fragments_; }
  // moof + mdat of fragments()[index]; NotFound past the end. The
  // sample file is read only when the VirtualFile is.
  Result<std::shared_ptr<const VirtualFile>> fragment(size_t index) const;

  // The VOD playlist of every fragment, with the caller's URIs.
  std::string playlist(const std::function<std::string(size_t fragment)>& fragmentUri,
                       const std::function<std::string(size_t init)>& initUri) const;

  const PlaybackPlan& plan() const { return plan_; }

 private:
  // Adds the audio runs of every fragment.
  void placeAudio();
  // The AAC frames of a run of G.711 made AAC, with a frame of the stored
  // audio before and after it for the encoder's context.
  Result<std::vector<media::Bytes>> madeAac(const PlaybackFragment::AudioRun& run) const;

  PlaybackPlan plan_;
  PlaybackPlan audio_;  // the audio segments carried
  G711ToAacFrames toAac_;  // set when they are G.711
  std::vector<std::shared_ptr<const media::Bytes>> inits_;
  std::vector<PlaybackFragment> fragments_;
};

}  // namespace vigil::storage

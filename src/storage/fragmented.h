#pragma once
// Fragmented MP4 of a playback plan, for HLS playback (design/STORAGE.md,
// "Read path"): an init segment per sample entry and one fragment
// (moof + mdat) per GOP. A fragment is a VirtualFile whose header is built
// from the index when asked and whose media is a byte range of its sample
// file: nothing is copied. Listing the fragments reads no sample file and
// builds no moof, so a playlist of an hour costs a scan of the index.

#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "base/time.h"
#include "media/hls.h"
#include "storage/mp4.h"
#include "storage/playback.h"

namespace vigil::storage {

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
  // runs of consecutive samples of one audio segment (track 2).
  struct AudioRun {
    size_t segment = 0;  // in the audio plan
    size_t firstSample = 0;
    size_t samples = 0;
    uint64_t fileOffset = 0;
    uint64_t bytes = 0;
    uint64_t baseDecodeTime = 0;  // on the video's fragment timeline
  };
  std::vector<AudioRun> audio;
};

class FragmentedPlayback {
 public:
  // FailedPrecondition for an empty plan; the parameter sets' errors
  // (mp4_boxes.h) for an entry that cannot be described. With `audio`, the
  // plan of the camera's audio over the same range: its AAC of the first
  // AAC segment's parameters is a second track of every init segment and
  // fragment, placed by wall time (G.711 is not carried: browsers play
  // none from MP4, and recordings are not transcoded for playback yet).
  static Result<FragmentedPlayback> build(PlaybackPlan plan, const PlaybackPlan* audio = nullptr);

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

  PlaybackPlan plan_;
  PlaybackPlan audio_;  // the AAC segments carried
  std::vector<std::shared_ptr<const media::Bytes>> inits_;
  std::vector<PlaybackFragment> fragments_;
};

}  // namespace vigil::storage

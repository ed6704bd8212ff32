#pragma once
// Recorded video changed before it leaves the node (design/DETECT.md,
// "Privacy masks": what goes up the tier link of a masked camera): the
// samples of a playback plan, read from their sample files, replaced by
// what a transform makes of them, and served as the same playlist,
// fragments and MP4 as before (fragmented.h, mp4.h), the new samples in
// memory. A fragment (one GOP) is transformed on its own when asked; an
// export, all of it before its first byte.

#include <chrono>
#include <functional>
#include <memory>

#include "base/mutex.h"
#include "base/status.h"
#include "storage/fragmented.h"
#include "storage/mp4.h"

namespace vigil::storage {

// Samples with their parameter sets, their bytes back to back.
struct SampleRun {
  std::shared_ptr<const media::VideoParameters> params;
  std::vector<SampleInfo> samples;
  media::Bytes data;  // length-prefixed NAL units, each sample's after the last
};

// Makes new samples of a run that starts at a keyframe. What it gives
// back starts with a keyframe and lasts as long: its durations add up to
// the run's.
using SampleTransform = std::function<Result<SampleRun>(const SampleRun& run)>;

// Init segment `init` of `playback` for transformed fragments: the sample
// entry of the parameters the transform gives the keyframe of the first
// fragment that uses it.
Result<media::Bytes> transformedInit(const FragmentedPlayback& playback, size_t init, const SampleTransform& transform);
// Fragment `index` transformed: the same place in the playlist (sequence
// number, decode time, duration).
Result<std::shared_ptr<const VirtualFile>> transformedFragment(const FragmentedPlayback& playback, size_t index,
                                                               const SampleTransform& transform);
// Transformed video held in memory at once, across plans (their new
// samples are all held until their file is gone): each transformedPlan()
// takes its bytes from here as it makes them, and they come back when the
// last file made of them goes. Thread-safe.
class TransformedMemory {
 public:
  explicit TransformedMemory(uint64_t maxBytes) : max_(maxBytes) {}
  uint64_t held() const;
  // False when `bytes` more would pass the bound (nothing taken then).
  bool take(uint64_t bytes);
  void giveBack(uint64_t bytes);

 private:
  const uint64_t max_;
  mutable Mutex mutex_;
  uint64_t held_ GUARDED_BY(mutex_) = 0;
};

// What transforming a whole plan may take: its asker waits for all of it.
struct TransformBudget {
  std::shared_ptr<TransformedMemory> memory;
  std::chrono::steady_clock::time_point deadline;
};
// The plan with every segment transformed (its keyframe runs one by one),
// the new samples in memory: for buildMp4(). ResourceExhausted as soon as
// the new samples do not fit in budget.memory, DeadlineExceeded when a
// run is still to transform at budget.deadline.
Result<PlaybackPlan> transformedPlan(const PlaybackPlan& plan, const SampleTransform& transform,
                                     const TransformBudget& budget);

}  // namespace vigil::storage

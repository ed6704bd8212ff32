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
// entry of the parameters the transform gives the first fragment that uses
// it (one transform of a GOP per call).
Result<media::Bytes> transformedInit(const FragmentedPlayback& playback, size_t init, const SampleTransform& transform);
// Fragment `index` transformed: the same place in the playlist (sequence
// number, decode time, duration).
Result<std::shared_ptr<const VirtualFile>> transformedFragment(const FragmentedPlayback& playback, size_t index,
                                                               const SampleTransform& transform);
// What transforming a whole plan may take: the new samples are all held
// in memory until it is done (a transform may make more bytes than it
// read), and its asker waits for all of it.
struct TransformBudget {
  uint64_t maxBytes = 0;
  std::chrono::steady_clock::time_point deadline;
};
// The plan with every segment transformed (its keyframe runs one by one),
// the new samples in memory: for buildMp4(). ResourceExhausted as soon as
// the new samples pass budget.maxBytes, DeadlineExceeded when a run is
// still to transform at budget.deadline.
Result<PlaybackPlan> transformedPlan(const PlaybackPlan& plan, const SampleTransform& transform,
                                     const TransformBudget& budget);

}  // namespace vigil::storage

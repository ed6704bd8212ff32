#pragma once
// The read path's plan (design/STORAGE.md, "Read path"): which recordings
// and which of their samples a time range covers. Recordings that only
// partly overlap the range are cut so that the plan starts at a keyframe
// at or before the range's start; gaps in the recorded time are reported,
// never papered over.

#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "base/time.h"
#include "media/frame.h"
#include "storage/index_db.h"
#include "storage/sample_index.h"

namespace vigil::storage {

// A run of consecutive samples of one recording: one contiguous byte range
// of its sample file.
struct PlaybackSegment {
  int64_t recordingId = 0;
  std::string samplePath;  // the sample file
  // Or the samples' bytes in memory (transformed ones: transformed.h).
  std::shared_ptr<const media::Bytes> memory;
  int64_t sampleEntryId = 0;
  std::shared_ptr<const media::VideoParameters> params;  // null for audio
  std::shared_ptr<const media::AudioParameters> audio;   // set for an audio stream's
  uint32_t firstSample = 0;  // index in the recording of samples.front()
  std::vector<SampleInfo> samples;
  uint64_t fileOffset = 0;  // of the first sample's bytes, in the file or `memory`
  uint64_t bytes = 0;
  WallTime start;  // wall time of the first sample
  WallTime end;    // and of the end of the last
  int64_t mediaDuration = 0;
};

struct TimeGap {
  WallTime start;
  WallTime end;
};

struct PlaybackPlan {
  WallTime start;  // as asked
  WallTime end;
  std::vector<PlaybackSegment> segments;  // in time order
  std::vector<TimeGap> gaps;              // parts of [start, end) no segment covers
  int64_t mediaDuration = 0;              // 90 kHz, of all segments
  uint64_t frames = 0;
  uint64_t bytes = 0;
};

// The samples of `row` that cover [start, end): from the last keyframe at
// or before `start` (the first sample when the row starts later) through
// the last sample that starts before `end`. NotFound when none does;
// DataLoss for a corrupt index. samplePath and params are left for the
// caller.
Result<PlaybackSegment> cutRecording(const RecordingRow& row, WallTime start, WallTime end);

// Fills gaps, totals; `segments` must already be in time order.
void finishPlan(PlaybackPlan& plan);

}  // namespace vigil::storage

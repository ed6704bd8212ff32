#include "storage/playback.h"

#include <fmt/format.h>

namespace vigil::storage {

Result<PlaybackSegment> cutRecording(const RecordingRow& row, WallTime start, WallTime end) {
  auto samples = decodeSampleIndex(row.sampleIndex);
  if (!samples) return samples.status();
  // Sample i starts at row.start + ticksToMicros(sum of durations before i).
  size_t first = 0;
  size_t last = 0;  // one past
  int64_t ticks = 0;
  for (size_t i = 0; i < samples->size(); ++i) {
    const WallTime at = WallTime::fromUnixMicros(row.start.unixMicros() + ticksToMicros(ticks));
    if (at >= end) break;
    if ((*samples)[i].keyframe && at <= start) first = i;
    last = i + 1;
    ticks += (*samples)[i].duration;
  }
  if (last <= first) return Status::notFound(fmt::format("recording {} has no sample in the range", row.id));
  PlaybackSegment seg;
  seg.recordingId = row.id;
  seg.sampleEntryId = row.sampleEntryId;
  seg.firstSample = static_cast<uint32_t>(first);
  int64_t before = 0;
  for (size_t i = 0; i < first; ++i) {
    before += (*samples)[i].duration;
    seg.fileOffset += (*samples)[i].bytes;
  }
  seg.samples.assign(samples->begin() + static_cast<ptrdiff_t>(first), samples->begin() + static_cast<ptrdiff_t>(last));
  for (const SampleInfo& s : seg.samples) {
    seg.bytes += s.bytes;
    seg.mediaDuration += s.duration;
  }
  seg.start = WallTime::fromUnixMicros(row.start.unixMicros() + ticksToMicros(before));
  seg.end = WallTime::fromUnixMicros(row.start.unixMicros() + ticksToMicros(before + seg.mediaDuration));
  return seg;
}

void finishPlan(PlaybackPlan& plan) {
  plan.gaps.clear();
  plan.mediaDuration = 0;
  plan.frames = 0;
  plan.bytes = 0;
  WallTime cursor = plan.start;
  for (const PlaybackSegment& seg : plan.segments) {
    if (seg.start > cursor) plan.gaps.push_back({cursor, seg.start});
    cursor = std::max(cursor, seg.end);
    plan.mediaDuration += seg.mediaDuration;
    plan.frames += seg.samples.size();
    plan.bytes += seg.bytes;
  }
  if (cursor < plan.end) plan.gaps.push_back({cursor, plan.end});
}

}  // namespace vigil::storage

#include "mask/masked_recording.h"

#include "mask/masker.h"

namespace vigil::mask {

namespace {

Result<storage::SampleRun> maskRun(const std::vector<detect::Polygon>& masks, const storage::SampleRun& run) {
  VideoMasker masker(masks);
  std::vector<media::Frame> out;
  int64_t at = 0;  // the sample's time from the run's start (90 kHz)
  size_t offset = 0;
  for (const storage::SampleInfo& sample : run.samples) {
    media::Frame frame;
    frame.pts = MediaTime(at);
    frame.keyframe = sample.keyframe;
    frame.params = run.params;
    frame.data.assign(run.data.begin() + static_cast<ptrdiff_t>(offset),
                      run.data.begin() + static_cast<ptrdiff_t>(offset + sample.bytes));
    VIGIL_RETURN_IF_ERROR(masker.push(frame, out));
    at += sample.duration;
    offset += sample.bytes;
  }
  VIGIL_RETURN_IF_ERROR(masker.finish(out));
  if (out.empty()) return Status::unavailable("no picture of the recording could be decoded to mask it");
  storage::SampleRun masked;
  masked.params = out.back().params;
  for (size_t i = 0; i < out.size(); ++i) {
    // The first masked picture covers the run from its start, and each
    // lasts until the next: the run's duration is kept whatever was lost.
    const int64_t from = i == 0 ? 0 : out[i].pts.ticks();
    const int64_t to = i + 1 < out.size() ? out[i + 1].pts.ticks() : at;
    masked.samples.push_back({static_cast<int32_t>(to - from), static_cast<uint32_t>(out[i].data.size()),
                              out[i].keyframe});
    masked.data.insert(masked.data.end(), out[i].data.begin(), out[i].data.end());
  }
  return masked;
}

}  // namespace

storage::SampleTransform maskingTransform(std::vector<detect::Polygon> masks) {
  return [masks = std::move(masks)](const storage::SampleRun& run) { return maskRun(masks, run); };
}

}  // namespace vigil::mask

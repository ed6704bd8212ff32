#include "storage/transformed.h"

#include <fmt/format.h>

#include <numeric>

#include "media/fmp4.h"

namespace vigil::storage {

namespace {

int64_t durationOf(const std::vector<SampleInfo>& samples) {
  return std::accumulate(samples.begin(), samples.end(), int64_t{0},
                         [](int64_t sum, const SampleInfo& s) { return sum + s.duration; });
}

// Samples [first, first + count) of `segment`, whose bytes start at `offset`.
Result<SampleRun> readRun(const PlaybackSegment& segment, size_t first, size_t count, uint64_t offset, uint64_t bytes) {
  SampleRun run;
  run.params = segment.params;
  run.samples.assign(segment.samples.begin() + static_cast<ptrdiff_t>(first),
                     segment.samples.begin() + static_cast<ptrdiff_t>(first + count));
  auto data = VirtualFile({samplesSlice(segment, 0, offset, bytes)}).read(0, bytes);
  if (!data) return data.status();
  if (data->size() != bytes) return Status::dataLoss("a sample file is shorter than its index");
  run.data = std::move(*data);
  return run;
}

// The transform's output, checked against its contract.
Result<SampleRun> transform(const SampleTransform& transform, const SampleRun& in) {
  auto out = transform(in);
  if (!out) return out.status();
  if (out->samples.empty() || !out->params || !out->samples.front().keyframe) {
    return Status::internal("a transform of recorded video gave no keyframe to start from");
  }
  if (durationOf(out->samples) != durationOf(in.samples)) {
    return Status::internal("a transform of recorded video changed its duration");
  }
  uint64_t bytes = 0;
  for (const SampleInfo& s : out->samples) bytes += s.bytes;
  if (bytes != out->data.size()) return Status::internal("a transform's samples do not add up to its bytes");
  return out;
}

}  // namespace

Result<media::Bytes> transformedInit(const FragmentedPlayback& playback, size_t init, const SampleTransform& t) {
  const auto& fragments = playback.fragments();
  for (size_t i = 0; i < fragments.size(); ++i) {
    if (fragments[i].init != init) continue;
    // Its keyframe alone: the parameter sets come with the first picture.
    const PlaybackFragment& f = fragments[i];
    const PlaybackSegment& seg = playback.plan().segments[f.segment];
    auto in = readRun(seg, f.firstSample, 1, f.fileOffset, seg.samples[f.firstSample].bytes);
    if (!in) return in.status();
    auto run = transform(t, *in);
    if (!run) return run.status();
    return media::fmp4InitSegment(*run->params);
  }
  return Status::notFound(fmt::format("no init segment {}", init));
}

Result<std::shared_ptr<const VirtualFile>> transformedFragment(const FragmentedPlayback& playback, size_t index,
                                                               const SampleTransform& t) {
  if (index >= playback.fragments().size()) {
    return Status::notFound(fmt::format("no fragment {} (of {})", index, playback.fragments().size()));
  }
  const PlaybackFragment& f = playback.fragments()[index];
  auto in = readRun(playback.plan().segments[f.segment], f.firstSample, f.frames, f.fileOffset, f.bytes);
  if (!in) return in.status();
  auto run = transform(t, *in);
  if (!run) return run.status();
  std::vector<media::FragmentSample> samples;
  for (const SampleInfo& s : run->samples) samples.push_back({s.bytes, static_cast<uint32_t>(s.duration), s.keyframe});
  auto header = std::make_shared<const media::Bytes>(
      media::fragmentHeader(static_cast<uint32_t>(index + 1), f.baseDecodeTime, samples));
  auto data = std::make_shared<const media::Bytes>(std::move(run->data));
  std::vector<VirtualFile::Slice> slices;
  slices.push_back({0, header->size(), header, {}, 0});
  slices.push_back({header->size(), data->size(), data, {}, 0});
  return std::make_shared<const VirtualFile>(std::move(slices));
}

uint64_t TransformedMemory::held() const {
  MutexLock lock(mutex_);
  return held_;
}

bool TransformedMemory::take(uint64_t bytes) {
  MutexLock lock(mutex_);
  if (bytes > max_ - held_) return false;
  held_ += bytes;
  return true;
}

void TransformedMemory::giveBack(uint64_t bytes) {
  MutexLock lock(mutex_);
  held_ -= bytes;
}

namespace {

// Bytes taken from a TransformedMemory, given back unless handed on.
class Taken {
 public:
  explicit Taken(std::shared_ptr<TransformedMemory> memory) : memory_(std::move(memory)) {}
  ~Taken() { memory_->giveBack(bytes_); }
  Taken(const Taken&) = delete;
  Taken& operator=(const Taken&) = delete;
  bool take(uint64_t bytes) {
    if (!memory_->take(bytes)) return false;
    bytes_ += bytes;
    return true;
  }
  // `bytes` held in memory: given back when the last of its owners goes.
  std::shared_ptr<const media::Bytes> handOn(media::Bytes bytes) {
    const uint64_t n = bytes.size();
    bytes_ -= n;
    return std::shared_ptr<const media::Bytes>(new media::Bytes(std::move(bytes)),
                                               [memory = memory_, n](const media::Bytes* b) {
                                                 delete b;
                                                 memory->giveBack(n);
                                               });
  }

 private:
  std::shared_ptr<TransformedMemory> memory_;
  uint64_t bytes_ = 0;
};

}  // namespace

Result<PlaybackPlan> transformedPlan(const PlaybackPlan& plan, const SampleTransform& t,
                                     const TransformBudget& budget) {
  PlaybackPlan out = plan;
  out.bytes = 0;
  out.frames = 0;
  Taken taken(budget.memory);
  for (PlaybackSegment& seg : out.segments) {
    media::Bytes memory;
    std::vector<SampleInfo> samples;
    std::shared_ptr<const media::VideoParameters> params;
    uint64_t offset = seg.fileOffset;
    // Keyframe to keyframe (a segment starts at one).
    for (size_t first = 0; first < seg.samples.size();) {
      size_t end = first + 1;
      uint64_t bytes = seg.samples[first].bytes;
      for (; end < seg.samples.size() && !seg.samples[end].keyframe; ++end) bytes += seg.samples[end].bytes;
      if (std::chrono::steady_clock::now() >= budget.deadline) {
        return Status::deadlineExceeded("the video was not all transformed in time");
      }
      auto in = readRun(seg, first, end - first, offset, bytes);
      if (!in) return in.status();
      auto run = transform(t, *in);
      if (!run) return run.status();
      if (!taken.take(run->data.size())) {
        return Status::resourceExhausted("the transformed video does not fit in the memory it may hold");
      }
      if (!params) params = run->params;
      samples.insert(samples.end(), run->samples.begin(), run->samples.end());
      memory.insert(memory.end(), run->data.begin(), run->data.end());
      offset += bytes;
      first = end;
    }
    seg.samplePath.clear();
    seg.memory = taken.handOn(std::move(memory));
    seg.params = std::move(params);
    seg.samples = std::move(samples);
    seg.fileOffset = 0;
    seg.bytes = seg.memory->size();
    out.bytes += seg.bytes;
    out.frames += seg.samples.size();
  }
  return out;
}

}  // namespace vigil::storage

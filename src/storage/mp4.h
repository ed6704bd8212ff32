#pragma once
// A progressive MP4 built on the fly from a playback plan
// (design/STORAGE.md, "Read path"): the header (ftyp, moov, the mdat box
// header) is generated in memory from the index; the media is byte ranges
// of sample files, read only when asked. A VirtualFile maps any byte range
// (an HTTP Range request) to header bytes and file ranges.

#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "media/h26x.h"
#include "storage/playback.h"

namespace vigil::storage {

class VirtualFile {
 public:
  // A piece of the file: bytes in memory, or a range of a file on disk.
  struct Slice {
    uint64_t start = 0;  // offset in the virtual file
    uint64_t length = 0;
    std::shared_ptr<const media::Bytes> memory;  // set for memory slices
    std::string path;                            // else a file range
    uint64_t fileOffset = 0;                     // in the file, or in `memory`
  };
  explicit VirtualFile(std::vector<Slice> slices);

  uint64_t size() const { return size_; }
  // The bytes [offset, offset + length) clipped to size(). A sample file
  // that vanished (retention) or shrank is NotFound / DataLoss.
  Result<media::Bytes> read(uint64_t offset, size_t length) const;
  // A strong HTTP entity tag ("\"size-hash\"") of the bytes: a hash of the
  // memory slices (the moov or moof, which list every sample's size and
  // offset) and of where each file slice lies. Sample files are written
  // once and never reused, so equal tags mean equal bytes, and a range
  // that grows (an open recording) gets a new tag. Reads no file.
  std::string entityTag() const;

 private:
  std::vector<Slice> slices_;
  uint64_t size_ = 0;
};

// The MP4 of a plan: video tracks at 90 kHz, one per run of segments with
// the same codec, each with one sample description per distinct sample
// entry and one chunk per segment. The movie's timeline is the wall clock
// from plan.start: edit lists start playback at plan.start (the media
// starts at the keyframe before), end it at plan.end, and keep gaps (in
// plan.gaps) as empty edits, not closed. FailedPrecondition for an empty
// plan. With `audio` (the plan of the camera's audio stream over the same
// range), its samples are one more track, on the same wall-clock timeline
// (design/STORAGE.md, "Audio").
Result<std::shared_ptr<const VirtualFile>> buildMp4(const PlaybackPlan& plan, const PlaybackPlan* audio = nullptr);

// The slice at `start` of the virtual file holding `bytes` of a segment's
// samples from `offset` (in its sample file, or its `memory`).
VirtualFile::Slice samplesSlice(const PlaybackSegment& segment, uint64_t start, uint64_t offset, uint64_t bytes);

}  // namespace vigil::storage

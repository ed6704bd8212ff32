#pragma once
// Privacy masks at the source (design/DETECT.md, "Privacy masks"): one
// camera's video with its mask polygons blacked out. Each frame is decoded
// (libavcodec), the polygons are painted black in its YUV planes, and the
// picture is encoded again as H.264 (libx264: ultrafast, zerolatency,
// one frame out per frame in, an IDR with its parameter sets in band at
// each keyframe of the camera, so GOPs line up). Black is the darkest
// value of the picture's range: Y = 16 (limited range, what cameras
// send), or 0 for a full-range picture; U = V = 128. Only the encoder's
// output, which saw nothing but masked pictures, ever comes out. With no
// polygons and a width cap it is a plain transcoder to H.264 at a capped
// size: what browsers that cannot play a camera's codec are sent
// (transcode/browser_transcodes.h).

#include <memory>
#include <vector>

#include "base/status.h"
#include "detect/picture.h"
#include "media/frame.h"

namespace vigil::mask {

// Threads a pool that masks gets: one per 2 cores (at least 1), as
// detection's workers.
int defaultThreads();

class VideoMasker {
 public:
  // `masks`: polygons in 0..1 picture coordinates, rasterised at each
  // picture size the camera sends (a pixel is masked when its centre is
  // inside; a chroma sample when any of its luma pixels is). `maxWidth`:
  // pictures wider than it are scaled down to it (aspect kept, even
  // height) before masking; 0: kept at the camera's size.
  explicit VideoMasker(std::vector<detect::Polygon> masks, int maxWidth = 0);
  ~VideoMasker();
  VideoMasker(VideoMasker&&) noexcept;
  VideoMasker& operator=(VideoMasker&&) noexcept;

  // Masks one frame of the camera (H.264 or H.265) and appends what comes
  // out to `out`: one masked H.264 frame per picture decoded, with its
  // pts, capture time and keyframe flag, and the encoder's parameter sets
  // in `params`. Nothing comes out before the camera's first keyframe;
  // a frame that does not decode drops what follows it up to the next
  // keyframe. An error only when the encoder fails (the caller stops).
  Status push(const media::Frame& frame, std::vector<media::Frame>& out);
  // No more frames: the pictures the decoder still holds come out too (a
  // recorded run's last ones). The masker takes no frame after this.
  Status finish(std::vector<media::Frame>& out);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace vigil::mask

#pragma once
// `applies = "all"` (design/DETECT.md, "Privacy masks"): a camera's frames
// masked before anything else of its node sees them (live view, snapshots,
// recording, detection). Frames from the camera's loop wait in a bounded
// queue and are masked on a pool shared by such cameras, then handed on in
// order to the next sink, one at a time (not on the camera's loop). The
// camera's loop never waits: a full queue drops frames up to the next
// keyframe, counted, as detection's does. Nothing of a session reaches
// the next sink after its end did (FrameSink::onSessionEnd).

#include <boost/asio/thread_pool.hpp>
#include <cstdint>
#include <memory>
#include <vector>

#include "camera/camera.h"
#include "detect/picture.h"

namespace vigil::mask {

class MaskingSink final : public camera::FrameSink {
 public:
  // Frames waiting to be masked, at most (2 s at 25 fps).
  static constexpr size_t kMaxQueued = 50;

  // `pool` and `next` must outlive this sink.
  MaskingSink(boost::asio::thread_pool& pool, std::vector<detect::Polygon> masks, camera::FrameSink& next);
  // Waits for the frame being handed on, if any; nothing reaches `next` after.
  ~MaskingSink() override;

  void onFrame(const std::string& cameraId, const media::SharedFrame& frame, bool newSegment) override;
  void onAudio(const std::string& cameraId, const media::SharedFrame& frame, bool newSegment) override;
  // The frames of the ended session still waiting or being masked are
  // not handed on; then `next` is told.
  void onSessionEnd(const std::string& cameraId) override;
  // Frames dropped because the queue was full.
  uint64_t dropped() const;

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace vigil::mask

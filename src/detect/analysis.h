#pragma once
// What the detection pipeline says about one analysed frame of a camera:
// the motion it saw and the objects in it. The event tracker turns a
// camera's analyses into events.

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/time.h"
#include "detect/objects.h"
#include "detect/picture.h"

namespace vigil::detect {

struct FrameAnalysis {
  std::string camera;
  WallTime time;                    // the frame's capture time
  std::vector<Box> motion;          // in `picture`'s pixels, inside the camera's include zones
  std::vector<Detection> objects;   // labels the camera detects only, in `picture`'s pixels
  std::shared_ptr<const BgrImage> picture;  // the analysed picture, masks applied; null when nothing moved
  int droppedFrames = 0;            // frames of this camera skipped since its previous analysis
};

// Called on a detection worker thread, one camera's analyses in order.
using AnalysisSink = std::function<void(const FrameAnalysis&)>;

}  // namespace vigil::detect

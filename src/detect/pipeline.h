#pragma once
// Detection's worker pool, shared by every camera of a node: each camera's
// frames wait in a bounded queue, and a worker decodes them with the
// camera's own decoder, analyses a few per second (motion, then objects
// in the regions that moved) and hands each analysis to the sink.
// Under load a camera's queue drops frames up to its next keyframe, counted;
// the camera's loop never waits (design/DETECT.md, "Decoding and motion").

#include <cstdint>
#include <memory>
#include <string>

#include "detect/analysis.h"
#include "detect/config.h"
#include "media/frame.h"

namespace vigil::detect {

class Pipeline {
 public:
  // One camera's queue, decoder and motion.
  class Camera;

  // `sink` is called on a worker thread, each camera's analyses in order.
  Pipeline(DetectConfig config, AnalysisSink sink);
  ~Pipeline();  // stop()
  Pipeline(const Pipeline&) = delete;
  Pipeline& operator=(const Pipeline&) = delete;

  // Before start(): a camera whose frames push() will take.
  Camera& addCamera(const std::string& id, CameraDetectConfig config);
  // Starts the workers (DetectConfig::workers; workerCount()).
  void start();
  // Joins the workers, dropping what is queued. Frames pushed after are
  // ignored. Idempotent.
  void stop();

  // One received frame of `camera`, from its loop: queued (the pointer,
  // never the bytes) or dropped at once; never waits for a worker.
  void push(Camera& camera, const media::SharedFrame& frame, bool newSegment);

  struct Counts {
    uint64_t analysed = 0;  // pictures analysed
    uint64_t dropped = 0;   // frames never decoded because the workers were behind
  };
  // Thread-safe; zeros for a camera the pipeline does not analyse.
  Counts counts(const std::string& cameraId) const;

 private:
  struct Pool;
  std::unique_ptr<Pool> pool_;
};

}  // namespace vigil::detect

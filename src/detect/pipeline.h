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

  // Before start(): a camera whose frames push() will take while its
  // config has labels (CameraDetectConfig::enabled).
  Camera& addCamera(const std::string& id, CameraDetectConfig config);
  // The camera's new config, from any thread: the next picture analysed
  // uses it (labels, zones, masks). Without labels the camera's frames are
  // no longer queued; with labels again, from its next keyframe.
  void configure(Camera& camera, CameraDetectConfig config);
  // Starts the workers (DetectConfig::workers; workerCount()). Each loads
  // the object model when it first needs it.
  void start();
  // Joins the workers, dropping what is queued. Frames pushed after are
  // ignored. Idempotent.
  void stop();

  // One received frame of `camera`, from its loop: queued (the pointer,
  // never the bytes), dropped at once, or ignored while the camera detects
  // nothing; never waits for a worker.
  void push(Camera& camera, const media::SharedFrame& frame, bool newSegment);

  // Whether the camera's config has labels now. Thread-safe.
  bool detects(const Camera& camera) const;

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

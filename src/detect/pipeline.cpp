#include "detect/pipeline.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <optional>
#include <thread>
#include <vector>

#include "base/log.h"
#include "base/mutex.h"
#include "detect/decoder.h"
#include "detect/motion.h"
#include "detect/objects.h"

namespace vigil::detect {

namespace {

// Frames a camera may have waiting: two seconds at 25 fps. A camera whose
// queue is full drops frames until its next keyframe (a decoder needs a
// GOP's frames in order from its keyframe).
constexpr size_t kQueueFrames = 50;
// Frames a worker takes from one camera before it turns to the next, so
// that one busy camera cannot hold a worker while others wait.
constexpr size_t kBatchFrames = 8;
// The picture analysed and handed on (at most this wide, aspect kept);
// motion looks at it at half its size.
constexpr int kPictureWidth = 640;
constexpr int kMotionScale = 2;
// The object stage: the least score a detection needs, and the least side
// of the square region around the motion given to the detector, in
// picture pixels (the model's input: a small model scores better on a
// crop at least that large than on the motion box itself; design/DETECT.md,
// "What region to give it").
constexpr float kMinObjectScore = 0.35f;
constexpr int kMinObjectRegion = 416;

struct Pending {
  media::SharedFrame frame;
  bool newSegment;
};

// A frame chosen for analysis, until its picture comes out of the decoder.
struct Due {
  int64_t pts;
  WallTime time;
};

int even(int v) { return std::max(2, v & ~1); }

// Where the object stage looks: a square around all of `motion`, at least
// kMinObjectRegion on a side, moved inside the picture and clipped to it
// (most of a 640x360 picture, which is what motion over most of it gets).
Box objectRegion(const std::vector<Box>& motion, int width, int height) {
  int x0 = width, y0 = height, x1 = 0, y1 = 0;
  for (const Box& b : motion) {
    x0 = std::min(x0, b.x), y0 = std::min(y0, b.y);
    x1 = std::max(x1, b.x + b.width), y1 = std::max(y1, b.y + b.height);
  }
  const int side = std::max({kMinObjectRegion, x1 - x0, y1 - y0});
  auto place = [side](int from, int to, int limit) {
    const int start = std::clamp((from + to - side) / 2, 0, std::max(0, limit - side));
    return std::pair{start, std::min(limit, start + side) - start};
  };
  const auto [x, w] = place(x0, x1, width);
  const auto [y, h] = place(y0, y1, height);
  return {x, y, w, h};
}

}  // namespace

class Pipeline::Camera {
 public:
  Camera(std::string id, CameraDetectConfig initial)
      : id(std::move(id)), enabled(initial.enabled()), config(std::make_shared<const CameraDetectConfig>(std::move(initial))) {}

  const std::string id;
  std::atomic<bool> enabled;

  Mutex mutex;
  std::shared_ptr<const CameraDetectConfig> config GUARDED_BY(mutex);
  std::deque<Pending> queue GUARDED_BY(mutex);
  // In the pool's ready list or held by a worker: no second worker takes it.
  bool scheduled GUARDED_BY(mutex) = false;
  bool awaitKeyframe GUARDED_BY(mutex) = false;
  uint64_t droppedSinceAnalysis GUARDED_BY(mutex) = 0;
  std::atomic<uint64_t> dropped{0};
  std::atomic<uint64_t> analysed{0};

  // The worker's, while the camera is scheduled and taken: one at a time.
  std::shared_ptr<const CameraDetectConfig> applied;  // what the maps below were made for
  std::optional<VideoDecoder> decoder;
  bool decoderNeedsKeyframe = true;
  std::optional<int64_t> nextDuePts;
  std::deque<Due> due;
  int sourceWidth = 0;
  int sourceHeight = 0;
  int sourceFormat = -1;
  SwsContextPtr toGray;
  SwsContextPtr toBgr;
  std::vector<std::uint8_t> gray;
  std::optional<MotionDetector> motion;
  std::optional<AreaMaps> pictureMaps;
  log::RateLimit decodeErrors{std::chrono::seconds(10)};
};

struct Pipeline::Pool {
  Pool(DetectConfig config, AnalysisSink sink) : config(std::move(config)), sink(std::move(sink)) {}

  void run();
  // `detector` is the worker's own, null when the model did not open.
  void process(Camera& camera, const Pending& pending, ObjectDetector* detector);
  void analyse(Camera& camera, const AVFrame& picture, WallTime time, ObjectDetector* detector);
  // Sizes the scalers, maps and motion to a new picture size.
  void resize(Camera& camera, const AVFrame& picture);

  const DetectConfig config;
  const AnalysisSink sink;
  std::vector<std::unique_ptr<Camera>> cameras;  // fixed once started

  Mutex mutex;
  std::condition_variable wake;
  std::deque<Camera*> ready GUARDED_BY(mutex);
  bool stopping GUARDED_BY(mutex) = false;
  std::vector<std::thread> workers;
};

Pipeline::Pipeline(DetectConfig config, AnalysisSink sink)
    : pool_(std::make_unique<Pool>(std::move(config), std::move(sink))) {}

Pipeline::~Pipeline() { stop(); }

Pipeline::Camera& Pipeline::addCamera(const std::string& id, CameraDetectConfig config) {
  pool_->cameras.push_back(std::make_unique<Camera>(id, std::move(config)));
  return *pool_->cameras.back();
}

void Pipeline::configure(Camera& camera, CameraDetectConfig config) {
  MutexLock lock(camera.mutex);
  const bool enabled = config.enabled();
  if (enabled && !camera.enabled.load()) camera.awaitKeyframe = true;  // its decoder starts again there
  if (!enabled) camera.queue.clear();
  camera.config = std::make_shared<const CameraDetectConfig>(std::move(config));
  camera.enabled.store(enabled);
}

void Pipeline::start() {
  const int count = workerCount(pool_->config);
  for (int i = 0; i < count; ++i) pool_->workers.emplace_back([pool = pool_.get()] { pool->run(); });
  log::info("detect.started", {{"cameras", pool_->cameras.size()}, {"workers", count}, {"fps", pool_->config.fps}});
}

void Pipeline::stop() {
  {
    MutexLock lock(pool_->mutex);
    if (pool_->stopping) return;
    pool_->stopping = true;
  }
  pool_->wake.notify_all();
  for (std::thread& worker : pool_->workers) worker.join();
  pool_->workers.clear();
}

void Pipeline::push(Camera& camera, const media::SharedFrame& frame, bool newSegment) {
  if (!camera.enabled.load(std::memory_order_relaxed)) return;
  bool schedule = false;
  {
    MutexLock lock(camera.mutex);
    if (!camera.enabled.load(std::memory_order_relaxed)) return;
    if (camera.awaitKeyframe && !frame->keyframe) {
      ++camera.droppedSinceAnalysis;
      camera.dropped.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    camera.awaitKeyframe = false;
    if (camera.queue.size() >= kQueueFrames) {
      // Behind: what waits is stale. A keyframe replaces it (the decoder
      // starts again there); any other frame is dropped with the rest of
      // its GOP.
      const uint64_t lost = frame->keyframe ? camera.queue.size() : 1;
      if (frame->keyframe) camera.queue.clear();
      camera.awaitKeyframe = !frame->keyframe;
      camera.droppedSinceAnalysis += lost;
      camera.dropped.fetch_add(lost, std::memory_order_relaxed);
      if (!frame->keyframe) return;
    }
    camera.queue.push_back({frame, newSegment});
    schedule = !camera.scheduled;
    camera.scheduled = true;
  }
  if (!schedule) return;
  {
    MutexLock lock(pool_->mutex);
    if (pool_->stopping) return;
    pool_->ready.push_back(&camera);
  }
  pool_->wake.notify_one();
}

bool Pipeline::detects(const Camera& camera) const { return camera.enabled.load(std::memory_order_relaxed); }

Pipeline::Counts Pipeline::counts(const std::string& cameraId) const {
  for (const auto& camera : pool_->cameras) {
    if (camera->id == cameraId) {
      return {camera->analysed.load(std::memory_order_relaxed), camera->dropped.load(std::memory_order_relaxed)};
    }
  }
  return {};
}

void Pipeline::Pool::run() {
  // Each worker its own detector (not thread-safe), loaded when a camera
  // first gives it a frame; a model that does not open leaves detection at
  // motion only.
  std::unique_ptr<ObjectDetector> detector;
  bool modelTried = false;
  std::vector<Pending> batch;
  for (;;) {
    Camera* camera = nullptr;
    {
      MutexLock lock(mutex);
      lock.wait(wake, [&]() REQUIRES(mutex) { return stopping || !ready.empty(); });
      if (stopping) return;
      camera = ready.front();
      ready.pop_front();
    }
    batch.clear();
    {
      MutexLock lock(camera->mutex);
      while (!camera->queue.empty() && batch.size() < kBatchFrames) {
        batch.push_back(std::move(camera->queue.front()));
        camera->queue.pop_front();
      }
    }
    if (!modelTried && !batch.empty()) {
      modelTried = true;
      const std::string model = config.model.empty() ? ObjectDetector::defaultModelPath() : config.model;
      if (auto opened = ObjectDetector::open(model)) {
        detector = std::move(*opened);
      } else {
        log::warn("detect.model.failed", {{"error", opened.status()}, {"effect", "motion only"}});
      }
    }
    for (const Pending& pending : batch) process(*camera, pending, detector.get());
    bool again = false;
    {
      MutexLock lock(camera->mutex);
      again = !camera->queue.empty();
      camera->scheduled = again;
    }
    if (again) {
      MutexLock lock(mutex);
      ready.push_back(camera);  // behind the cameras that waited meanwhile
    }
  }
}

void Pipeline::Pool::process(Camera& camera, const Pending& pending, ObjectDetector* detector) {
  const media::Frame& frame = *pending.frame;
  if (!frame.params) return;
  if (!camera.decoder || !(camera.decoder->params() == *frame.params)) {
    if (!frame.keyframe) return;  // a new decoder starts at a keyframe
    auto decoder = VideoDecoder::open(*frame.params);
    if (!decoder) {
      if (camera.decodeErrors.allow()) {
        log::warn("detect.decoder.failed", {{"camera", camera.id}, {"error", decoder.status()}});
      }
      return;
    }
    camera.decoder.emplace(std::move(*decoder));
    camera.decoderNeedsKeyframe = false;
    camera.due.clear();
  }
  if (camera.decoderNeedsKeyframe) {
    if (!frame.keyframe) return;
    camera.decoderNeedsKeyframe = false;
  }
  // Which frames are analysed: one per 1/fps of the stream's own clock.
  const int64_t interval = MediaDuration::kTicksPerSecond / config.fps;
  const int64_t pts = frame.pts.ticks();
  if (pending.newSegment || !camera.nextDuePts || pts < *camera.nextDuePts - 10 * interval) camera.nextDuePts = pts;
  const bool wanted = pts >= *camera.nextDuePts;
  if (wanted) {
    *camera.nextDuePts += interval;
    if (*camera.nextDuePts <= pts) *camera.nextDuePts = pts + interval;  // fell behind: no catching up
    camera.due.push_back({pts, frame.captureTime});
    if (camera.due.size() > 16) camera.due.pop_front();  // pictures the decoder never gave
  }
  if (Status sent = camera.decoder->send(frame, wanted); !sent.isOk()) {
    if (camera.decodeErrors.allow()) {
      log::warn("detect.decode.failed",
                {{"camera", camera.id}, {"error", sent}, {"suppressed", camera.decodeErrors.suppressed()}});
    }
    camera.decoderNeedsKeyframe = true;
    return;
  }
  while (const AVFrame* picture = camera.decoder->receive()) {
    auto it = std::find_if(camera.due.begin(), camera.due.end(), [&](const Due& d) { return d.pts == picture->pts; });
    if (it == camera.due.end()) continue;
    const WallTime time = it->time;
    camera.due.erase(camera.due.begin(), it + 1);
    analyse(camera, *picture, time, detector);
  }
}

void Pipeline::Pool::resize(Camera& camera, const AVFrame& picture) {
  camera.sourceWidth = picture.width;
  camera.sourceHeight = picture.height;
  camera.sourceFormat = picture.format;
  const int width = even(std::min(kPictureWidth, picture.width));
  const int height = even(static_cast<int>(int64_t{picture.height} * width / picture.width));
  const int motionWidth = width / kMotionScale;
  const int motionHeight = height / kMotionScale;
  const auto format = static_cast<AVPixelFormat>(picture.format);
  // Area averaging: the downscale is also the motion stage's noise filter.
  camera.toGray.reset(sws_getContext(picture.width, picture.height, format, motionWidth, motionHeight,
                                     AV_PIX_FMT_GRAY8, SWS_AREA, nullptr, nullptr, nullptr));
  camera.toBgr.reset(sws_getContext(picture.width, picture.height, format, width, height, AV_PIX_FMT_BGR24,
                                    SWS_BILINEAR, nullptr, nullptr, nullptr));
  camera.gray.assign(static_cast<size_t>(motionWidth) * motionHeight, 0);
  camera.motion.emplace(AreaMaps(*camera.applied, motionWidth, motionHeight), config.sensitivity);
  camera.pictureMaps.emplace(*camera.applied, width, height);
}

void Pipeline::Pool::analyse(Camera& camera, const AVFrame& picture, WallTime time, ObjectDetector* detector) {
  std::shared_ptr<const CameraDetectConfig> current;
  {
    MutexLock lock(camera.mutex);
    current = camera.config;
  }
  // New zones or masks: new maps, and motion learns its background again.
  const bool reconfigured = current != camera.applied;
  camera.applied = std::move(current);
  if (reconfigured || picture.width != camera.sourceWidth || picture.height != camera.sourceHeight ||
      picture.format != camera.sourceFormat) {
    resize(camera, picture);
  }
  if (!camera.toGray || !camera.toBgr) return;  // a format swscale cannot read
  const AreaMaps& motionMaps = camera.motion->maps();
  uint8_t* grayPlanes[4] = {camera.gray.data(), nullptr, nullptr, nullptr};
  int grayStrides[4] = {motionMaps.width, 0, 0, 0};
  sws_scale(camera.toGray.get(), picture.data, picture.linesize, 0, picture.height, grayPlanes, grayStrides);

  FrameAnalysis analysis;
  analysis.camera = camera.id;
  analysis.time = time;
  {
    MutexLock lock(camera.mutex);
    analysis.droppedFrames = static_cast<int>(std::min<uint64_t>(camera.droppedSinceAnalysis, INT32_MAX));
    camera.droppedSinceAnalysis = 0;
  }
  const std::vector<Box> moved = camera.motion->update(camera.gray.data(), motionMaps.width);
  if (!moved.empty()) {
    // The picture only when something moved: it is what the object stage
    // and an event's snapshot need, and costs a conversion.
    auto bgr = std::make_shared<BgrImage>();
    bgr->width = camera.pictureMaps->width;
    bgr->height = camera.pictureMaps->height;
    bgr->pixels.resize(static_cast<size_t>(bgr->width) * bgr->height * 3);
    uint8_t* planes[4] = {bgr->pixels.data(), nullptr, nullptr, nullptr};
    int strides[4] = {bgr->width * 3, 0, 0, 0};
    sws_scale(camera.toBgr.get(), picture.data, picture.linesize, 0, picture.height, planes, strides);
    applyMasks(*camera.pictureMaps, *bgr);
    for (const Box& b : moved) {
      analysis.motion.push_back({b.x * kMotionScale, b.y * kMotionScale, b.width * kMotionScale,
                                 b.height * kMotionScale});
    }
    if (detector != nullptr && !camera.applied->labels.empty()) {  // a motion-only camera has no object stage
      const Box region = objectRegion(analysis.motion, bgr->width, bgr->height);
      for (const Detection& d : detector->detect(*bgr, region, kMinObjectScore)) {
        const auto& labels = camera.applied->labels;
        if (std::find(labels.begin(), labels.end(), d.label) != labels.end()) analysis.objects.push_back(d);
      }
    }
    analysis.picture = std::move(bgr);
  }
  camera.analysed.fetch_add(1, std::memory_order_relaxed);
  sink(analysis);
}

}  // namespace vigil::detect

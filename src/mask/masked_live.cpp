#include "mask/masked_live.h"

#include <fmt/format.h>

#include <atomic>

#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>

#include "base/log.h"
#include "mask/masker.h"

namespace vigil::mask {

namespace asio = boost::asio;

// One camera's masking: its live stream in, its masked stream out. Touched
// on its strand only, but for `out`, which any thread may subscribe to.
struct MaskedLive::Job : std::enable_shared_from_this<Job> {
  Job(std::shared_ptr<asio::thread_pool> p, std::shared_ptr<media::LiveStream> in, std::vector<detect::Polygon> masks)
      : pool(std::move(p)),
        strand(asio::make_strand(pool->get_executor())),
        source(std::move(in)),
        out(std::make_shared<media::LiveStream>(source->id() + " (masked)", media::LiveOptions{},
                                                SystemClock::instance())),
        masker(std::move(masks)) {}

  // On the strand: (again) a viewer of the camera's stream, its cached GOP first.
  void subscribe() {
    std::weak_ptr<Job> weak = weak_from_this();
    viewer = source->subscribe([weak] {
      if (auto job = weak.lock()) asio::post(job->strand, [weak] {
          if (auto j = weak.lock()) j->drain();
        });
    });
    newSegment = true;
    drain();
  }

  // On the strand: what the camera sent since, masked and published.
  void drain() {
    if (failed || !viewer) return;
    if (Status s = viewer->pop(items); !s.isOk()) {
      // Too slow for the camera (the CPU is short): start again at its
      // latest GOP rather than stop.
      log::warn("mask.live_behind", {{"camera", source->id()}, {"status", s}});
      return subscribe();
    }
    for (const media::LiveItem& item : items) {
      if (item.newSegment || item.discontinuity) newSegment = true;
      masked.clear();
      if (Status s = masker.push(*item.frame, masked); !s.isOk()) {
        log::error("mask.live_failed", {{"camera", source->id()}, {"status", s}});
        failed = true;  // nothing more goes out; a new hold starts again
        viewer.reset();
        return;
      }
      for (media::Frame& f : masked) {
        out->publish(std::make_shared<const media::Frame>(std::move(f)), std::exchange(newSegment, false));
      }
    }
    items.clear();
  }

  std::shared_ptr<asio::thread_pool> pool;  // outlives the strand
  asio::strand<asio::thread_pool::executor_type> strand;
  const std::shared_ptr<media::LiveStream> source;
  const std::shared_ptr<media::LiveStream> out;
  VideoMasker masker;
  std::vector<media::LiveItem> items;
  std::vector<media::Frame> masked;
  bool newSegment = true;  // the next frame out starts a segment
  std::atomic<bool> failed = false;  // read by hold()
  std::unique_ptr<media::LiveViewer> viewer;  // last: unsubscribed first when the job goes
};

MaskedLive::MaskedLive(media::LiveRegistry& live, std::map<std::string, std::vector<detect::Polygon>> masks,
                       int threads)
    : live_(live),
      masks_(masks.begin(), masks.end()),
      // No masked camera, no thread.
      pool_(masks_.empty() ? nullptr : std::make_shared<asio::thread_pool>(static_cast<size_t>(std::max(1, threads)))) {}

MaskedLive::~MaskedLive() {
  // A job outliving this object keeps the pool object, whose threads are
  // gone: its frames are no longer masked, and none is ever sent unmasked.
  if (!pool_) return;
  pool_->stop();
  pool_->join();
}

Result<std::shared_ptr<media::LiveStream>> MaskedLive::hold(const std::string& camera) {
  auto masks = masks_.find(camera);
  if (masks == masks_.end()) return Status::notFound(fmt::format("camera \"{}\" has no privacy masks", camera));
  MutexLock lock(mutex_);
  std::shared_ptr<Job> job = jobs_[camera].lock();
  if (!job || job->failed) {
    job = std::make_shared<Job>(pool_, live_.stream(camera), masks->second);
    jobs_[camera] = job;
    // Weak: a handler the stopped pool never runs must not keep the job
    // (which keeps the pool).
    asio::post(job->strand, [weak = std::weak_ptr<Job>(job)] {
      if (auto j = weak.lock()) j->subscribe();
    });
  }
  // The stream's owner is the job: holding the stream holds the masking.
  return std::shared_ptr<media::LiveStream>(job, job->out.get());
}

}  // namespace vigil::mask

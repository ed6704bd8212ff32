#include "mask/masked_live.h"

#include <fmt/format.h>

#include <boost/asio/thread_pool.hpp>

#include "mask/live_reencoder.h"
#include "mask/masker.h"

namespace vigil::mask {

namespace asio = boost::asio;

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
  std::shared_ptr<LiveReencoder> job = jobs_[camera].lock();
  if (!job || job->failed()) {
    job = LiveReencoder::start(pool_, live_.stream(camera), VideoMasker(masks->second), "masked");
    jobs_[camera] = job;
  }
  // The stream's owner is the job: holding the stream holds the masking.
  return LiveReencoder::output(job);
}

}  // namespace vigil::mask

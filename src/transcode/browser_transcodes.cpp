#include "transcode/browser_transcodes.h"

#include <fmt/format.h>

#include <algorithm>
#include <thread>

#include <boost/asio/thread_pool.hpp>

#include "mask/live_reencoder.h"
#include "mask/masker.h"

namespace vigil::transcode {

namespace asio = boost::asio;

BrowserTranscodes::BrowserTranscodes(media::LiveRegistry& live, TranscodeConfig config)
    : live_(live),
      config_(config),
      pool_(std::make_shared<asio::thread_pool>(static_cast<size_t>(
          std::clamp(config.maxConcurrent, 1, std::max(1, static_cast<int>(std::thread::hardware_concurrency())))))) {}

BrowserTranscodes::~BrowserTranscodes() {
  pool_->stop();
  pool_->join();
}

Result<std::shared_ptr<media::LiveStream>> BrowserTranscodes::hold(const std::string& camera) {
  MutexLock lock(mutex_);
  std::erase_if(running_, [](const auto& entry) { return entry.second.expired(); });
  std::shared_ptr<mask::LiveReencoder> running;
  if (auto it = running_.find(camera); it != running_.end()) running = it->second.lock();
  if (!running || running->failed()) {
    const size_t others = running_.size() - (running ? 1 : 0);
    if (others >= static_cast<size_t>(config_.maxConcurrent)) {
      return Status::resourceExhausted(
          fmt::format("this node already converts {} cameras for browsers that cannot play them (at most {}); "
                      "try again when a view closes, or use a browser that plays the camera's codec",
                      others, config_.maxConcurrent));
    }
    running = mask::LiveReencoder::start(pool_, live_.stream(camera), mask::VideoMasker({}, config_.maxWidth),
                                         "h264 for browsers");
    running_[camera] = running;
  }
  return mask::LiveReencoder::output(running);
}

std::vector<std::string> BrowserTranscodes::active() {
  MutexLock lock(mutex_);
  std::vector<std::string> cameras;
  for (const auto& [camera, running] : running_) {
    if (!running.expired()) cameras.push_back(camera);
  }
  return cameras;
}

}  // namespace vigil::transcode

#include "http/live_frames.h"

#include <algorithm>
#include <condition_variable>
#include <mutex>

namespace vigil::http {

std::vector<media::LiveItem> firstFrames(media::LiveStream& stream, std::chrono::milliseconds wait) {
  struct Ready {
    std::mutex mutex;
    std::condition_variable cv;
    bool ready = false;
  };
  auto ready = std::make_shared<Ready>();
  auto viewer = stream.subscribe([ready] {
    std::lock_guard lock(ready->mutex);
    ready->ready = true;
    ready->cv.notify_all();
  });
  std::vector<media::LiveItem> items;
  const auto deadline = std::chrono::steady_clock::now() + wait;
  while (viewer->pop(items).isOk() && items.empty()) {
    std::unique_lock lock(ready->mutex);
    if (!ready->cv.wait_until(lock, deadline, [&] { return ready->ready; })) break;
    ready->ready = false;
  }
  return items;
}

}  // namespace vigil::http

namespace vigil::http {

std::optional<SnapshotWaits::Wait> SnapshotWaits::begin(const std::string& camera, std::chrono::seconds& retryAfter) {
  const auto now = Clock::now();
  MutexLock lock(mutex_);
  std::erase_if(failedUntil_, [&](const auto& failed) { return failed.second <= now; });
  if (auto failed = failedUntil_.find(camera); failed != failedUntil_.end()) {
    retryAfter = std::max(std::chrono::ceil<std::chrono::seconds>(failed->second - now), std::chrono::seconds(1));
    return std::nullopt;
  }
  if (waiting_.contains(camera) || waiting_.size() >= options_.maxWaiting) {
    retryAfter = std::max(options_.whileWaiting, std::chrono::seconds(1));
    return std::nullopt;
  }
  waiting_.insert(camera);
  return Wait(this, camera);
}

void SnapshotWaits::end(const std::string& camera, bool failed) {
  MutexLock lock(mutex_);
  waiting_.erase(camera);
  if (failed) failedUntil_[camera] = Clock::now() + options_.afterFailure;
}

SnapshotWaits::Wait::~Wait() {
  if (waits_) waits_->end(camera_, failed_);
}

void SnapshotWaits::Wait::failed() { failed_ = true; }

Response busyResponse(std::chrono::seconds retryAfter, std::string_view why) {
  Response r = Response::error(503, why);
  r.headers.emplace_back("Retry-After", std::to_string(retryAfter.count()));
  return r;
}

}  // namespace vigil::http

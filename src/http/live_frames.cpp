#include "http/live_frames.h"

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

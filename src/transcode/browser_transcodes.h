#pragma once
// Live video for browsers that cannot play a camera's codec (issue 17
// item 5; design/ARCHITECTURE.md, "Browser transcodes"): Chromium on Linux
// plays no H.265 from Media Source Extensions. Such a browser asks for
// H.264 and gets the camera's live stream decoded and encoded again as
// H.264 (mask::VideoMasker with no mask: libx264 ultrafast, GOPs aligned
// with the camera's) at most [transcode] max_width wide. One transcode per
// camera, shared by all its viewers: the first hold starts it, the last
// one released stops it. At most max_concurrent cameras at once per node;
// a hold beyond is refused (ResourceExhausted, with a message for the
// viewer). Recording never goes through here. Thread-safe.

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/mutex.h"
#include "base/status.h"
#include "media/live.h"
#include "transcode/config.h"

namespace boost::asio {
class thread_pool;
}

namespace vigil::mask {
class LiveReencoder;
}

namespace vigil::transcode {

class BrowserTranscodes {
 public:
  // The cameras' frames come from `live`, which must outlive this object.
  // A thread per transcode up to the machine's cores, shared beyond.
  BrowserTranscodes(media::LiveRegistry& live, TranscodeConfig config);
  // Stops the threads (a stream still held gets no more frames).
  ~BrowserTranscodes();
  BrowserTranscodes(const BrowserTranscodes&) = delete;
  BrowserTranscodes& operator=(const BrowserTranscodes&) = delete;

  // `camera`'s live stream as H.264, transcoded while the pointer (or a
  // copy) is held; it starts with the camera's cached GOP, transcoded.
  // ResourceExhausted when max_concurrent other cameras are transcoded.
  Result<std::shared_ptr<media::LiveStream>> hold(const std::string& camera);
  // The cameras transcoded now (for /metrics).
  std::vector<std::string> active();
  int maxConcurrent() const { return config_.maxConcurrent; }

 private:
  media::LiveRegistry& live_;
  const TranscodeConfig config_;
  std::shared_ptr<boost::asio::thread_pool> pool_;
  Mutex mutex_;
  std::map<std::string, std::weak_ptr<mask::LiveReencoder>> running_ GUARDED_BY(mutex_);  // by camera
};

}  // namespace vigil::transcode

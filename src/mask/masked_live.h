#pragma once
// Each masked camera's live stream (design/DETECT.md, "Privacy masks"):
// what a node sends up the tier link for a camera with privacy masks, its
// live stream decoded, masked and encoded again (mask/masker.h). A pool of
// threads that every camera shares does the work, one camera at a time per
// thread, while anyone holds the camera's masked stream: the first hold
// starts it, the last one released stops it. Thread-safe.

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/mutex.h"
#include "base/status.h"
#include "detect/picture.h"
#include "media/live.h"

namespace boost::asio {
class thread_pool;
}

namespace vigil::mask {

class LiveReencoder;

class MaskedLive {
 public:
  // `masks`: the polygons of each camera that has any, by camera id; the
  // cameras' frames come from `live`, which must outlive this object.
  MaskedLive(media::LiveRegistry& live, std::map<std::string, std::vector<detect::Polygon>> masks, int threads);
  // Stops the pool (a stream still held gets no more frames).
  ~MaskedLive();
  MaskedLive(const MaskedLive&) = delete;
  MaskedLive& operator=(const MaskedLive&) = delete;

  bool masked(std::string_view camera) const { return masks_.find(camera) != masks_.end(); }
  // The masked live stream of `camera`, masked while the pointer (or a
  // copy) is held: it starts with the camera's cached GOP, masked, and its
  // frames are H.264 whatever the camera sends. NotFound for a camera
  // without masks.
  Result<std::shared_ptr<media::LiveStream>> hold(const std::string& camera);

 private:
  media::LiveRegistry& live_;
  const std::map<std::string, std::vector<detect::Polygon>, std::less<>> masks_;
  std::shared_ptr<boost::asio::thread_pool> pool_;
  Mutex mutex_;
  std::map<std::string, std::weak_ptr<LiveReencoder>> jobs_ GUARDED_BY(mutex_);
};

}  // namespace vigil::mask

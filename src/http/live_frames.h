#pragma once
// The first frames a new viewer of a live stream gets (the cached GOP,
// from its keyframe), for a snapshot, and a bound on the workers that wait
// for them.

#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/mutex.h"
#include "http/message.h"
#include "media/live.h"

namespace vigil::http {

// What a new viewer of `stream` gets first, waiting for it at most `wait`;
// empty when nothing came.
std::vector<media::LiveItem> firstFrames(media::LiveStream& stream, std::chrono::milliseconds wait);

// Who may wait for a camera's first frames now. A snapshot may wait
// seconds for them (a camera below whose owner is slow to answer, a masked
// stream starting, a camera that never answers) on one of the few workers
// every request of the server shares (connection.cpp): unbounded, a few
// requests for a silent camera leave none for anything else, /healthz
// included. So one wait per camera at a time, at most `maxWaiting` for
// all cameras together, and a camera whose wait found nothing is not
// waited for again for `afterFailure`; every other request is answered at
// once (busyResponse). Thread-safe.
class SnapshotWaits {
 public:
  struct Options {
    size_t maxWaiting = 1;
    std::chrono::seconds afterFailure{60};
    std::chrono::seconds whileWaiting{5};  // the Retry-After while another waits
  };
  // One camera's turn to wait, until destroyed.
  class Wait {
   public:
    Wait(Wait&& other) noexcept : waits_(std::exchange(other.waits_, nullptr)), camera_(std::move(other.camera_)) {}
    Wait& operator=(Wait&&) = delete;
    ~Wait();
    // The wait found no picture: the camera is not waited for again for a while.
    void failed();

   private:
    friend class SnapshotWaits;
    Wait(SnapshotWaits* waits, std::string camera) : waits_(waits), camera_(std::move(camera)) {}
    SnapshotWaits* waits_;
    std::string camera_;
    bool failed_ = false;
  };

  explicit SnapshotWaits(Options options) : options_(options) {}

  // `camera`'s turn to wait, which must not outlive this object; none when
  // another waits for it, `maxWaiting` wait already or it failed lately:
  // `retryAfter` (at least 1 s) then says when to ask again.
  std::optional<Wait> begin(const std::string& camera, std::chrono::seconds& retryAfter) EXCLUDES(mutex_);

 private:
  using Clock = std::chrono::steady_clock;
  void end(const std::string& camera, bool failed) EXCLUDES(mutex_);

  const Options options_;
  Mutex mutex_;
  std::set<std::string> waiting_ GUARDED_BY(mutex_);  // the cameras waited for now
  std::map<std::string, Clock::time_point> failedUntil_ GUARDED_BY(mutex_);
};

// 503 with Retry-After: no picture now, `why`.
Response busyResponse(std::chrono::seconds retryAfter, std::string_view why);

}  // namespace vigil::http

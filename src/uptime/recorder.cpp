#include "uptime/recorder.h"

#include "base/log.h"

namespace vigil::uptime {

UptimeRecorder::UptimeRecorder(UptimeStore& store, std::function<std::vector<camera::CameraStatus>()> cameras,
                               UptimeRecorderOptions options)
    : store_(store), cameras_(std::move(cameras)), options_(options) {}

UptimeRecorder::~UptimeRecorder() { stop(); }

void UptimeRecorder::start() {
  if (thread_.joinable()) return;
  thread_ = std::thread([this] { run(); });
}

void UptimeRecorder::stop() {
  {
    MutexLock lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (Status s = poll(); !s.isOk()) log::error("uptime.not_recorded", {{"error", s}});
  if (Status s = store_.beat(); !s.isOk()) log::error("uptime.heartbeat_failed", {{"error", s}});
}

Status UptimeRecorder::poll() {
  Status first;
  for (const camera::CameraStatus& c : cameras_()) {
    Status s = store_.set(c.id, outageNow(c, store_.openOutage(c.id)));
    if (!s.isOk() && first.isOk()) first = s;
  }
  return first;
}

void UptimeRecorder::run() {
  auto beaten = std::chrono::steady_clock::now();
  log::RateLimit failures(std::chrono::seconds(10));  // a full disk fails every poll
  MutexLock lock(mutex_);
  while (!stopping_) {
    lock.unlock();
    if (Status s = poll(); !s.isOk() && failures.allow()) {
      log::error("uptime.not_recorded", {{"error", s}, {"suppressed", failures.suppressed()}});
    }
    if (std::chrono::steady_clock::now() - beaten >= options_.heartbeat) {
      beaten = std::chrono::steady_clock::now();
      if (Status s = store_.beat(); !s.isOk()) log::error("uptime.heartbeat_failed", {{"error", s}});
    }
    lock.lock();
    lock.waitFor(wake_, options_.poll, [&]() REQUIRES(mutex_) { return stopping_; });
  }
}

}  // namespace vigil::uptime

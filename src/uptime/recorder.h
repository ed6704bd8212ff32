#pragma once
// Keeps a node's outage history (uptime/store.h) current: a thread reads
// the cameras' statuses every `poll` and records each change of outage,
// and beats the store's heartbeat every `heartbeat` and when it stops.

#include <chrono>
#include <condition_variable>
#include <functional>
#include <thread>
#include <vector>

#include "base/mutex.h"
#include "camera/camera.h"
#include "uptime/store.h"

namespace vigil::uptime {

struct UptimeRecorderOptions {
  std::chrono::milliseconds poll{1000};
  std::chrono::seconds heartbeat{60};
};

class UptimeRecorder {
 public:
  // `cameras`: the node's statuses ("storage full" in the reason of a
  // camera that cannot record), the cameras given to store.start().
  UptimeRecorder(UptimeStore& store, std::function<std::vector<camera::CameraStatus>()> cameras,
                 UptimeRecorderOptions options = {});
  ~UptimeRecorder();  // stop()s
  UptimeRecorder(const UptimeRecorder&) = delete;
  UptimeRecorder& operator=(const UptimeRecorder&) = delete;

  void start();
  // Records once more and beats: the last moment this run is known alive.
  void stop();
  // Records each camera's outage now. The thread's work; public for tests.
  Status poll();

 private:
  void run();

  UptimeStore& store_;
  const std::function<std::vector<camera::CameraStatus>()> cameras_;
  const UptimeRecorderOptions options_;
  Mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ GUARDED_BY(mutex_) = false;
  std::thread thread_;
};

}  // namespace vigil::uptime

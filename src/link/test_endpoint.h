#pragma once
// For tests: one side of a link as a node's parts see it through the bus,
// keeping every frame sent there.

#include <mutex>
#include <vector>

#include "link/bus.h"

namespace vigil::link::testing {

struct RecordingEndpoint : Endpoint {
  bool post(Kind kind, uint32_t channel, std::vector<uint8_t> payload) override {
    std::lock_guard lock(mutex);
    sent.push_back(Frame{kind, channel, std::move(payload)});
    return true;
  }
  // The frames of `kind` sent so far, in order.
  std::vector<Frame> of(Kind kind) {
    std::lock_guard lock(mutex);
    std::vector<Frame> out;
    for (const Frame& f : sent) {
      if (f.kind == kind) out.push_back(f);
    }
    return out;
  }
  std::mutex mutex;
  std::vector<Frame> sent;
};

}  // namespace vigil::link::testing

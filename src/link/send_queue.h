#pragma once
// A link's outgoing frames, in two lanes: control frames (handshake,
// keepalive, and later alarms, catalog and grants) always go before
// stream data, so an alarm never waits behind video. Each lane is bounded
// in bytes. Not thread-safe: it lives on its connection's loop.

#include <cstdint>
#include <deque>
#include <memory>
#include <vector>

namespace vigil::link {

using FrameBytes = std::shared_ptr<const std::vector<uint8_t>>;

struct SendQueueLimits {
  size_t controlBytes = 1 << 20;
  size_t dataBytes = 8 << 20;
};

class SendQueue {
 public:
  explicit SendQueue(SendQueueLimits limits = {}) : limits_(limits) {}

  // False, and the frame dropped, when its lane would go past its bound (a
  // frame alone in an empty lane is always taken). For control frames
  // that means the peer has stopped reading: the caller ends the link.
  // A `credited` data frame (wire.h isCredited) is always taken: a hole
  // in it could not be repaired, and its sender's credit window bounds it.
  bool push(FrameBytes frame, bool control, bool credited = false);
  // The oldest control frame, else the oldest data frame; null when empty.
  FrameBytes pop();
  bool empty() const { return control_.frames.empty() && data_.frames.empty(); }
  size_t bytes() const { return control_.bytes + data_.bytes; }

 private:
  struct Lane {
    std::deque<FrameBytes> frames;
    size_t bytes = 0;
  };
  static FrameBytes take(Lane& lane);
  SendQueueLimits limits_;
  Lane control_;
  Lane data_;
};

}  // namespace vigil::link

#include "link/send_queue.h"

namespace vigil::link {

bool SendQueue::push(FrameBytes frame, bool control, bool credited) {
  Lane& lane = control ? control_ : data_;
  const size_t bound = control ? limits_.controlBytes : limits_.dataBytes;
  if (!credited && !lane.frames.empty() && lane.bytes + frame->size() > bound) return false;
  lane.bytes += frame->size();
  lane.frames.push_back(std::move(frame));
  return true;
}

FrameBytes SendQueue::take(Lane& lane) {
  FrameBytes f = std::move(lane.frames.front());
  lane.frames.pop_front();
  lane.bytes -= f->size();
  return f;
}

FrameBytes SendQueue::pop() {
  if (!control_.frames.empty()) return take(control_);
  if (!data_.frames.empty()) return take(data_);
  return nullptr;
}

}  // namespace vigil::link

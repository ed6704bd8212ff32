#include "link/bus.h"

#include <fmt/format.h>

namespace vigil::link {

void Bus::handleFromParent(Kind kind, Handler handler) { fromParent_[kind] = std::move(handler); }
void Bus::handleFromChildren(Kind kind, Handler handler) { fromChildren_[kind] = std::move(handler); }
void Bus::watchLinks(LinkWatcher watcher) { watchers_.push_back(std::move(watcher)); }

std::shared_ptr<Endpoint> Bus::endpoint(const Peer& peer) const {
  MutexLock lock(mutex_);
  if (peer.parent) return parent_;
  auto it = children_.find(peer.childId);
  return it == children_.end() ? nullptr : it->second;
}

bool Bus::send(const Peer& to, Kind kind, uint32_t channel, std::vector<uint8_t> payload) {
  auto e = endpoint(to);
  return e && e->post(kind, channel, std::move(payload));
}

bool Bus::connected(const Peer& peer) const { return endpoint(peer) != nullptr; }

void Bus::announce(const Peer& peer, bool up) const {
  for (const auto& w : watchers_) w(peer, up);
}

void Bus::attach(const Peer& peer, std::shared_ptr<Endpoint> endpoint) {
  {
    MutexLock lock(mutex_);
    if (peer.parent) {
      parent_ = std::move(endpoint);
    } else {
      children_[peer.childId] = std::move(endpoint);
    }
  }
  announce(peer, true);
}

void Bus::detach(const Peer& peer, const Endpoint* endpoint) {
  {
    MutexLock lock(mutex_);
    if (peer.parent) {
      if (parent_.get() != endpoint) return;
      parent_.reset();
    } else {
      auto it = children_.find(peer.childId);
      if (it == children_.end() || it->second.get() != endpoint) return;
      children_.erase(it);
    }
  }
  announce(peer, false);
}

Status Bus::deliver(const Peer& from, Frame frame) const {
  const auto& handlers = from.parent ? fromParent_ : fromChildren_;
  auto it = handlers.find(frame.kind);
  if (it == handlers.end()) {
    return Status::invalidArgument(fmt::format("message kind {} is not expected from {}",
                                               static_cast<int>(frame.kind), from.parent ? "a parent" : "a child"));
  }
  return it->second(from, std::move(frame));
}

}  // namespace vigil::link

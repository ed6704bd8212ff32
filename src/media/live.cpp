#include "media/live.h"

#include <fmt/format.h>

#include <algorithm>
#include <cassert>
#include <utility>

#include "base/log.h"

namespace vigil::media {
namespace {

// A new viewer's queue must hold the whole cached GOP.
LiveOptions capGopToViewer(LiveOptions options) {
  options.gopMaxBytes = std::min(options.gopMaxBytes, options.viewerMaxBytes);
  options.gopMaxFrames = std::min(options.gopMaxFrames, options.viewerMaxFrames);
  return options;
}

}  // namespace

LiveViewer::LiveViewer(std::shared_ptr<LiveStream> stream, std::function<void()> onReady)
    : stream_(std::move(stream)), onReady_(std::move(onReady)) {}

LiveViewer::~LiveViewer() { stream_->unsubscribe(this); }

Status LiveViewer::pop(std::vector<LiveItem>& items) {
  items.clear();  // releases the caller's previous frames outside the lock
  MutexLock lock(mutex_);
  if (!closed_.isOk()) return closed_;
  items.swap(queue_);
  queuedBytes_ = 0;
  return Status::ok();
}

Status LiveViewer::status() {
  MutexLock lock(mutex_);
  return closed_;
}

LiveStream::LiveStream(std::string id, LiveOptions options, const Clock& clock)
    : id_(std::move(id)), options_(capGopToViewer(options)), clock_(clock) {}

void LiveStream::publish(const Frame& frame, bool newSegment) {
  publish(std::make_shared<const Frame>(frame), newSegment);
}

void LiveStream::publish(std::shared_ptr<const Frame> frame, bool newSegment) {
  assert(frame != nullptr);
  MutexLock lock(mutex_);
  // Parameter sets are usually the same object frame after frame; compare
  // their contents only when the pointer changes.
  if (frame->params != lastParams_) {
    if (!frame->params || !lastParams_ || *frame->params != *lastParams_) ++paramsGeneration_;
    lastParams_ = frame->params;
  }
  const Entry entry{std::move(frame), newSegment, paramsGeneration_};
  ++stats_.framesPublished;
  cache(entry);
  for (size_t i = 0; i < viewers_.size();) {
    if (offer(*viewers_[i], entry, /*notify=*/true)) {
      ++i;
    } else {  // disconnected: order among viewers does not matter
      viewers_[i]->subscribed_ = false;
      viewers_[i] = viewers_.back();
      viewers_.pop_back();
    }
  }
}

void LiveStream::dropCache() {
  MutexLock lock(mutex_);
  gop_.clear();
  gopBytes_ = 0;
  cacheGeneration_.fetch_add(1);
  for (LiveViewer* viewer : viewers_) viewer->onReady_();
}

void LiveStream::cache(const Entry& entry) {
  const size_t size = entry.frame->data.size();
  if (entry.frame->keyframe) {
    gop_.clear();
    gopBytes_ = 0;
  } else if (gop_.empty()) {
    return;  // no keyframe yet, or this GOP was too large
  }
  if (gop_.size() + 1 > options_.gopMaxFrames || gopBytes_ + size > options_.gopMaxBytes) {
    gop_.clear();
    gopBytes_ = 0;
    ++stats_.gopsDropped;
    return;
  }
  gop_.push_back(entry);
  gopBytes_ += size;
}

bool LiveStream::offer(LiveViewer& viewer, const Entry& entry, bool notify) {
  const Frame& frame = *entry.frame;
  const bool waiting = !viewer.started_ || viewer.skipping_;
  if (waiting && !frame.keyframe) {
    if (viewer.skipping_) {
      ++stats_.framesSkipped;
      viewer.pendingNewSegment_ = viewer.pendingNewSegment_ || entry.newSegment;
    }
    return true;
  }
  LiveItem item{
      entry.frame,
      /*newSegment=*/!viewer.started_ || entry.newSegment || viewer.pendingNewSegment_,
      /*paramsChanged=*/!viewer.started_ || entry.paramsGeneration != viewer.paramsGeneration_,
      /*discontinuity=*/viewer.started_ && viewer.skipping_};
  bool fits = false;
  bool wasEmpty = false;
  {
    MutexLock lock(viewer.mutex_);
    fits = viewer.queue_.size() < options_.viewerMaxFrames &&
           viewer.queuedBytes_ + frame.data.size() <= options_.viewerMaxBytes;
    if (fits) {
      wasEmpty = viewer.queue_.empty();
      viewer.queue_.push_back(std::move(item));
      viewer.queuedBytes_ += frame.data.size();
    }
  }
  if (!fits) {
    ++stats_.framesSkipped;
    viewer.pendingNewSegment_ = viewer.pendingNewSegment_ || entry.newSegment;
    return recordSkip(viewer);
  }
  viewer.started_ = true;
  viewer.skipping_ = false;
  viewer.pendingNewSegment_ = false;
  viewer.paramsGeneration_ = entry.paramsGeneration;
  if (notify && wasEmpty) viewer.onReady_();
  return true;
}

bool LiveStream::recordSkip(LiveViewer& viewer) {
  viewer.skipping_ = true;
  ++stats_.skips;
  const auto now = clock_.steadyNow();
  auto& recent = viewer.recentSkips_;
  recent.push_back(now);
  while (now - recent.front() > options_.skipWindow) recent.pop_front();
  if (recent.size() <= static_cast<size_t>(std::max(options_.maxSkips, 0))) return true;

  Status reason = Status::resourceExhausted(
      fmt::format("viewer too slow: skipped ahead {} times within {:g} s", recent.size(),
                  static_cast<double>(options_.skipWindow.count()) / 1000));
  std::vector<LiveItem> dropped;  // released after the viewer's lock
  {
    MutexLock lock(viewer.mutex_);
    viewer.closed_ = reason;
    dropped.swap(viewer.queue_);
    viewer.queuedBytes_ = 0;
  }
  ++stats_.viewersDisconnected;
  log::info("live.viewer.disconnected", {{"stream", id_}, {"reason", reason}});
  viewer.onReady_();
  return false;
}

std::unique_ptr<LiveViewer> LiveStream::subscribe(std::function<void()> onReady) {
  std::unique_ptr<LiveViewer> viewer(new LiveViewer(shared_from_this(), std::move(onReady)));
  MutexLock lock(mutex_);
  // The GOP cap is within the viewer's bound, so the whole GOP fits; the
  // caller pops it, so it is not woken for it.
  for (const Entry& entry : gop_) offer(*viewer, entry, /*notify=*/false);
  viewers_.push_back(viewer.get());
  return viewer;
}

void LiveStream::unsubscribe(LiveViewer* viewer) {
  MutexLock lock(mutex_);
  if (!viewer->subscribed_) return;
  viewer->subscribed_ = false;
  viewers_.erase(std::find(viewers_.begin(), viewers_.end(), viewer));
}

LiveStreamStats LiveStream::stats() const {
  MutexLock lock(mutex_);
  LiveStreamStats stats = stats_;
  stats.id = id_;
  stats.viewers = viewers_.size();
  stats.gopFrames = gop_.size();
  stats.gopBytes = gopBytes_;
  return stats;
}

LiveRegistry::LiveRegistry(LiveOptions options, const Clock& clock)
    : options_(options), clock_(clock) {}

std::shared_ptr<LiveStream> LiveRegistry::stream(const std::string& id) {
  MutexLock lock(mutex_);
  auto& stream = streams_[id];
  if (!stream) stream = std::make_shared<LiveStream>(id, options_, clock_);
  return stream;
}

std::shared_ptr<LiveStream> LiveRegistry::find(const std::string& id) const {
  MutexLock lock(mutex_);
  auto it = streams_.find(id);
  return it == streams_.end() ? nullptr : it->second;
}

std::string liveAudioStreamOf(std::string_view camera) { return std::string(camera) + ".audio"; }

std::vector<LiveStreamStats> LiveRegistry::stats() const {
  std::vector<std::shared_ptr<LiveStream>> streams;
  {
    MutexLock lock(mutex_);
    for (const auto& [id, stream] : streams_) streams.push_back(stream);
  }
  std::vector<LiveStreamStats> stats;
  stats.reserve(streams.size());
  for (const auto& stream : streams) stats.push_back(stream->stats());
  return stats;
}

}  // namespace vigil::media

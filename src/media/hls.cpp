#include "media/hls.h"

#include <fmt/format.h>

#include <algorithm>

#include "base/log.h"

namespace vigil::media {
namespace {

int64_t ceilSeconds(MediaDuration d) {
  return std::max<int64_t>(1, (d.ticks() + MediaDuration::kTicksPerSecond - 1) / MediaDuration::kTicksPerSecond);
}

int64_t targetSeconds(std::span<const HlsSegment> segments) {
  int64_t target = 1;
  for (const HlsSegment& s : segments) target = std::max(target, ceilSeconds(s.duration));
  return target;
}

std::string header(int64_t targetSeconds, uint64_t mediaSequence) {
  return fmt::format("#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:{}\n#EXT-X-MEDIA-SEQUENCE:{}\n", targetSeconds,
                     mediaSequence);
}

// Every segment starts at a keyframe (live segments and recorded GOPs).
constexpr std::string_view kIndependent = "#EXT-X-INDEPENDENT-SEGMENTS\n";

void appendSegments(std::string& out, std::span<const HlsSegment> segments) {
  const std::string* map = nullptr;
  for (const HlsSegment& s : segments) {
    if (s.discontinuity) out += "#EXT-X-DISCONTINUITY\n";
    if (!map || *map != s.mapUri) {
      out += fmt::format("#EXT-X-MAP:URI=\"{}\"\n", s.mapUri);
      map = &s.mapUri;
    }
    out += fmt::format("#EXT-X-PROGRAM-DATE-TIME:{}\n#EXTINF:{:.3f},\n{}\n", s.start.toRfc3339(), s.duration.seconds(),
                       s.uri);
  }
}

}  // namespace

std::string renderVodPlaylist(std::span<const HlsSegment> segments) {
  std::string out = header(targetSeconds(segments), 0);
  out += "#EXT-X-PLAYLIST-TYPE:VOD\n";
  out += kIndependent;
  appendSegments(out, segments);
  out += "#EXT-X-ENDLIST\n";
  return out;
}

std::vector<ByteView> HlsLiveSegment::buffers() const {
  std::vector<ByteView> out = video.buffers();
  if (audio) {
    for (ByteView b : audio->buffers()) out.push_back(b);
  }
  return out;
}

Bytes HlsLiveSegment::contiguous() const {
  Bytes out;
  for (ByteView b : buffers()) out.insert(out.end(), b.begin(), b.end());
  return out;
}

HlsLiveWindow::HlsLiveWindow(HlsLiveOptions options) : options_(options) {
  targetSeconds_ = ceilSeconds(options_.segmentTarget);
}

void HlsLiveWindow::setAudio(std::shared_ptr<const AudioParameters> aac) {
  std::lock_guard lock(mutex_);
  audio_ = std::move(aac);
}

void HlsLiveWindow::pushAudio(std::shared_ptr<const Frame> frame, bool newSegment) {
  std::lock_guard lock(mutex_);
  if (!audio_ || !frame->audio || *frame->audio != *audio_) return;
  if (newSegment) clearPendingAudio();
  if (!pendingAudio_.empty() && frame->pts <= pendingAudio_.back()->pts) return;
  pendingAudioBytes_ += frame->data.size();
  pendingAudio_.push_back(std::move(frame));
  // No video for long: the oldest goes.
  while (pendingAudioBytes_ > options_.maxSegmentBytes) {
    pendingAudioBytes_ -= pendingAudio_.front()->data.size();
    pendingAudio_.pop_front();
  }
}

void HlsLiveWindow::clearPendingAudio() {
  pendingAudio_.clear();
  pendingAudioBytes_ = 0;
}

void HlsLiveWindow::push(std::shared_ptr<const Frame> frame, bool newSegment) {
  if (!frame->params) return;
  std::lock_guard lock(mutex_);
  const bool paramsChanged = !params_ || (frame->params != params_ && *frame->params != *params_);
  const bool followsOn = !pending_.empty() && !newSegment && !paramsChanged && frame->pts > pending_.back()->pts;
  if (!pending_.empty() && !followsOn) {
    closeSegment(nullptr);
    pendingDiscontinuity_ = true;
  } else if (followsOn && frame->keyframe && frame->pts - pending_.front()->pts >= options_.segmentTarget) {
    closeSegment(frame.get());
  }
  if (newSegment) clearPendingAudio();  // of the stream before: its pts do not compare
  if (paramsChanged) {
    params_ = frame->params;
    auto init = fmp4InitSegment(*params_, audio_.get());
    if (init) {
      initId_ = ++lastInitId_;
      inits_.emplace(initId_, std::make_shared<const Bytes>(std::move(init.value())));
      dropUnusedInits();  // parameters that changed before any segment closed
    } else {
      // Nothing of these parameters can be played; wait for others.
      log::warn("hls.init.failed", {{"error", init.status()}});
      initId_ = 0;
    }
    pendingDiscontinuity_ = !segments_.empty();
  } else if (newSegment && !segments_.empty()) {
    pendingDiscontinuity_ = true;
  }
  if (initId_ == 0 || (pending_.empty() && !frame->keyframe)) return;
  pendingBytes_ += frame->data.size();
  pending_.push_back(std::move(frame));
  if (pendingBytes_ > options_.maxSegmentBytes) {
    log::warn("hls.segment.too_large", {{"bytes", pendingBytes_}, {"frames", pending_.size()}});
    dropPending();
    pendingDiscontinuity_ = true;
  }
}

void HlsLiveWindow::dropPending() {
  pending_.clear();
  pendingBytes_ = 0;
}

void HlsLiveWindow::closeSegment(const Frame* next) {
  std::optional<uint32_t> lastDuration;
  if (next) lastDuration = static_cast<uint32_t>((next->pts - pending_.back()->pts).ticks());
  Held held;
  held.sequence = nextSequence_;
  held.initId = initId_;
  held.discontinuity = pendingDiscontinuity_;
  held.start = pending_.front()->captureTime;
  const MediaTime from = pending_.front()->pts;
  // mfhd sequence numbers count from 1 (the audio's fragment has its video's).
  const auto sequence = static_cast<uint32_t>(nextSequence_ + 1);
  auto fragment = buildFragment(sequence, decodeTime_, std::move(pending_), lastDuration);
  dropPending();
  if (!fragment) {
    // push() only lets increasing pts into a segment; a delta past 32 bits
    // (13 hours) is a broken source.
    log::warn("hls.segment.failed", {{"error", fragment.status()}});
    pendingDiscontinuity_ = true;
    return;
  }
  pendingDiscontinuity_ = false;
  const MediaTime end = next ? next->pts : from + MediaDuration(static_cast<int64_t>(fragment->duration));
  std::optional<Fragment> audio = takeAudio(sequence, from, decodeTime_, end);
  ++nextSequence_;
  decodeTime_ += fragment->duration;
  targetSeconds_ = std::max(targetSeconds_, ceilSeconds(MediaDuration(static_cast<int64_t>(fragment->duration))));
  held.segment = std::make_shared<const HlsLiveSegment>(HlsLiveSegment{std::move(fragment.value()), std::move(audio)});
  segments_.push_back(std::move(held));
  while (segments_.size() > options_.playlistSegments + options_.retainedSegments) {
    if (segments_.front().discontinuity) ++discontinuitiesDropped_;
    segments_.pop_front();
  }
  dropUnusedInits();
}

std::optional<Fragment> HlsLiveWindow::takeAudio(uint32_t sequence, MediaTime from, uint64_t videoBase, MediaTime end) {
  constexpr int64_t kFollows = MediaDuration::kTicksPerSecond / 10;
  std::vector<std::shared_ptr<const Frame>> frames;
  int64_t base = 0;
  while (!pendingAudio_.empty() && pendingAudio_.front()->pts < end) {
    std::shared_ptr<const Frame> f = std::move(pendingAudio_.front());
    pendingAudio_.pop_front();
    pendingAudioBytes_ -= f->data.size();
    if (frames.empty()) {
      base = static_cast<int64_t>(videoBase) + (f->pts - from).ticks();
      const auto after = static_cast<int64_t>(audioEnd_.value_or(0));
      if (audioEnd_ && std::abs(base - after) <= kFollows) base = after;
      if (base < after) continue;  // it would overlap the audio carried (or start before the timeline)
    }
    frames.push_back(std::move(f));
  }
  if (frames.empty()) return std::nullopt;
  const uint32_t lastDuration = audioFrameDuration(*frames.back());
  auto fragment = buildFragment(sequence, static_cast<uint64_t>(base), std::move(frames), lastDuration, kAudioTrackId);
  if (!fragment) {
    log::warn("hls.audio.failed", {{"error", fragment.status()}});
    return std::nullopt;
  }
  audioEnd_ = fragment->baseDecodeTime + fragment->duration;
  return std::move(fragment.value());
}

void HlsLiveWindow::dropUnusedInits() {
  std::erase_if(inits_, [&](const auto& entry) {
    return entry.first != initId_ &&
           std::none_of(segments_.begin(), segments_.end(), [&](const Held& h) { return h.initId == entry.first; });
  });
}

std::string HlsLiveWindow::playlist(const std::function<std::string(uint64_t)>& segmentUri,
                                    const std::function<std::string(uint64_t)>& initUri) const {
  std::lock_guard lock(mutex_);
  const size_t listed = std::min(segments_.size(), options_.playlistSegments);
  const size_t first = segments_.size() - listed;
  uint64_t discontinuitySequence = discontinuitiesDropped_;
  for (size_t i = 0; i < first; ++i) discontinuitySequence += segments_[i].discontinuity ? 1 : 0;
  std::vector<HlsSegment> entries;
  entries.reserve(listed);
  for (size_t i = first; i < segments_.size(); ++i) {
    const Held& h = segments_[i];
    entries.push_back({MediaDuration(static_cast<int64_t>(h.segment->video.duration)), segmentUri(h.sequence),
                       initUri(h.initId), h.discontinuity, h.start});
  }
  std::string out = header(targetSeconds_, listed ? segments_[first].sequence : nextSequence_);
  if (discontinuitySequence > 0) out += fmt::format("#EXT-X-DISCONTINUITY-SEQUENCE:{}\n", discontinuitySequence);
  out += kIndependent;
  appendSegments(out, entries);
  return out;
}

size_t HlsLiveWindow::listedSegments() const {
  std::lock_guard lock(mutex_);
  return std::min(segments_.size(), options_.playlistSegments);
}

std::shared_ptr<const HlsLiveSegment> HlsLiveWindow::segment(uint64_t sequence) const {
  std::lock_guard lock(mutex_);
  if (segments_.empty() || sequence < segments_.front().sequence || sequence >= nextSequence_) return nullptr;
  return segments_[static_cast<size_t>(sequence - segments_.front().sequence)].segment;
}

std::shared_ptr<const Bytes> HlsLiveWindow::init(uint64_t initId) const {
  std::lock_guard lock(mutex_);
  auto it = inits_.find(initId);
  return it == inits_.end() ? nullptr : it->second;
}

}  // namespace vigil::media

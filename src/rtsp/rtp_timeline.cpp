#include "rtsp/rtp_timeline.h"

#include <algorithm>

#include "base/log.h"

namespace vigil::rtsp {

using std::chrono::microseconds;

// ---------------------------------------------------------------------------

int64_t RtpTimestampUnwrapper::unwrap(uint32_t ts) {
  last_ = nearest(ts);
  return *last_;
}

int64_t RtpTimestampUnwrapper::nearest(uint32_t ts) const {
  if (!last_) return ts;
  const auto delta = static_cast<int32_t>(ts - static_cast<uint32_t>(*last_));
  return *last_ + delta;
}

// ---------------------------------------------------------------------------

namespace {
// RFC 3550 appendix A.1.
constexpr int64_t kMaxDropout = 3000;
constexpr int64_t kMaxMisorder = 100;
}  // namespace

bool ReorderBuffer::push(media::Bytes datagram, std::chrono::steady_clock::time_point arrival) {
  auto parsed = parseRtpPacket(datagram);
  if (!parsed) {
    ++counters_.malformed;
    return false;
  }
  const uint16_t seq = parsed->header.sequence;
  if (!expected_) expected_ = seq;
  const auto delta =
      static_cast<int16_t>(static_cast<uint16_t>(seq - static_cast<uint16_t>(*expected_)));
  int64_t ext = *expected_ + delta;
  if (delta < -kMaxMisorder || delta > kMaxDropout) {
    // The sender restarted or jumped: what is held belongs to the old run.
    ++counters_.resyncs;
    counters_.skipped += held_.size();
    held_.clear();
    expected_ = seq;
    ext = seq;
  } else if (ext < *expected_ || held_.count(ext)) {
    ++counters_.late;
    return false;
  }
  // `parsed` views `datagram`'s heap buffer, which moves with it.
  held_.emplace(ext, OwnedRtpPacket(std::move(datagram), *parsed, arrival));
  return true;
}

std::optional<OwnedRtpPacket> ReorderBuffer::pop(std::chrono::steady_clock::time_point now) {
  if (held_.empty()) return std::nullopt;
  auto first = held_.begin();
  if (first->first != *expected_) {
    const bool full = held_.size() > options_.maxPackets;
    const bool waited = now - first->second.arrival >= options_.maxDelay;
    if (!full && !waited) return std::nullopt;
    counters_.skipped += static_cast<uint64_t>(first->first - *expected_);
  }
  expected_ = first->first + 1;
  OwnedRtpPacket p = std::move(first->second);
  held_.erase(first);
  return p;
}

std::optional<std::chrono::steady_clock::time_point> ReorderBuffer::deadline() const {
  if (held_.empty() || held_.begin()->first == *expected_) return std::nullopt;
  return held_.begin()->second.arrival + options_.maxDelay;
}

// ---------------------------------------------------------------------------

StreamTimeline::StreamTimeline(Options options) : options_(std::move(options)) {
  if (options_.clockRate == 0) options_.clockRate = 90000;
}

int64_t StreamTimeline::toTicks(int64_t t) const {
  const int64_t rate = options_.clockRate;
  if (rate == MediaDuration::kTicksPerSecond) return t;
  // Split so the multiplication cannot overflow for any realistic count.
  return t / rate * MediaDuration::kTicksPerSecond +
         t % rate * MediaDuration::kTicksPerSecond / rate;
}

int64_t StreamTimeline::decodeTime(int64_t presentation) {
  pending_.insert(std::upper_bound(pending_.begin(), pending_.end(), presentation), presentation);
  // The pictures sent before this one but presented after it: the decoder
  // holds that many, and so must the decode times.
  const auto later = std::count_if(recent_.begin(), recent_.end(), [&](int64_t p) { return p > presentation; });
  if (later > counters_.reorderDepth) {
    counters_.reorderDepth = static_cast<int>(later);
    log::info("rtsp.timeline.reordered", {{"stream", options_.name}, {"depth", counters_.reorderDepth}});
  }
  recent_.push_back(presentation);
  if (recent_.size() > kMaxReorderDepth) recent_.pop_front();
  int64_t next = lastPts_ + 1;
  while (pending_.size() > static_cast<size_t>(counters_.reorderDepth)) {
    next = std::max(next, pending_.front());
    pending_.erase(pending_.begin());
  }
  return started_ ? next : presentation;
}

void StreamTimeline::onSenderReport(uint64_t ntp, uint32_t rtpTimestamp, WallTime arrival) {
  const WallTime wall = WallTime::fromNtp(ntp);
  const auto skew = wall - arrival;
  if (skew > options_.maxSenderReportSkew || -skew > options_.maxSenderReportSkew) {
    ++counters_.senderReportsIgnored;
    if (counters_.senderReportsIgnored == 1) {
      log::warn("rtsp.timeline.sender_report_ignored",
                {{"stream", options_.name}, {"skew_ms", skew.count() / 1000}});
    }
    haveSenderReport_ = false;
    return;
  }
  ++counters_.senderReports;
  haveSenderReport_ = true;
  senderReportExtended_ = unwrapper_.nearest(rtpTimestamp);
  senderReportWall_ = wall;
}

StreamTimeline::Timing StreamTimeline::onFrame(uint32_t rtpTimestamp, WallTime arrival) {
  Timing t;
  const int64_t ext = unwrapper_.unwrap(rtpTimestamp);
  if (started_) {
    const int64_t mediaDeltaUs = (ext - newestExtended_) * 1'000'000 / options_.clockRate;
    const int64_t arrivalDeltaUs = (arrival - lastArrival_).count();
    // A reordered picture is presented between pictures sent before it; a
    // clock that stepped back puts it before all of them.
    const int64_t presentation = toTicks(ext) + offset_;
    // Until it has seen as many pictures as a decoder may hold, a timeline
    // that joined mid-GOP (UDP, no IDR first) meets B-frames presented
    // before every picture it saw: a short step back is reordering then too.
    const bool warmingUp = recent_.size() < static_cast<size_t>(kMaxReorderDepth);
    const bool reordered = -mediaDeltaUs <= options_.maxReorder.count() * 1000 &&
                           (warmingUp || std::any_of(recent_.begin(), recent_.end(),
                                                     [&](int64_t p) { return p < presentation; }));
    const bool backwards = ext < newestExtended_ && !reordered;
    const bool forward = mediaDeltaUs - arrivalDeltaUs > options_.maxForwardJump.count() * 1000;
    if (backwards || forward) {
      ++counters_.jumps;
      if (jumpLog_.allow()) {
        log::warn("rtsp.timeline.jump", {{"stream", options_.name},
                                         {"kind", backwards ? "backwards" : "forward"},
                                         {"delta_ms", mediaDeltaUs / 1000},
                                         {"jumps", counters_.jumps},
                                         {"suppressed", jumpLog_.suppressed()}});
      }
      // Continue from the last pts by the time that passed on arrival, and
      // forget mappings made for the old clock.
      const int64_t step = std::max<int64_t>(1, arrivalDeltaUs * 9 / 100);
      offset_ = lastPts_ + step - toTicks(ext);
      pending_.clear();
      recent_.clear();
      newestExtended_ = ext;
      haveSenderReport_ = false;
      haveAnchor_ = false;
      t.discontinuity = true;
    }
  }
  if (!started_ || ext > newestExtended_) newestExtended_ = ext;
  const int64_t pts = t.discontinuity ? toTicks(ext) + offset_ : decodeTime(toTicks(ext) + offset_);
  started_ = true;
  lastPts_ = pts;
  lastArrival_ = arrival;
  t.pts = MediaTime(pts);

  if (haveSenderReport_) {
    const int64_t us = (pts - toTicks(senderReportExtended_) - offset_) * 100 / 9;
    const WallTime wall = senderReportWall_ + microseconds(us);
    const auto skew = wall - arrival;
    if (skew <= options_.maxSenderReportSkew && -skew <= options_.maxSenderReportSkew) {
      t.captureTime = wall;
      t.fromSenderReport = true;
      return t;
    }
    ++counters_.senderReportsIgnored;
    haveSenderReport_ = false;
  }
  // Arrival time, anchored: capture time advances with the media clock, so
  // network jitter does not leak into it. A frame arriving earlier than the
  // anchor predicts moves the anchor to it silently (less delay); drifting
  // too far behind re-anchors with a log line.
  if (haveAnchor_) {
    const WallTime predicted = anchorWall_ + microseconds((pts - anchorPts_) * 100 / 9);
    const auto behind = arrival - predicted;
    if (behind < microseconds(0)) {
      haveAnchor_ = false;
    } else if (behind > options_.maxArrivalDrift) {
      ++counters_.reanchors;
      if (reanchorLog_.allow()) {
        log::info("rtsp.timeline.reanchor", {{"stream", options_.name},
                                             {"drift_ms", behind.count() / 1000},
                                             {"suppressed", reanchorLog_.suppressed()}});
      }
      haveAnchor_ = false;
    } else {
      t.captureTime = predicted;
    }
  }
  if (!haveAnchor_) {
    haveAnchor_ = true;
    anchorPts_ = pts;
    anchorWall_ = arrival;
    t.captureTime = arrival;
  }
  return t;
}

// ---------------------------------------------------------------------------

namespace {
constexpr MediaDuration kMaxStepBack(MediaDuration::kTicksPerSecond / 10);
}  // namespace

void AudioOnVideoClock::onVideo(MediaTime pts, WallTime captureTime, bool newSegment) {
  haveVideo_ = true;
  videoPts_ = pts;
  videoCapture_ = captureTime;
  videoNewSegment_ = videoNewSegment_ || newSegment;
}

std::optional<AudioOnVideoClock::Mapped> AudioOnVideoClock::map(WallTime audioCaptureTime, MediaDuration length,
                                                                bool audioDiscontinuity) {
  if (!haveVideo_) return std::nullopt;
  Mapped m;
  // Microseconds to 90 kHz ticks, rounded to the nearest.
  const int64_t us = (audioCaptureTime - videoCapture_).count();
  const int64_t ticks = us >= 0 ? (us * 9 + 50) / 100 : -((-us * 9 + 50) / 100);
  m.pts = videoPts_ + MediaDuration(ticks);
  m.newSegment = videoNewSegment_ || audioDiscontinuity || !lastAudioPts_;
  if (!m.newSegment) {
    const MediaTime earliest = *lastAudioPts_ + std::max(MediaDuration(1), MediaDuration(lastAudioLength_.ticks() / 2));
    if (m.pts < earliest) {
      // A sender report or re-anchoring moved one stream's capture times:
      // by a little, catch up; by more, start over where the clock says.
      if (*lastAudioPts_ - m.pts > kMaxStepBack) {
        m.newSegment = true;
      } else {
        m.pts = earliest;
      }
    }
  }
  videoNewSegment_ = false;
  lastAudioPts_ = m.pts;
  lastAudioLength_ = length;
  return m;
}

}  // namespace vigil::rtsp

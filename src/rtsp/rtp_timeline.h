#pragma once
// Time of received RTP streams (design/GLOSSARY.md keeps media time and wall
// time apart):
//  - RtpTimestampUnwrapper: 32-bit RTP timestamps to a 64-bit count.
//  - ReorderBuffer: puts UDP packets back in sequence order, waiting a
//    bounded number of packets / time for a missing one.
//  - StreamTimeline: per stream, RTP timestamps to a strictly increasing
//    90 kHz MediaTime and to a WallTime capture time (from RTCP sender
//    reports when the camera sends them and they are plausible, else from
//    arrival time). Jumps of the camera's clock are detected, logged and
//    smoothed over so pts never goes backwards.
//  - AudioOnVideoClock: a camera's audio frames to pts on its video
//    stream's clock, through the capture times both streams' timelines give
//    (RTCP sender reports of both map their RTP clocks to one wall clock:
//    RFC 3550 6.4.1), so the store and the players keep them in sync.
//
// B-frames: a stream coded with them sends pictures in decode order, and
// their RTP timestamps (presentation times) go back and forth by a few
// frames, staying after some picture sent before them. That is reordering,
// not a jump: pts are then decode times, each
// the next presentation time in order once `reorderDepth` pictures are
// known, so they follow the camera's clock evenly, a few frames behind it.

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/log.h"
#include "base/time.h"
#include "rtsp/rtp.h"

namespace vigil::rtsp {

class RtpTimestampUnwrapper {
 public:
  // The first timestamp is returned as is; each next one is placed within
  // ±2^31 of the previous.
  int64_t unwrap(uint32_t timestamp);
  // Where `timestamp` falls relative to the last unwrapped value, without
  // moving it (for RTCP sender reports).
  int64_t nearest(uint32_t timestamp) const;

 private:
  std::optional<int64_t> last_;
};

// A packet that owns its bytes; `rtp` views `datagram` (moving keeps the
// view valid, copying is not allowed).
struct OwnedRtpPacket {
  OwnedRtpPacket(media::Bytes d, RtpPacket p, std::chrono::steady_clock::time_point t)
      : datagram(std::move(d)), rtp(p), arrival(t) {}
  OwnedRtpPacket(OwnedRtpPacket&&) = default;
  OwnedRtpPacket& operator=(OwnedRtpPacket&&) = default;
  OwnedRtpPacket(const OwnedRtpPacket&) = delete;
  OwnedRtpPacket& operator=(const OwnedRtpPacket&) = delete;

  media::Bytes datagram;
  RtpPacket rtp;
  std::chrono::steady_clock::time_point arrival;
};

// For UDP only (TCP interleaved is in order). Call pop() until it returns
// nullopt after each push(), and again at deadline().
class ReorderBuffer {
 public:
  struct Options {
    size_t maxPackets = 64;  // held while waiting for a missing one
    std::chrono::milliseconds maxDelay{100};
  };
  struct Counters {
    uint64_t malformed = 0;  // not RTP
    uint64_t late = 0;       // behind what was already released, or duplicates
    uint64_t skipped = 0;    // sequence numbers given up on (lost)
    uint64_t resyncs = 0;    // the sender jumped far (restart): buffer restarted
  };

  ReorderBuffer() : ReorderBuffer(Options{}) {}
  explicit ReorderBuffer(Options options) : options_(options) {}

  // False when the datagram is dropped (not RTP, late, duplicate).
  bool push(media::Bytes datagram, std::chrono::steady_clock::time_point arrival);
  // The next packet in order, or after giving up on a gap once the buffer
  // is full or the oldest held packet waited maxDelay.
  std::optional<OwnedRtpPacket> pop(std::chrono::steady_clock::time_point now);
  // When pop() would give up on the current gap; nullopt if nothing waits.
  std::optional<std::chrono::steady_clock::time_point> deadline() const;

  const Counters& counters() const { return counters_; }
  size_t size() const { return held_.size(); }

 private:
  Options options_;
  std::optional<int64_t> expected_;  // extended sequence number
  std::map<int64_t, OwnedRtpPacket> held_;
  Counters counters_;
};

class StreamTimeline {
 public:
  struct Options {
    uint32_t clockRate = 90000;
    std::string name;  // for logs: camera/stream
    // A forward step of the RTP clock this much larger than the time that
    // passed between arrivals is a jump.
    std::chrono::milliseconds maxForwardJump{5000};
    // Sender reports whose wall time is further than this from arrival time
    // are ignored (a camera with a wrong clock).
    std::chrono::milliseconds maxSenderReportSkew{10000};
    // Arrival-based capture times are re-anchored when arrival drifts this
    // far behind the media clock.
    std::chrono::milliseconds maxArrivalDrift{1000};
    // A timestamp at most this far behind the newest one, and after one of
    // the last pictures', is a reordered picture (B-frames); otherwise the
    // clock jumped.
    std::chrono::milliseconds maxReorder{1000};
  };
  struct Timing {
    MediaTime pts;  // 90 kHz, strictly increasing
    WallTime captureTime;
    bool discontinuity = false;  // the RTP clock jumped before this frame
    bool fromSenderReport = false;
  };
  struct Counters {
    uint64_t jumps = 0;
    uint64_t senderReports = 0;
    uint64_t senderReportsIgnored = 0;  // implausible wall time
    uint64_t reanchors = 0;             // arrival drift corrected
    int reorderDepth = 0;               // pictures held to put B-frames in order
  };

  explicit StreamTimeline(Options options);

  // An RTCP sender report of this stream's SSRC.
  void onSenderReport(uint64_t ntpTimestamp, uint32_t rtpTimestamp, WallTime arrival);
  // A frame (access unit) with its RTP timestamp and the arrival time of
  // its last packet.
  Timing onFrame(uint32_t rtpTimestamp, WallTime arrival);

  const Counters& counters() const { return counters_; }

 private:
  int64_t toTicks(int64_t clockTicks) const;  // clock rate -> 90 kHz
  // The decode time of a picture presented at `presentation`, > lastPts_.
  int64_t decodeTime(int64_t presentation);

  static constexpr int kMaxReorderDepth = 16;  // H.264's max_dec_frame_buffering

  Options options_;
  RtpTimestampUnwrapper unwrapper_;
  bool started_ = false;
  int64_t newestExtended_ = 0;  // the largest RTP timestamp since the last jump
  int64_t lastPts_ = 0;
  int64_t offset_ = 0;  // presentation time = toTicks(extended) + offset_
  // Presentation times not yet handed out as decode times, sorted; at
  // most counters_.reorderDepth of them.
  std::vector<int64_t> pending_;
  std::deque<int64_t> recent_;  // the last pictures' presentation times, in decode order
  WallTime lastArrival_;
  // Wall-clock mapping from the last plausible sender report.
  bool haveSenderReport_ = false;
  int64_t senderReportExtended_ = 0;
  WallTime senderReportWall_;
  // Arrival-based mapping: the wall time of one pts.
  bool haveAnchor_ = false;
  int64_t anchorPts_ = 0;
  WallTime anchorWall_;
  log::RateLimit jumpLog_{std::chrono::seconds(10)};
  log::RateLimit reanchorLog_{std::chrono::seconds(10)};
  Counters counters_;
};

// Audio frames take pts on the video stream's clock: the pts of the latest
// video frame plus the difference of capture times. With sender reports on
// both streams this is exact (both capture times are linear in their RTP
// clocks); without, both are anchored on arrival and differ by the arrival
// jitter of the frames they were anchored on.
class AudioOnVideoClock {
 public:
  struct Mapped {
    MediaTime pts;  // strictly increasing within a segment
    // The video started a new segment (its pts do not continue) or the
    // audio's own clock jumped since the previous audio frame.
    bool newSegment = false;
  };

  // Each video frame delivered, with its timing.
  void onVideo(MediaTime pts, WallTime captureTime, bool newSegment);
  // The frame's pts; nullopt before the first video frame (no clock to
  // map onto). `length` is the frame's own (its samples). When a sender
  // report or re-anchoring moves the capture times back a little, the
  // frames catch up by giving the one before at least half its length
  // (not a tick: ffmpeg then sees two frames at one time), so they stay
  // in sync without a new segment.
  std::optional<Mapped> map(WallTime audioCaptureTime, MediaDuration length, bool audioDiscontinuity);

 private:
  bool haveVideo_ = false;
  MediaTime videoPts_;
  WallTime videoCapture_;
  bool videoNewSegment_ = false;
  std::optional<MediaTime> lastAudioPts_;
  MediaDuration lastAudioLength_;
};

}  // namespace vigil::rtsp

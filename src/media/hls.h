#pragma once
// HLS (RFC 8216) with fMP4 segments: media playlists, and a live window
// that cuts a stream's frames into segments and keeps the last few.
//
// URIs are the caller's: the playlist functions take them ready-made or
// as functions of a segment's sequence number / an init segment's id.

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/time.h"
#include "media/fmp4.h"
#include "media/frame.h"

namespace vigil::media {

// One segment of a media playlist.
struct HlsSegment {
  MediaDuration duration;
  std::string uri;
  std::string mapUri;          // its init segment; EXT-X-MAP is written where it changes
  bool discontinuity = false;  // EXT-X-DISCONTINUITY before it (a gap, new parameters, a restart)
  WallTime start;              // EXT-X-PROGRAM-DATE-TIME
};

// A complete playlist of recorded video: EXT-X-PLAYLIST-TYPE:VOD,
// EXT-X-ENDLIST, the target duration from the longest segment.
std::string renderVodPlaylist(std::span<const HlsSegment> segments);

struct HlsLiveOptions {
  // A segment ends at the first keyframe at least this long after its
  // start, so segments are whole GOPs of about this length or more.
  MediaDuration segmentTarget{MediaDuration::kTicksPerSecond};
  size_t playlistSegments = 5;  // listed
  // Kept after leaving the playlist, for clients still on an older one.
  size_t retainedSegments = 2;
  // A segment that grows past this (no keyframe for too long) is dropped
  // and the window waits for the next keyframe; a discontinuity follows.
  size_t maxSegmentBytes = 16 << 20;
};

// A live segment: the video's fragment (a whole number of GOPs) and, with
// audio, a fragment of track 2 after it in the same .m4s (as HLS playback,
// design/STORAGE.md "Audio").
struct HlsLiveSegment {
  Fragment video;
  std::optional<Fragment> audio;

  std::vector<ByteView> buffers() const;  // views into both, in order
  Bytes contiguous() const;
};

// The live HLS window of one stream. push() and pushAudio() from the
// stream's thread; everything else from any thread. Memory: at most
// playlistSegments + retainedSegments segments plus the one being built
// (maxSegmentBytes, and as much audio), each holding its frames shared,
// not copied.
//
// With audio (setAudio), every init segment has an AAC track and every
// segment an audio fragment: the AAC frames pushed that start before the
// segment's end (its next keyframe's pts) and were not carried yet, placed
// on the video's timeline by pts. Audio arrives after the video of its
// time, so a frame that starts just before a segment's end may miss it:
// it opens the next segment's audio, which thus starts a little before
// that segment's video, following on from the audio before it (within
// 100 ms it follows exactly, so timing jitter makes no gaps or overlaps;
// audio that would overlap what was carried is dropped).
class HlsLiveWindow {
 public:
  explicit HlsLiveWindow(HlsLiveOptions options = {});

  // The stream's AAC (G.711 is the caller's to transcode: browsers play
  // none from MP4). Before the first push(): the init segments' tracks
  // stay those of the first segment for players.
  void setAudio(std::shared_ptr<const AudioParameters> aac);
  // An AAC frame of setAudio's parameters, pts on the video's clock; others
  // are dropped. `newSegment`: the audio restarted (what waits is dropped).
  void pushAudio(std::shared_ptr<const Frame> frame, bool newSegment);

  // Adds a frame. `newSegment`: the stream restarted, its pts need not
  // follow on (as LiveStream::publish). Frames before the first keyframe,
  // and frames without parameters, are dropped. New parameters get a new
  // init segment and a discontinuity.
  void push(std::shared_ptr<const Frame> frame, bool newSegment);

  // The live playlist (EXT-X-VERSION 7, EXT-X-MAP, EXT-X-TARGETDURATION,
  // EXT-X-MEDIA-SEQUENCE, EXT-X-PROGRAM-DATE-TIME...). Segment URIs by
  // sequence number, init segment URIs by id.
  std::string playlist(const std::function<std::string(uint64_t sequence)>& segmentUri,
                       const std::function<std::string(uint64_t initId)>& initUri) const;
  // Segments listed in playlist(): 0 until the first segment is complete.
  size_t listedSegments() const;
  // A segment or init segment still held, else null (too old or unknown).
  std::shared_ptr<const HlsLiveSegment> segment(uint64_t sequence) const;
  std::shared_ptr<const Bytes> init(uint64_t initId) const;

 private:
  struct Held {
    uint64_t sequence = 0;
    uint64_t initId = 0;
    bool discontinuity = false;
    WallTime start;
    std::shared_ptr<const HlsLiveSegment> segment;
  };
  // Ends the segment being built. `next` is the frame after it, when it
  // follows on (its pts gives the last sample's duration). Holds mutex_.
  void closeSegment(const Frame* next);
  // The audio fragment of a segment whose video starts at `from` (pts)
  // and decode time `videoBase` and ends at `end`: the waiting audio that
  // starts before `end`. Holds mutex_.
  std::optional<Fragment> takeAudio(uint32_t sequence, MediaTime from, uint64_t videoBase, MediaTime end);
  void dropPending();
  void clearPendingAudio();
  // Forgets init segments that neither a held segment nor the one being
  // built uses. Holds mutex_.
  void dropUnusedInits();

  const HlsLiveOptions options_;
  mutable std::mutex mutex_;
  std::shared_ptr<const VideoParameters> params_;  // of the frames pushed last
  std::shared_ptr<const AudioParameters> audio_;   // AAC; null without audio
  std::deque<std::shared_ptr<const Frame>> pendingAudio_;  // not carried yet, pts order
  size_t pendingAudioBytes_ = 0;
  std::optional<uint64_t> audioEnd_;  // decode time after the audio carried
  uint64_t initId_ = 0;                            // of params_; 0 = none (unusable parameters)
  uint64_t lastInitId_ = 0;
  std::map<uint64_t, std::shared_ptr<const Bytes>> inits_;
  std::vector<std::shared_ptr<const Frame>> pending_;  // the segment being built
  size_t pendingBytes_ = 0;
  bool pendingDiscontinuity_ = false;
  std::deque<Held> segments_;  // oldest first
  uint64_t nextSequence_ = 0;
  uint64_t decodeTime_ = 0;    // 90 kHz, continuous across segments
  uint64_t discontinuitiesDropped_ = 0;  // discontinuities of segments no longer held
  int64_t targetSeconds_ = 1;            // never decreases
};

}  // namespace vigil::media

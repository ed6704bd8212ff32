#pragma once
// The unit that flows from ingest to storage, live view and detection.

#include <memory>

#include "base/time.h"
#include "media/audio.h"
#include "media/h26x.h"

namespace vigil::media {

// What a decoder needs to start: the codec, its parameter sets (without
// start codes or length prefixes) and the picture size they declare.
struct VideoParameters {
  VideoCodec codec = VideoCodec::kH264;
  std::vector<Bytes> vps;  // H.265 only
  std::vector<Bytes> sps;
  std::vector<Bytes> pps;
  int width = 0;
  int height = 0;

  friend bool operator==(const VideoParameters&, const VideoParameters&) = default;
};

// One access unit of a video stream (a coded picture) or of the camera's
// audio stream (design/DECISIONS.md 87).
struct Frame {
  MediaTime pts;            // 90 kHz, strictly increasing within a stream segment; decode time (DECISIONS 47)
  WallTime captureTime;     // from RTCP sender reports, else arrival time
  bool keyframe = false;
  Bytes data;               // NAL units, each with a 4-byte big-endian length prefix; audio: one raw AAC frame or G.711 bytes
  std::shared_ptr<const VideoParameters> params;  // current parameter sets; null for audio
  // Set on audio frames only: their pts are on the clock of the camera's
  // main video stream (rtsp/client.h), and every one is a keyframe.
  std::shared_ptr<const AudioParameters> audio;
};

// A frame once received: immutable, one buffer shared by the live
// registry, its viewers and the store, none of which copies its bytes.
using SharedFrame = std::shared_ptr<const Frame>;

}  // namespace vigil::media

#pragma once
// The sound of `vigil testcam --audio`: a 1 kHz beep of 100 ms at every
// second of the stream's clock (where testcam's GOPs start when --gop is
// the frame rate), silence between, encoded once into a loop of 8 s. A
// player or a test finds the beeps and compares them with the keyframes:
// that is how A/V sync is checked (design/DECISIONS.md 87).

#include <memory>

#include "base/status.h"
#include "media/audio.h"
#include "rtsp/server.h"

namespace vigil::app {

inline constexpr int kToneHz = 1000;
inline constexpr int kBeepMs = 100;
inline constexpr int kToneLoopSeconds = 8;

// AAC-LC at 16 kHz (libavcodec's encoder) or G.711 at 8 kHz, mono. The
// beeps start `offsetMs` after each second (0-900): a known A/V offset,
// for testing the test.
Result<std::shared_ptr<const rtsp::LoopedAudio>> encodeTestTone(media::AudioCodec codec, int offsetMs = 0);

}  // namespace vigil::app

#pragma once
// A scene for vigil testcam: a photo (a person, a dog, a truck) sliding in
// over a still background, staying, and sliding out again, once per loop,
// so that detection has something real to find in the demo and in tests
// (design/DETECT.md). The photo is decoded and scaled once.

#include <cstdint>
#include <string>
#include <vector>

#include "app/test_pattern.h"
#include "base/status.h"

namespace vigil::app {

// The photo in YUV 4:2:0 (limited range), scaled to fit the frame.
struct TestScene {
  int width = 0;  // even
  int height = 0;
  std::vector<uint8_t> y, u, v;
};

// Decodes a JPEG with libavcodec and scales it to at most 3/4 of the
// frame's height and 1/2 of its width. InvalidArgument naming the path.
Result<TestScene> loadTestScene(const std::string& jpegPath, int frameWidth, int frameHeight);

// Frame `frameIndex` of a loop of `loopFrames`: a plain grey background for
// the first fifth, the photo sliding in from the left over the next fifth,
// still in the middle for two fifths, sliding out to the right in the last.
void drawTestScene(const YuvImage& image, const TestScene& scene, int64_t frameIndex, int64_t loopFrames);

}  // namespace vigil::app

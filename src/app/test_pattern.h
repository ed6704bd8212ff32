#pragma once
// The picture vigil testcam shows: colour bars, a bar sweeping across (so
// motion detection has something to see), the stream number and a running
// clock burnt in. Drawn straight into YUV 4:2:0 planes; no fonts needed.

#include <cstdint>
#include <span>
#include <string_view>

namespace vigil::app {

struct YuvImage {
  int width = 0;
  int height = 0;
  std::span<uint8_t> y, u, v;  // planes of width*height, and (width/2)*(height/2) each
  int yStride = 0, uvStride = 0;
};

// Draws frame `frameIndex` (at `fps`) of stream `streamIndex`.
void drawTestPattern(const YuvImage& image, int streamIndex, int64_t frameIndex, int fps);

// The clock text for a frame: "MM:SS.FF" (minutes, seconds, frame).
std::string clockText(int64_t frameIndex, int fps);

}  // namespace vigil::app

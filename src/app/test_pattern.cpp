#include "app/test_pattern.h"

#include <fmt/format.h>

#include <array>
#include <string>

namespace vigil::app {
namespace {

// 5x7 glyphs, one byte per row, bit 4 = leftmost column.
struct Glyph {
  char c;
  std::array<uint8_t, 7> rows;
};
constexpr Glyph kGlyphs[] = {
    {'0', {0x0e, 0x11, 0x13, 0x15, 0x19, 0x11, 0x0e}}, {'1', {0x04, 0x0c, 0x04, 0x04, 0x04, 0x04, 0x0e}},
    {'2', {0x0e, 0x11, 0x01, 0x02, 0x04, 0x08, 0x1f}}, {'3', {0x1f, 0x02, 0x04, 0x02, 0x01, 0x11, 0x0e}},
    {'4', {0x02, 0x06, 0x0a, 0x12, 0x1f, 0x02, 0x02}}, {'5', {0x1f, 0x10, 0x1e, 0x01, 0x01, 0x11, 0x0e}},
    {'6', {0x06, 0x08, 0x10, 0x1e, 0x11, 0x11, 0x0e}}, {'7', {0x1f, 0x01, 0x02, 0x04, 0x08, 0x08, 0x08}},
    {'8', {0x0e, 0x11, 0x11, 0x0e, 0x11, 0x11, 0x0e}}, {'9', {0x0e, 0x11, 0x11, 0x0f, 0x01, 0x02, 0x0c}},
    {':', {0x00, 0x0c, 0x0c, 0x00, 0x0c, 0x0c, 0x00}}, {'.', {0x00, 0x00, 0x00, 0x00, 0x00, 0x0c, 0x0c}},
    {'C', {0x0e, 0x11, 0x10, 0x10, 0x10, 0x11, 0x0e}}, {'A', {0x0e, 0x11, 0x11, 0x1f, 0x11, 0x11, 0x11}},
    {'M', {0x11, 0x1b, 0x15, 0x15, 0x11, 0x11, 0x11}}, {' ', {0, 0, 0, 0, 0, 0, 0}},
};

const Glyph* findGlyph(char c) {
  for (const Glyph& g : kGlyphs) {
    if (g.c == c) return &g;
  }
  return nullptr;
}

// Classic 75% colour bars in BT.601 YUV: white, yellow, cyan, green, magenta, red, blue, black.
constexpr uint8_t kBarY[] = {180, 162, 131, 112, 84, 65, 35, 16};
constexpr uint8_t kBarU[] = {128, 44, 156, 72, 184, 100, 212, 128};
constexpr uint8_t kBarV[] = {128, 142, 44, 58, 198, 212, 114, 128};

void fillRect(const YuvImage& img, int x0, int y0, int w, int h, uint8_t y, uint8_t u, uint8_t v) {
  const int x1 = std::min(img.width, x0 + w), y1 = std::min(img.height, y0 + h);
  x0 = std::max(0, x0);
  y0 = std::max(0, y0);
  for (int yy = y0; yy < y1; ++yy) {
    for (int xx = x0; xx < x1; ++xx) img.y[static_cast<size_t>(yy * img.yStride + xx)] = y;
  }
  for (int yy = y0 / 2; yy < (y1 + 1) / 2 && yy < img.height / 2; ++yy) {
    for (int xx = x0 / 2; xx < (x1 + 1) / 2 && xx < img.width / 2; ++xx) {
      img.u[static_cast<size_t>(yy * img.uvStride + xx)] = u;
      img.v[static_cast<size_t>(yy * img.uvStride + xx)] = v;
    }
  }
}

// White text on a black box; returns nothing, clips at the edges.
void drawText(const YuvImage& img, int x, int y, int scale, std::string_view text) {
  const int boxW = static_cast<int>(text.size()) * 6 * scale + 2 * scale;
  fillRect(img, x - scale, y - scale, boxW, 9 * scale, 16, 128, 128);
  for (char c : text) {
    if (const Glyph* g = findGlyph(c)) {
      for (int row = 0; row < 7; ++row) {
        for (int col = 0; col < 5; ++col) {
          if (g->rows[static_cast<size_t>(row)] & (0x10 >> col)) {
            fillRect(img, x + col * scale, y + row * scale, scale, scale, 235, 128, 128);
          }
        }
      }
    }
    x += 6 * scale;
  }
}

}  // namespace

std::string clockText(int64_t frameIndex, int fps) {
  const int64_t seconds = frameIndex / fps;
  return fmt::format("{:02}:{:02}.{:02}", (seconds / 60) % 100, seconds % 60, frameIndex % fps);
}

void drawTestPattern(const YuvImage& img, int streamIndex, int64_t frameIndex, int fps) {
  const int barWidth = (img.width + 7) / 8;
  for (int i = 0; i < 8; ++i) {
    fillRect(img, i * barWidth, 0, barWidth, img.height, kBarY[i], kBarU[i], kBarV[i]);
  }
  // A sweeping bar crossing the picture every 4 seconds.
  const int sweep = std::max(8, img.width / 40);
  const int64_t period = int64_t{fps} * 4;
  const int x = static_cast<int>((frameIndex % period) * (img.width + sweep) / period) - sweep;
  fillRect(img, x, 0, sweep, img.height, 235, 128, 128);

  const int scale = std::max(1, img.height / 60);
  // Counted from 1 like the demo's cameras (stream /cam/0 is "Demo camera 1").
  drawText(img, 2 * scale, 2 * scale, scale * 2, fmt::format("CAM {}", streamIndex + 1));
  drawText(img, 2 * scale, img.height - 10 * scale, scale, clockText(frameIndex, fps));
}

}  // namespace vigil::app

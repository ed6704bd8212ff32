#pragma once
// What the detection stages pass between them: a decoded picture, boxes in
// its pixels, and polygons in 0..1 picture coordinates (zones and masks).

#include <cstdint>
#include <string>
#include <vector>

namespace vigil::detect {

// A decoded picture, 8-bit BGR, rows packed (row stride = width * 3).
struct BgrImage {
  int width = 0;
  int height = 0;
  std::vector<std::uint8_t> pixels;
};

// A rectangle in the pixels of one picture.
struct Box {
  int x = 0;
  int y = 0;
  int width = 0;
  int height = 0;

  friend bool operator==(const Box&, const Box&) = default;
};

// A point in picture coordinates: (0, 0) top left, (1, 1) bottom right, so
// that a zone drawn on a snapshot fits the main and the sub stream alike.
struct Point {
  double x = 0;
  double y = 0;
  friend bool operator==(const Point&, const Point&) = default;
};

using Polygon = std::vector<Point>;

}  // namespace vigil::detect

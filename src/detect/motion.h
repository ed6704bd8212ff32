#pragma once
// Motion: what changed in a camera's downscaled gray picture against a
// background that follows light changes, with noise and rain filtered
// out, as boxes around what moved (design/DETECT.md, "Decoding and motion").

#include <cstdint>
#include <vector>

#include "detect/config.h"
#include "detect/picture.h"

namespace vigil::detect {

// One byte per pixel of a width x height picture, rows packed: 1 inside
// any of `polygons` (a pixel is inside when its centre is), else 0.
std::vector<std::uint8_t> rasterise(const std::vector<const Polygon*>& polygons, int width, int height);

// Which pixels of a camera's picture the masks cover (blacked out, never
// analysed) and where motion counts (not masked, not in an ignore zone,
// inside an include zone when there is one), at one picture size.
struct AreaMaps {
  AreaMaps(const CameraDetectConfig& config, int width, int height);
  int width;
  int height;
  std::vector<std::uint8_t> masked;
  std::vector<std::uint8_t> counted;
};

// Blacks out the masked pixels of `image` (masked.width/height must match).
void applyMasks(const AreaMaps& maps, BgrImage& image);

class MotionDetector {
 public:
  // Pictures of `maps`' size; sensitivity 1..10 (DetectConfig).
  MotionDetector(AreaMaps maps, int sensitivity);

  // Compares a gray picture (rows `stride` bytes apart) with the
  // background, then lets the background learn it. Answers boxes in this
  // picture's pixels around the changes that count; none for the first
  // picture and when most of the picture changed at once (a light switched
  // on, the camera's infrared mode: the background starts again).
  std::vector<Box> update(const std::uint8_t* gray, int stride);

  const AreaMaps& maps() const { return maps_; }

 private:
  AreaMaps maps_;
  int threshold_;    // least difference that is a change, beyond the pixel's own noise
  int minArea_;      // least pixels of a box's changed area
  std::vector<float> background_;
  std::vector<float> deviation_;  // each pixel's usual difference from the background (its noise)
  std::vector<std::uint8_t> changed_;
  bool started_ = false;
};

}  // namespace vigil::detect

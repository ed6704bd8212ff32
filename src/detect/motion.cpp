#include "detect/motion.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdlib>

namespace vigil::detect {

namespace {

// How fast the background learns a picture: about 4 s at 5 fps. What moves
// learns 8 times slower, so a car that parks becomes background in ~30 s.
constexpr float kLearnRate = 0.05f;
constexpr float kLearnRateChanged = kLearnRate / 8;
constexpr float kMinDeviation = 1.0f;
constexpr float kMaxDeviation = 40.0f;
constexpr float kNoiseFactor = 3.0f;  // a change must stand this many of its pixel's deviations out
// Changed pixels with fewer changed neighbours (of 8) are noise or rain.
constexpr int kMinChangedNeighbours = 3;
constexpr int kDilation = 2;  // pixels: joins the pieces of one moving thing

// A change of more than this share of the unmasked picture is light, not motion.
constexpr double kLightChangeShare = 0.5;

bool overlaps(const Box& a, const Box& b, int margin) {
  return a.x - margin < b.x + b.width && b.x - margin < a.x + a.width && a.y - margin < b.y + b.height &&
         b.y - margin < a.y + a.height;
}

Box unite(const Box& a, const Box& b) {
  const int x = std::min(a.x, b.x);
  const int y = std::min(a.y, b.y);
  return {x, y, std::max(a.x + a.width, b.x + b.width) - x, std::max(a.y + a.height, b.y + b.height) - y};
}

// Merges boxes that overlap or nearly touch until none do.
std::vector<Box> mergeBoxes(std::vector<Box> boxes, int margin) {
  for (bool merged = true; merged;) {
    merged = false;
    for (size_t i = 0; i < boxes.size() && !merged; ++i) {
      for (size_t j = i + 1; j < boxes.size(); ++j) {
        if (overlaps(boxes[i], boxes[j], margin)) {
          boxes[i] = unite(boxes[i], boxes[j]);
          boxes.erase(boxes.begin() + static_cast<std::ptrdiff_t>(j));
          merged = true;
          break;
        }
      }
    }
  }
  return boxes;
}

// Sets every pixel within `radius` (a square) of a set one.
void dilate(std::vector<std::uint8_t>& image, int width, int height, int radius) {
  std::vector<std::uint8_t> rows(image.size(), 0);
  for (int y = 0; y < height; ++y) {
    const std::uint8_t* in = &image[static_cast<size_t>(y) * width];
    std::uint8_t* out = &rows[static_cast<size_t>(y) * width];
    for (int x = 0; x < width; ++x) {
      if (!in[x]) continue;
      for (int d = std::max(0, x - radius); d <= std::min(width - 1, x + radius); ++d) out[d] = 1;
    }
  }
  std::fill(image.begin(), image.end(), 0);
  for (int y = 0; y < height; ++y) {
    const std::uint8_t* in = &rows[static_cast<size_t>(y) * width];
    for (int x = 0; x < width; ++x) {
      if (!in[x]) continue;
      for (int d = std::max(0, y - radius); d <= std::min(height - 1, y + radius); ++d) {
        image[static_cast<size_t>(d) * width + x] = 1;
      }
    }
  }
}

}  // namespace

std::vector<std::uint8_t> rasterise(const std::vector<const Polygon*>& polygons, int width, int height) {
  std::vector<std::uint8_t> out(static_cast<size_t>(width) * height, 0);
  std::vector<double> crossings;
  for (const Polygon* polygon : polygons) {
    const size_t n = polygon->size();
    for (int y = 0; y < height; ++y) {
      const double cy = (y + 0.5) / height;
      crossings.clear();
      for (size_t i = 0; i < n; ++i) {
        const Point& a = (*polygon)[i];
        const Point& b = (*polygon)[(i + 1) % n];
        if ((a.y <= cy && cy < b.y) || (b.y <= cy && cy < a.y)) {
          crossings.push_back(a.x + (cy - a.y) * (b.x - a.x) / (b.y - a.y));
        }
      }
      std::sort(crossings.begin(), crossings.end());
      // Even-odd: inside between each pair of crossings, for the pixels
      // whose centre is.
      for (size_t i = 0; i + 1 < crossings.size(); i += 2) {
        const int from = std::max(0, static_cast<int>(std::ceil(crossings[i] * width - 0.5)));
        const int to = std::min(width, static_cast<int>(std::ceil(crossings[i + 1] * width - 0.5)));
        for (int x = from; x < to; ++x) out[static_cast<size_t>(y) * width + x] = 1;
      }
    }
  }
  return out;
}

AreaMaps::AreaMaps(const CameraDetectConfig& config, int width, int height) : width(width), height(height) {
  std::vector<const Polygon*> masks;
  std::vector<const Polygon*> includes;
  std::vector<const Polygon*> ignores;
  for (const Mask& m : config.masks) masks.push_back(&m.polygon);
  for (const Zone& z : config.zones) (z.kind == Zone::Kind::kInclude ? includes : ignores).push_back(&z.polygon);
  masked = rasterise(masks, width, height);
  const std::vector<std::uint8_t> ignored = rasterise(ignores, width, height);
  const std::vector<std::uint8_t> included = rasterise(includes, width, height);
  counted.resize(masked.size());
  for (size_t i = 0; i < counted.size(); ++i) {
    counted[i] = !masked[i] && !ignored[i] && (includes.empty() || included[i]);
  }
}

void applyMasks(const AreaMaps& maps, BgrImage& image) {
  for (size_t i = 0; i < maps.masked.size(); ++i) {
    if (maps.masked[i]) std::fill_n(&image.pixels[i * 3], 3, 0);
  }
}

MotionDetector::MotionDetector(AreaMaps maps, int sensitivity)
    : maps_(std::move(maps)),
      // Sensitivity 5: a change of 23 gray levels over ~0.25% of the
      // picture (a person far off); 10: 8 levels over 0.04%.
      threshold_(8 + 3 * (10 - sensitivity)),
      minArea_(std::max(4, static_cast<int>(maps_.width * maps_.height * 0.0004 * (11 - sensitivity)))) {
  const size_t n = static_cast<size_t>(maps_.width) * maps_.height;
  background_.resize(n);
  deviation_.assign(n, 2.0f);
  changed_.resize(n);
}

std::vector<Box> MotionDetector::update(const std::uint8_t* gray, int stride) {
  const int width = maps_.width;
  const int height = maps_.height;
  auto pixel = [&](size_t i) { return static_cast<float>(gray[(i / width) * stride + i % width]); };
  const size_t n = background_.size();
  if (!started_) {
    for (size_t i = 0; i < n; ++i) background_[i] = pixel(i);
    started_ = true;
    return {};
  }

  // Light: the whole picture brightening or darkening shifts the median
  // difference; the background takes that shift at once. (A moving thing
  // covers less than half the picture, so it moves the median little.)
  std::array<int, 511> histogram{};
  int unmasked = 0;
  for (size_t i = 0; i < n; ++i) {
    if (maps_.masked[i]) continue;
    const int d = static_cast<int>(pixel(i)) - static_cast<int>(std::lround(background_[i]));
    ++histogram[static_cast<size_t>(d + 255)];
    ++unmasked;
  }
  int shift = 0;
  for (int seen = 0, d = 0; d < 511; ++d) {
    seen += histogram[static_cast<size_t>(d)];
    if (seen * 2 >= unmasked) {
      shift = d - 255;
      break;
    }
  }

  int foreground = 0;
  int changedCount = 0;
  for (size_t i = 0; i < n; ++i) {
    float& bg = background_[i];
    float& dev = deviation_[i];
    bg += static_cast<float>(shift);
    const float value = pixel(i);
    const float diff = std::fabs(value - bg);
    const bool fg = diff > static_cast<float>(threshold_) + kNoiseFactor * dev;
    if (fg) {
      bg += kLearnRateChanged * (value - bg);
      foreground += maps_.masked[i] ? 0 : 1;
    } else {
      bg += kLearnRate * (value - bg);
      dev = std::clamp(dev + kLearnRate * (diff - dev), kMinDeviation, kMaxDeviation);
    }
    changed_[i] = fg && maps_.counted[i];
    changedCount += changed_[i];
  }
  if (foreground > kLightChangeShare * unmasked) {
    for (size_t i = 0; i < n; ++i) background_[i] = pixel(i);
    return {};
  }
  if (changedCount < minArea_) return {};

  // Noise and rain: lone changed pixels and thin streaks go.
  std::vector<std::uint8_t> kept(n, 0);
  int keptCount = 0;
  for (int y = 1; y + 1 < height; ++y) {
    for (int x = 1; x + 1 < width; ++x) {
      const size_t i = static_cast<size_t>(y) * width + x;
      if (!changed_[i]) continue;
      int neighbours = -1;
      for (int dy = -1; dy <= 1; ++dy) {
        for (int dx = -1; dx <= 1; ++dx) neighbours += changed_[i + static_cast<size_t>(dy * width + dx)];
      }
      if (neighbours >= kMinChangedNeighbours) {
        kept[i] = 1;
        ++keptCount;
      }
    }
  }
  if (keptCount < minArea_) return {};
  std::vector<std::uint8_t> joined = kept;
  dilate(joined, width, height, kDilation);

  // Connected parts of the dilated changes; each keeps its box when it
  // holds enough changed pixels.
  std::vector<Box> boxes;
  std::vector<size_t> stack;
  for (size_t start = 0; start < n; ++start) {
    if (!joined[start]) continue;
    joined[start] = 0;
    stack.assign(1, start);
    int x0 = width, y0 = height, x1 = -1, y1 = -1, area = 0;
    while (!stack.empty()) {
      const size_t i = stack.back();
      stack.pop_back();
      const int x = static_cast<int>(i % width);
      const int y = static_cast<int>(i / width);
      x0 = std::min(x0, x), x1 = std::max(x1, x), y0 = std::min(y0, y), y1 = std::max(y1, y);
      area += kept[i];
      for (auto [dx, dy] : {std::pair{-1, 0}, {1, 0}, {0, -1}, {0, 1}}) {
        const int nx = x + dx;
        const int ny = y + dy;
        if (nx < 0 || ny < 0 || nx >= width || ny >= height) continue;
        const size_t j = static_cast<size_t>(ny) * width + nx;
        if (joined[j]) {
          joined[j] = 0;
          stack.push_back(j);
        }
      }
    }
    if (area >= minArea_) boxes.push_back({x0, y0, x1 - x0 + 1, y1 - y0 + 1});
  }
  return mergeBoxes(std::move(boxes), std::max(2, width / 50));
}

}  // namespace vigil::detect

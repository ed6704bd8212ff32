#include "detect/objects.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <filesystem>
#include <utility>

#include <opencv2/core.hpp>
#include <opencv2/dnn.hpp>
#include <opencv2/imgproc.hpp>

namespace vigil::detect {

std::string_view labelName(Label label) {
  switch (label) {
    case Label::kPerson: return "person";
    case Label::kVehicle: return "vehicle";
    case Label::kAnimal: return "animal";
  }
  return "person";
}

std::optional<Label> parseLabel(std::string_view name) {
  for (Label label : {Label::kPerson, Label::kVehicle, Label::kAnimal}) {
    if (labelName(label) == name) return label;
  }
  return std::nullopt;
}

namespace {

constexpr int kLabels = 3;
constexpr int kCocoClasses = 80;

// COCO's class index (0..79, in the order NanoDet was trained on) to
// vigil's label; every class not listed is dropped (design/DETECT.md).
std::optional<Label> labelOfCocoClass(int cls) {
  switch (cls) {
    case 0: return Label::kPerson;
    case 1:   // bicycle
    case 2:   // car
    case 3:   // motorcycle
    case 5:   // bus
    case 6:   // train
    case 7:   // truck
    case 8:   // boat
      return Label::kVehicle;
    default:
      // 14..23: bird, cat, dog, horse, sheep, cow, elephant, bear, zebra, giraffe.
      if (cls >= 14 && cls <= 23) return Label::kAnimal;
      return std::nullopt;
  }
}

// NanoDet's preprocessing (its training config): BGR, per channel
// (value - mean) / std.
constexpr std::array<float, 3> kMean = {103.53f, 116.28f, 123.675f};
constexpr std::array<float, 3> kStd = {57.375f, 57.12f, 58.395f};
constexpr std::array<int, 3> kStrides = {8, 16, 32};
constexpr int kInputSize = 416;  // the converted NanoDet's input, 416x416 (open() checks)
constexpr float kNmsIou = 0.5f;

// The model's outputs, two per level of its feature pyramid (stride 8, 16,
// 32 input pixels per cell): cls_<stride> [1, cells, 80], the sigmoid score
// of each COCO class per cell (row-major); reg_<stride> [1, cells, 4 * bins],
// per box side (left, top, right, bottom) a distribution over distances
// 0..bins-1 in strides from the cell's centre (Generalized Focal Loss): the
// side's distance is its expected value.
const std::vector<std::string>& headNames() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (int stride : kStrides) {
      out.push_back("cls_" + std::to_string(stride));
      out.push_back("reg_" + std::to_string(stride));
    }
    return out;
  }();
  return names;
}

// What one run found, per label: boxes in the picture's pixels and their scores.
struct Candidates {
  std::array<std::vector<cv::Rect>, kLabels> boxes;
  std::array<std::vector<float>, kLabels> scores;
};

// The letterboxed input as an NCHW float blob, normalised as NanoDet was trained.
cv::Mat blob(const cv::Mat& bgr) {
  constexpr int size = kInputSize;
  cv::Mat out({1, 3, size, size}, CV_32F);
  float* planes = out.ptr<float>();
  for (int y = 0; y < size; ++y) {
    const std::uint8_t* row = bgr.ptr<std::uint8_t>(y);
    for (int x = 0; x < size; ++x) {
      for (int c = 0; c < 3; ++c) {
        planes[(c * size + y) * size + x] = (static_cast<float>(row[x * 3 + c]) - kMean[c]) / kStd[c];
      }
    }
  }
  return out;
}

// Adds the cells of one level that score >= minScore for a label (the best
// of its COCO classes), their boxes mapped back from the input (scaled by
// `scale`) into the picture's pixels and clipped to roi.
void decodeLevel(int stride, const cv::Mat& cls, const cv::Mat& reg, float minScore, double scale, const cv::Rect& roi,
                 Candidates& out) {
  const int grid = kInputSize / stride;
  const int cells = grid * grid;
  const int bins = reg.size[2] / 4;
  const float* clsData = cls.ptr<float>();
  const float* regData = reg.ptr<float>();
  for (int a = 0; a < cells; ++a) {
    std::array<float, kLabels> best{};
    for (int c = 0; c < kCocoClasses; ++c) {
      if (const auto label = labelOfCocoClass(c)) {
        float& s = best[static_cast<int>(*label)];
        s = std::max(s, clsData[a * kCocoClasses + c]);
      }
    }
    if (*std::max_element(best.begin(), best.end()) < minScore) continue;

    std::array<float, 4> side{};  // left, top, right, bottom in input pixels
    for (int k = 0; k < 4; ++k) {
      const float* logits = regData + (a * 4 + k) * bins;
      const float top = *std::max_element(logits, logits + bins);
      float sum = 0, expected = 0;
      for (int j = 0; j < bins; ++j) {
        const float e = std::exp(logits[j] - top);
        sum += e;
        expected += e * j;
      }
      side[k] = expected / sum * stride;
    }
    const float cx = (a % grid + 0.5f) * stride;
    const float cy = (a / grid + 0.5f) * stride;
    const auto toPicture = [&](float v, int origin) { return static_cast<int>(std::lround(v / scale)) + origin; };
    const cv::Rect box = cv::Rect(cv::Point(toPicture(cx - side[0], roi.x), toPicture(cy - side[1], roi.y)),
                                  cv::Point(toPicture(cx + side[2], roi.x), toPicture(cy + side[3], roi.y))) &
                         roi;
    if (box.empty()) continue;
    for (int label = 0; label < kLabels; ++label) {
      if (best[label] < minScore) continue;
      out.boxes[label].push_back(box);
      out.scores[label].push_back(best[label]);
    }
  }
}

class NanoDet final : public ObjectDetector {
 public:
  explicit NanoDet(cv::dnn::Net net) : net_(std::move(net)) {}

  std::vector<Detection> detect(const BgrImage& image, const Box& region, float minScore) override {
    const cv::Rect roi = cv::Rect(region.x, region.y, region.width, region.height) &
                         cv::Rect(0, 0, image.width, image.height);
    if (roi.empty() || image.pixels.size() < static_cast<size_t>(image.width) * image.height * 3) return {};
    // Only read (cv::Mat has no const view of foreign memory).
    const cv::Mat whole(image.height, image.width, CV_8UC3, const_cast<std::uint8_t*>(image.pixels.data()));

    // Letterbox: scaled to fit, aspect kept, top left, the rest the mean
    // (0 after normalising).
    const double scale = std::min(static_cast<double>(kInputSize) / roi.width,
                                  static_cast<double>(kInputSize) / roi.height);
    const cv::Size scaled(std::clamp(static_cast<int>(std::lround(roi.width * scale)), 1, kInputSize),
                          std::clamp(static_cast<int>(std::lround(roi.height * scale)), 1, kInputSize));
    cv::Mat input(kInputSize, kInputSize, CV_8UC3,
                  cv::Scalar(std::lround(kMean[0]), std::lround(kMean[1]), std::lround(kMean[2])));
    cv::resize(whole(roi), input(cv::Rect({0, 0}, scaled)), scaled, 0, 0, cv::INTER_AREA);
    net_.setInput(blob(input));
    std::vector<cv::Mat> outputs;
    net_.forward(outputs, headNames());

    Candidates candidates;
    for (size_t level = 0; level < kStrides.size(); ++level) {
      decodeLevel(kStrides[level], outputs[2 * level], outputs[2 * level + 1], minScore, scale, roi, candidates);
    }

    std::vector<Detection> found;
    for (int label = 0; label < kLabels; ++label) {
      std::vector<int> kept;
      cv::dnn::NMSBoxes(candidates.boxes[label], candidates.scores[label], minScore, kNmsIou, kept);
      for (int k : kept) {
        const cv::Rect& b = candidates.boxes[label][k];
        found.push_back({static_cast<Label>(label), candidates.scores[label][k], Box{b.x, b.y, b.width, b.height}});
      }
    }
    std::sort(found.begin(), found.end(), [](const Detection& a, const Detection& b) { return a.score > b.score; });
    return found;
  }

 private:
  cv::dnn::Net net_;
};

}  // namespace

Result<std::unique_ptr<ObjectDetector>> ObjectDetector::open(const std::string& modelPath) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(modelPath, ec)) {
    return Status::notFound("object model " + modelPath + ": no such file (the build converts it: design/DETECT.md)");
  }
  const std::string invalid = "object model " + modelPath + ": ";
  try {
    cv::dnn::Net net = cv::dnn::readNetFromONNX(modelPath);
    if (net.empty()) return Status::invalidArgument(invalid + "no layers");
    // One run on a blank input checks the outputs are NanoDet's heads.
    const std::vector<std::string>& names = headNames();
    net.setInput(cv::Mat({1, 3, kInputSize, kInputSize}, CV_32F, cv::Scalar(0)));
    std::vector<cv::Mat> outputs;
    net.forward(outputs, names);
    for (size_t k = 0; k < names.size(); ++k) {
      const int grid = kInputSize / kStrides[k / 2];
      const cv::Mat& out = outputs[k];
      const bool isCls = k % 2 == 0;
      if (out.dims != 3 || out.size[1] != grid * grid || (isCls ? out.size[2] != kCocoClasses : out.size[2] % 4 != 0)) {
        return Status::invalidArgument(invalid + "output " + names[k] + " has not the shape of NanoDet's at " +
                                       std::to_string(kInputSize) + "x" + std::to_string(kInputSize));
      }
    }
    return std::unique_ptr<ObjectDetector>(new NanoDet(std::move(net)));
  } catch (const cv::Exception& e) {
    return Status::invalidArgument(invalid + "not a NanoDet model OpenCV can run: " + e.msg);
  }
}

std::string ObjectDetector::defaultModelPath() { return VIGIL_OBJECT_MODEL_PATH; }

}  // namespace vigil::detect

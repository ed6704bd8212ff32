#pragma once
// Objects: "a person / a vehicle / an animal is here", found by NanoDet
// (COCO's 80 classes, mapped to three labels and nothing finer) run by
// OpenCV's DNN on a region of a picture. design/DETECT.md has the model's
// provenance and what vigil will never detect.

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "detect/picture.h"

namespace vigil::detect {

enum class Label { kPerson, kVehicle, kAnimal };

// "person" | "vehicle" | "animal".
std::string_view labelName(Label label);
std::optional<Label> parseLabel(std::string_view name);

struct Detection {
  Label label = Label::kPerson;
  float score = 0;  // 0..1
  Box box;          // in the pixels of the picture given to detect()
};

class ObjectDetector {
 public:
  // Loads the ONNX model the build converts from NanoDet's weights.
  // NotFound or InvalidArgument, naming the path, when it cannot.
  static Result<std::unique_ptr<ObjectDetector>> open(const std::string& modelPath);
  // Where the build (or the package) put the model.
  static std::string defaultModelPath();

  virtual ~ObjectDetector() = default;
  // Runs the model on `region` of `image` (scaled to the model's input,
  // aspect kept) and answers what it found there with score >= minScore,
  // boxes in `image`'s pixels, overlapping boxes of one label merged.
  // Not thread-safe: one detector per worker thread.
  virtual std::vector<Detection> detect(const BgrImage& image, const Box& region, float minScore) = 0;
};

}  // namespace vigil::detect

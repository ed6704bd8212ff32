#include "detect/objects.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

// The model converted by the build, run on the photos of tests/data/scenes.
// The expected boxes were read off the photos by eye (a 50 px grid drawn
// over them), not taken from the detector's output.

namespace vigil::detect {
namespace {

constexpr float kMinScore = 0.35f;

BgrImage loadScene(const std::string& name) {
  const cv::Mat m = cv::imread(std::string(VIGIL_SCENES_DIR) + "/" + name, cv::IMREAD_COLOR);
  EXPECT_FALSE(m.empty()) << name;
  BgrImage image{m.cols, m.rows, {}};
  image.pixels.assign(m.data, m.data + m.total() * 3);
  return image;
}

Box whole(const BgrImage& image) { return {0, 0, image.width, image.height}; }

// From the corners, as read off the photo.
Box corners(int x1, int y1, int x2, int y2) { return {x1, y1, x2 - x1, y2 - y1}; }

double iou(const Box& a, const Box& b) {
  const int x1 = std::max(a.x, b.x), y1 = std::max(a.y, b.y);
  const int x2 = std::min(a.x + a.width, b.x + b.width), y2 = std::min(a.y + a.height, b.y + b.height);
  const double inter = std::max(0, x2 - x1) * static_cast<double>(std::max(0, y2 - y1));
  return inter / (static_cast<double>(a.width) * a.height + static_cast<double>(b.width) * b.height - inter);
}

std::string describe(const std::vector<Detection>& found) {
  std::string out;
  for (const Detection& d : found) {
    out += std::string(labelName(d.label)) + " " + std::to_string(d.score) + " [" + std::to_string(d.box.x) + "," +
           std::to_string(d.box.y) + " " + std::to_string(d.box.width) + "x" + std::to_string(d.box.height) + "]\n";
  }
  return out;
}

// Whether one detection of `label` covers `truth` (IoU >= 0.5, the usual
// bar for "the same object").
bool covers(const std::vector<Detection>& found, Label label, const Box& truth) {
  return std::any_of(found.begin(), found.end(),
                     [&](const Detection& d) { return d.label == label && iou(d.box, truth) >= 0.5; });
}

int countOf(const std::vector<Detection>& found, Label label) {
  return static_cast<int>(
      std::count_if(found.begin(), found.end(), [&](const Detection& d) { return d.label == label; }));
}

class ObjectsTest : public testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto opened = ObjectDetector::open(ObjectDetector::defaultModelPath());
    ASSERT_TRUE(opened.isOk()) << opened.status().toString();
    detector_ = std::move(opened).value().release();
  }
  static void TearDownTestSuite() {
    delete detector_;
    detector_ = nullptr;
  }
  static ObjectDetector* detector_;
};
ObjectDetector* ObjectsTest::detector_ = nullptr;

TEST_F(ObjectsTest, PersonSceneHasAPersonADogAndAHorse) {
  const BgrImage image = loadScene("person.jpg");
  const auto found = detector_->detect(image, whole(image), kMinScore);
  EXPECT_TRUE(covers(found, Label::kPerson, corners(192, 100, 272, 373))) << describe(found);
  EXPECT_TRUE(covers(found, Label::kAnimal, corners(65, 263, 200, 345))) << describe(found);   // the dog
  EXPECT_TRUE(covers(found, Label::kAnimal, corners(405, 138, 602, 345))) << describe(found);  // the horse
  EXPECT_EQ(countOf(found, Label::kPerson), 1) << describe(found);
  EXPECT_EQ(countOf(found, Label::kVehicle), 0) << describe(found);
}

TEST_F(ObjectsTest, DogSceneHasADogABicycleAndATruck) {
  const BgrImage image = loadScene("dog.jpg");
  const auto found = detector_->detect(image, whole(image), kMinScore);
  EXPECT_TRUE(covers(found, Label::kAnimal, corners(133, 222, 308, 540))) << describe(found);   // the dog
  EXPECT_TRUE(covers(found, Label::kVehicle, corners(127, 140, 566, 418))) << describe(found);  // the bicycle
  EXPECT_TRUE(covers(found, Label::kVehicle, corners(467, 75, 690, 170))) << describe(found);   // the truck
  EXPECT_EQ(countOf(found, Label::kPerson), 0) << describe(found);
}

TEST_F(ObjectsTest, HorsesSceneHasHorsesOnly) {
  const BgrImage image = loadScene("horses.jpg");
  const auto found = detector_->detect(image, whole(image), kMinScore);
  EXPECT_TRUE(covers(found, Label::kAnimal, corners(2, 197, 315, 408))) << describe(found);    // white, in front
  EXPECT_TRUE(covers(found, Label::kAnimal, corners(230, 197, 418, 360))) << describe(found);  // brown, middle
  EXPECT_TRUE(covers(found, Label::kAnimal, corners(437, 212, 595, 348))) << describe(found);  // grey, right
  EXPECT_EQ(countOf(found, Label::kAnimal), static_cast<int>(found.size())) << describe(found);
}

// Overlapping boxes of one label are merged: no two left overlap much.
TEST_F(ObjectsTest, NoTwoBoxesOfALabelOverlapMuch) {
  for (const char* name : {"person.jpg", "dog.jpg", "horses.jpg"}) {
    const BgrImage image = loadScene(name);
    const auto found = detector_->detect(image, whole(image), 0.2f);
    for (size_t i = 0; i < found.size(); ++i) {
      for (size_t j = i + 1; j < found.size(); ++j) {
        if (found[i].label != found[j].label) continue;
        EXPECT_LT(iou(found[i].box, found[j].box), 0.5) << name << "\n" << describe(found);
      }
    }
  }
}

// Every score is at least the minimum asked for, at most 1, best first; a
// higher minimum keeps only the detections above it.
TEST_F(ObjectsTest, ScoresHonourTheMinimumBestFirst) {
  const BgrImage image = loadScene("horses.jpg");
  const auto loose = detector_->detect(image, whole(image), 0.2f);
  const auto strict = detector_->detect(image, whole(image), 0.55f);
  ASSERT_FALSE(strict.empty());
  EXPECT_LT(strict.size(), loose.size()) << describe(loose);
  for (const auto* found : {&loose, &strict}) {
    const float floor = found == &loose ? 0.2f : 0.55f;
    for (size_t i = 0; i < found->size(); ++i) {
      EXPECT_GE((*found)[i].score, floor);
      EXPECT_LE((*found)[i].score, 1.0f);
      if (i > 0) EXPECT_GE((*found)[i - 1].score, (*found)[i].score);
    }
  }
}

TEST_F(ObjectsTest, GreyAndNoiseGiveNothing) {
  BgrImage grey{640, 360, std::vector<std::uint8_t>(640 * 360 * 3, 128)};
  EXPECT_TRUE(detector_->detect(grey, whole(grey), kMinScore).empty());
  BgrImage noise = grey;
  std::mt19937 random(16);
  std::uniform_int_distribution<int> byte(0, 255);
  for (auto& p : noise.pixels) p = static_cast<std::uint8_t>(byte(random));
  const auto found = detector_->detect(noise, whole(noise), kMinScore);
  EXPECT_TRUE(found.empty()) << describe(found);
}

// Only the region is looked at: the dog left of x = 330 is not reported
// when the region starts there, and what is found lies inside the region.
TEST_F(ObjectsTest, RegionExcludesWhatIsOutsideIt) {
  const BgrImage image = loadScene("dog.jpg");
  const Box right{330, 0, image.width - 330, image.height};
  const auto found = detector_->detect(image, right, kMinScore);
  EXPECT_EQ(countOf(found, Label::kAnimal), 0) << describe(found);
  EXPECT_TRUE(covers(found, Label::kVehicle, corners(467, 75, 690, 170))) << describe(found);  // the truck
  for (const Detection& d : found) {
    EXPECT_GE(d.box.x, right.x);
    EXPECT_LE(d.box.x + d.box.width, right.x + right.width);
  }
}

// A region's detections come back in the whole picture's pixels.
TEST_F(ObjectsTest, RegionBoxesAreInThePicturesPixels) {
  const BgrImage image = loadScene("person.jpg");
  const Box left{0, 0, 340, image.height};  // the person and the dog, not the horse
  const auto found = detector_->detect(image, left, kMinScore);
  EXPECT_TRUE(covers(found, Label::kPerson, corners(192, 100, 272, 373))) << describe(found);
  EXPECT_TRUE(covers(found, Label::kAnimal, corners(65, 263, 200, 345))) << describe(found);
  EXPECT_EQ(countOf(found, Label::kAnimal), 1) << describe(found);
}

TEST_F(ObjectsTest, RegionsOutsideThePictureGiveNothing) {
  const BgrImage image = loadScene("person.jpg");
  EXPECT_TRUE(detector_->detect(image, Box{0, 0, 0, 0}, kMinScore).empty());
  EXPECT_TRUE(detector_->detect(image, Box{image.width, 0, 100, 100}, kMinScore).empty());
  EXPECT_TRUE(detector_->detect(image, Box{-50, -50, 40, 40}, kMinScore).empty());
  EXPECT_TRUE(detector_->detect(BgrImage{}, Box{0, 0, 10, 10}, kMinScore).empty());
}

TEST(ObjectsOpenTest, MissingModelIsNotFoundNamingThePath) {
  const std::string path = "/nonexistent/vigil/nanodet.onnx";
  auto opened = ObjectDetector::open(path);
  ASSERT_FALSE(opened.isOk());
  EXPECT_EQ(opened.status().code(), StatusCode::kNotFound);
  EXPECT_NE(opened.status().message().find(path), std::string::npos) << opened.status().message();
}

TEST(ObjectsOpenTest, NotAModelIsInvalidArgument) {
  const std::filesystem::path path = std::filesystem::temp_directory_path() / "vigil_objects_test_not_a_model.onnx";
  std::ofstream(path) << "not an ONNX model";
  auto opened = ObjectDetector::open(path.string());
  std::filesystem::remove(path);
  ASSERT_FALSE(opened.isOk());
  EXPECT_EQ(opened.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(opened.status().message().find(path.string()), std::string::npos) << opened.status().message();
}

TEST(ObjectsLabelTest, NamesRoundTrip) {
  for (Label label : {Label::kPerson, Label::kVehicle, Label::kAnimal}) {
    EXPECT_EQ(parseLabel(labelName(label)), label);
  }
  EXPECT_EQ(labelName(Label::kVehicle), "vehicle");
  EXPECT_FALSE(parseLabel("face").has_value());
  EXPECT_FALSE(parseLabel("car").has_value());
}

}  // namespace
}  // namespace vigil::detect

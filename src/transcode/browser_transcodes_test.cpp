#include "transcode/browser_transcodes.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>

#include "detect/testing/h264_file.h"

namespace vigil::transcode {
namespace {

using namespace std::chrono_literals;

constexpr int kFps = 10;

// A 640x360 H.265 camera's frames, two GOPs of 10.
std::vector<media::SharedFrame> h265Camera() {
  const std::string path = (std::filesystem::temp_directory_path() / "browser_transcodes.hevc").string();
  EXPECT_TRUE(detect::testing::encodeScene("-f lavfi -i testsrc2=size=640x360:rate=10 -t 2", 10, path,
                                           media::VideoCodec::kH265)
                  .isOk());
  auto frames = detect::testing::readH264File(path, kFps, {}, media::VideoCodec::kH265);
  std::filesystem::remove(path);
  EXPECT_TRUE(frames);
  return frames ? *frames : std::vector<media::SharedFrame>{};
}

// Pops `viewer` until it gave `n` items (bounded).
std::vector<media::LiveItem> collect(media::LiveViewer& viewer, size_t n) {
  std::vector<media::LiveItem> got;
  std::vector<media::LiveItem> items;
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (got.size() < n && std::chrono::steady_clock::now() < deadline) {
    EXPECT_TRUE(viewer.pop(items).isOk());
    got.insert(got.end(), items.begin(), items.end());
    std::this_thread::sleep_for(10ms);
  }
  return got;
}

// The frames as an Annex B H.264 file, the parameter sets before each keyframe.
void writeAnnexB(const std::vector<media::LiveItem>& items, const std::string& path) {
  std::ofstream out(path, std::ios::binary);
  const std::array<char, 4> start = {0, 0, 0, 1};
  auto nal = [&](media::ByteView bytes) {
    out.write(start.data(), start.size());
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  };
  for (const media::LiveItem& item : items) {
    const media::Frame& f = *item.frame;
    if (f.keyframe) {
      for (const media::Bytes& sps : f.params->sps) nal(sps);
      for (const media::Bytes& pps : f.params->pps) nal(pps);
    }
    for (size_t at = 0; at + 4 <= f.data.size();) {
      const size_t size = (size_t{f.data[at]} << 24) | (size_t{f.data[at + 1]} << 16) |
                          (size_t{f.data[at + 2]} << 8) | f.data[at + 3];
      nal(media::ByteView(f.data.data() + at + 4, size));
      at += 4 + size;
    }
  }
}

std::string run(const std::string& command) {
  std::string out;
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) return out;
  std::array<char, 256> buffer{};
  while (fgets(buffer.data(), buffer.size(), pipe)) out += buffer.data();
  pclose(pipe);
  return out;
}

void waitUntilIdle(BrowserTranscodes& transcodes) {
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!transcodes.active().empty() && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(10ms);
}

TEST(BrowserTranscodes, H265InH264OutAtTheCappedSizeSharedByItsViewersWhileHeld) {
  const auto frames = h265Camera();
  ASSERT_EQ(frames.size(), 20u);
  media::LiveRegistry live;
  BrowserTranscodes transcodes(live, {.maxConcurrent = 2, .maxWidth = 320});
  auto camera = live.stream("door");
  for (size_t i = 0; i < 10; ++i) camera->publish(frames[i], i == 0);  // cached before anyone looks
  EXPECT_TRUE(transcodes.active().empty());

  auto first = transcodes.hold("door");
  ASSERT_TRUE(first);
  auto second = transcodes.hold("door");
  ASSERT_TRUE(second);
  EXPECT_EQ(first->get(), second->get());  // one transcode for both viewers
  EXPECT_EQ(transcodes.active(), std::vector<std::string>{"door"});

  auto viewer = (*first)->subscribe([] {});
  auto early = collect(*viewer, 10);  // the cached GOP, transcoded
  ASSERT_EQ(early.size(), 10u);
  for (size_t i = 10; i < frames.size(); ++i) camera->publish(frames[i], false);
  auto late = collect(*viewer, 10);
  ASSERT_EQ(late.size(), 10u);
  early.insert(early.end(), late.begin(), late.end());
  EXPECT_TRUE(early.front().frame->keyframe);
  for (size_t i = 0; i < early.size(); ++i) {
    EXPECT_EQ(early[i].frame->pts, frames[i]->pts);
    EXPECT_EQ(early[i].frame->keyframe, frames[i]->keyframe);  // GOPs as the camera's
    EXPECT_EQ(early[i].frame->params->codec, media::VideoCodec::kH264);
    EXPECT_EQ(early[i].frame->params->width, 320);
    EXPECT_EQ(early[i].frame->params->height, 180);
  }

  // What came out decodes in ffmpeg as 20 pictures of 320x180.
  const std::string path = (std::filesystem::temp_directory_path() / "browser_transcodes_out.h264").string();
  writeAnnexB(early, path);
  const std::string probe = run("ffprobe -v error -count_frames -select_streams v:0 -show_entries "
                                "stream=codec_name,width,height,nb_read_frames -of csv=p=0 '" + path + "'");
  std::filesystem::remove(path);
  EXPECT_EQ(probe, "h264,320,180,20\n");

  // Stopped once the last viewer has gone, started again by the next.
  viewer.reset();
  first->reset();
  EXPECT_EQ(transcodes.active(), std::vector<std::string>{"door"});
  second->reset();
  waitUntilIdle(transcodes);
  EXPECT_TRUE(transcodes.active().empty());
  auto again = transcodes.hold("door");
  ASSERT_TRUE(again);
  EXPECT_EQ(transcodes.active(), std::vector<std::string>{"door"});
}

TEST(BrowserTranscodes, AtMostMaxConcurrentCamerasAtOnce) {
  media::LiveRegistry live;
  BrowserTranscodes transcodes(live, {.maxConcurrent = 1, .maxWidth = 320});
  auto door = transcodes.hold("door");
  ASSERT_TRUE(door);
  auto gate = transcodes.hold("gate");
  EXPECT_EQ(gate.status().code(), StatusCode::kResourceExhausted);
  EXPECT_NE(gate.status().message().find("at most 1"), std::string::npos) << gate.status().message();
  EXPECT_TRUE(transcodes.hold("door"));  // a second viewer of the same camera takes no slot
  door->reset();
  waitUntilIdle(transcodes);
  EXPECT_TRUE(transcodes.hold("gate"));  // the slot is free again

  BrowserTranscodes off(live, {.maxConcurrent = 0});
  EXPECT_EQ(off.hold("door").status().code(), StatusCode::kResourceExhausted);
}

}  // namespace
}  // namespace vigil::transcode

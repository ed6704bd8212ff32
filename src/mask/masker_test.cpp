#include "mask/masker.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "detect/decoder.h"
#include "detect/testing/h264_file.h"
#include "mask/masked_recording.h"

namespace vigil::mask {
namespace {

// A neighbour's window: the top right quarter of the picture.
const detect::Polygon kWindow = {{0.5, 0}, {1, 0}, {1, 0.5}, {0.5, 0.5}};

// testsrc2 (colour bars, a moving gradient, a counter), 640x360 at 10 fps,
// a keyframe every 10 frames, as a camera would send it.
std::vector<media::SharedFrame> scene(const std::string& name, const std::string& extra = "") {
  const std::string path = (std::filesystem::temp_directory_path() / (name + ".h264")).string();
  Status s = detect::testing::encodeScene("-f lavfi -i testsrc2=size=640x360:rate=10 -t 3 " + extra, 10, path);
  EXPECT_TRUE(s.isOk()) << s.toString();
  auto frames = detect::testing::readH264File(path, 10);
  EXPECT_TRUE(frames) << frames.status().toString();
  std::filesystem::remove(path);
  return frames ? *frames : std::vector<media::SharedFrame>{};
}

// Luma and chroma of one decoded picture, rows packed.
struct Planes {
  int width = 0;
  int height = 0;
  bool fullRange = false;
  std::vector<uint8_t> y, u, v;
  uint8_t lumaAt(int x, int yy) const { return y[static_cast<size_t>(yy) * width + x]; }
  uint8_t uAt(int x, int yy) const { return u[static_cast<size_t>(yy / 2) * (width / 2) + x / 2]; }
  uint8_t vAt(int x, int yy) const { return v[static_cast<size_t>(yy / 2) * (width / 2) + x / 2]; }
};

// The masked frames decoded again with libavcodec (a decoder that knows
// nothing of vigil's masks).
std::vector<Planes> decodeAll(const std::vector<media::Frame>& frames) {
  std::vector<Planes> out;
  std::optional<detect::VideoDecoder> decoder;
  auto take = [&] {
    while (const AVFrame* p = decoder->receive()) {
      Planes planes;
      planes.width = p->width;
      planes.height = p->height;
      planes.fullRange = p->color_range == AVCOL_RANGE_JPEG || p->format == AV_PIX_FMT_YUVJ420P;
      for (int row = 0; row < p->height; ++row) {
        planes.y.insert(planes.y.end(), p->data[0] + row * p->linesize[0], p->data[0] + row * p->linesize[0] + p->width);
      }
      for (int row = 0; row < p->height / 2; ++row) {
        planes.u.insert(planes.u.end(), p->data[1] + row * p->linesize[1], p->data[1] + row * p->linesize[1] + p->width / 2);
        planes.v.insert(planes.v.end(), p->data[2] + row * p->linesize[2], p->data[2] + row * p->linesize[2] + p->width / 2);
      }
      out.push_back(std::move(planes));
    }
  };
  for (const media::Frame& f : frames) {
    if (!decoder) {
      auto opened = detect::VideoDecoder::open(*f.params);
      EXPECT_TRUE(opened) << opened.status().toString();
      if (!opened) return out;
      decoder.emplace(std::move(*opened));
    }
    EXPECT_TRUE(decoder->send(f, true).isOk());
    take();
  }
  if (decoder) {
    decoder->flush();
    take();
  }
  return out;
}

std::vector<media::Frame> maskAll(const std::vector<media::SharedFrame>& in, std::vector<detect::Polygon> masks) {
  VideoMasker masker(std::move(masks));
  std::vector<media::Frame> out;
  for (const auto& f : in) {
    Status s = masker.push(*f, out);
    EXPECT_TRUE(s.isOk()) << s.toString();
  }
  return out;
}

// Inside the window: black, exactly (within 2 levels) a macroblock (16
// pixels) in from its edges, and within 12 levels nearer them, where the
// encoder's blocks straddle the edge and ring; outside it: the scene.
void expectWindowBlack(const Planes& p, uint8_t black) {
  int inside = 0;
  int notBlack = 0;
  int outside = 0;
  int bright = 0;
  auto off = [&](int x, int y) {
    return std::max({std::abs(p.lumaAt(x, y) - black), std::abs(p.uAt(x, y) - 128), std::abs(p.vAt(x, y) - 128)});
  };
  for (int y = 0; y < p.height; ++y) {
    for (int x = 0; x < p.width; ++x) {
      if (x >= p.width / 2 && y < p.height / 2) {
        ++inside;
        const bool deep = x >= p.width / 2 + 16 && y < p.height / 2 - 16;
        if (off(x, y) > (deep ? 2 : 12)) ++notBlack;
      } else if (x < p.width / 2 - 16 || y >= p.height / 2 + 16) {
        ++outside;
        if (p.lumaAt(x, y) > black + 30) ++bright;
      }
    }
  }
  EXPECT_EQ(notBlack, 0) << "of " << inside << " pixels inside the mask";
  EXPECT_GT(bright, outside / 2) << "the scene outside the mask is gone";
}

TEST(VideoMasker, PixelsInsideTheMaskAreBlackAndTheRestIsTheScene) {
  const auto in = scene("mask_scene");
  ASSERT_EQ(in.size(), 30u);
  const auto out = maskAll(in, {kWindow});
  ASSERT_EQ(out.size(), in.size());  // one frame out per frame in
  const auto pictures = decodeAll(out);
  ASSERT_EQ(pictures.size(), in.size());
  for (const Planes& p : pictures) {
    ASSERT_EQ(p.width, 640);
    ASSERT_EQ(p.height, 360);
    EXPECT_FALSE(p.fullRange);
    expectWindowBlack(p, 16);
  }
  // The same scene unmasked is not black there (the test would see a leak).
  const auto plain = decodeAll(maskAll(in, {}));
  ASSERT_FALSE(plain.empty());
  int lit = 0;
  for (int y = 0; y < 180; ++y) {
    for (int x = 320; x < 640; ++x) lit += plain[0].lumaAt(x, y) > 40;
  }
  EXPECT_GT(lit, 320 * 180 / 2);
}

TEST(VideoMasker, GopsLineUpWithTheCamerasAndTimesAreKept) {
  const auto in = scene("mask_gops");
  const auto out = maskAll(in, {kWindow});
  ASSERT_EQ(out.size(), in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    EXPECT_EQ(out[i].keyframe, in[i]->keyframe) << "frame " << i;
    EXPECT_EQ(out[i].pts, in[i]->pts);
    EXPECT_EQ(out[i].captureTime, in[i]->captureTime);
    ASSERT_TRUE(out[i].params);
    EXPECT_EQ(out[i].params->codec, media::VideoCodec::kH264);
    EXPECT_EQ(out[i].params->width, 640);
    EXPECT_EQ(out[i].params->height, 360);
  }
}

TEST(VideoMasker, NothingComesOutBeforeAKeyframe) {
  const auto in = scene("mask_start");
  VideoMasker masker({kWindow});
  std::vector<media::Frame> out;
  // Joined mid-GOP: frames 5..9 are dropped, the output starts at frame 10.
  for (size_t i = 5; i < in.size(); ++i) ASSERT_TRUE(masker.push(*in[i], out).isOk());
  ASSERT_EQ(out.size(), in.size() - 10);
  EXPECT_TRUE(out.front().keyframe);
  EXPECT_EQ(out.front().pts, in[10]->pts);
}

TEST(VideoMasker, AFullRangePictureIsMaskedWithZero) {
  const auto in = scene("mask_full", "-vf scale=out_range=full -color_range pc");
  const auto out = maskAll(in, {kWindow});
  ASSERT_EQ(out.size(), in.size());
  const auto pictures = decodeAll(out);
  ASSERT_FALSE(pictures.empty());
  for (const Planes& p : pictures) {
    EXPECT_TRUE(p.fullRange);
    expectWindowBlack(p, 0);
  }
}

// A recorded run of the scene's frames [first, last), as a sample file holds it.
storage::SampleRun recordedRun(const std::vector<media::SharedFrame>& in, size_t first, size_t last) {
  storage::SampleRun run;
  run.params = in[first]->params;
  for (size_t i = first; i < last; ++i) {
    run.samples.push_back({9000, static_cast<uint32_t>(in[i]->data.size()), in[i]->keyframe});
    run.data.insert(run.data.end(), in[i]->data.begin(), in[i]->data.end());
  }
  return run;
}

TEST(MaskingTransform, ARecordedRunComesOutMaskedWithItsTimesAndEveryPicture) {
  const auto in = scene("mask_recorded");
  const storage::SampleTransform transform = maskingTransform({kWindow});
  // Each GOP on its own, as playback fragments are.
  for (size_t first = 0; first < in.size(); first += 10) {
    auto masked = transform(recordedRun(in, first, first + 10));
    ASSERT_TRUE(masked) << masked.status().toString();
    // Every picture, the decoder's last ones too (finish()), each as long as before.
    ASSERT_EQ(masked->samples.size(), 10u);
    EXPECT_TRUE(masked->samples.front().keyframe);
    size_t bytes = 0;
    std::vector<media::Frame> frames;
    for (const storage::SampleInfo& s : masked->samples) {
      EXPECT_EQ(s.duration, 9000);
      media::Frame f;
      f.keyframe = s.keyframe;
      f.params = masked->params;
      f.data.assign(masked->data.begin() + static_cast<ptrdiff_t>(bytes),
                    masked->data.begin() + static_cast<ptrdiff_t>(bytes + s.bytes));
      bytes += s.bytes;
      frames.push_back(std::move(f));
    }
    EXPECT_EQ(bytes, masked->data.size());
    ASSERT_EQ(masked->params->codec, media::VideoCodec::kH264);
    const auto pictures = decodeAll(frames);
    ASSERT_EQ(pictures.size(), 10u);
    for (const Planes& p : pictures) expectWindowBlack(p, 16);
  }
}

TEST(MaskingTransform, APictureLostKeepsTheRunsDuration) {
  const auto in = scene("mask_recorded_loss");
  storage::SampleRun run = recordedRun(in, 0, 10);
  // The fifth picture torn: it and those that refer to it may not decode.
  const size_t at = run.samples[0].bytes + run.samples[1].bytes + run.samples[2].bytes + run.samples[3].bytes;
  std::fill(run.data.begin() + static_cast<ptrdiff_t>(at) + 4,
            run.data.begin() + static_cast<ptrdiff_t>(at + run.samples[4].bytes), 0xff);
  auto masked = maskingTransform({kWindow})(run);
  ASSERT_TRUE(masked) << masked.status().toString();
  int64_t total = 0;
  for (const storage::SampleInfo& s : masked->samples) total += s.duration;
  EXPECT_EQ(total, 90000);
  EXPECT_TRUE(masked->samples.front().keyframe);
}

}  // namespace
}  // namespace vigil::mask

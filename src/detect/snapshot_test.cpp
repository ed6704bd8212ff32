#include "detect/snapshot.h"

#include "detect/libav.h"

#include <gtest/gtest.h>

extern "C" {
#include <libavcodec/avcodec.h>
}

namespace vigil::detect {
namespace {

struct Encoded {
  media::VideoParameters params;
  media::Bytes keyframe;  // length-prefixed, parameter sets left out
};

// One 320x240 picture through libx264 or libx265 (real encoders, so the
// decoder sees what a camera sends).
Encoded encodeOne(media::VideoCodec codec) {
  const AVCodec* c = avcodec_find_encoder_by_name(codec == media::VideoCodec::kH264 ? "libx264" : "libx265");
  EXPECT_NE(c, nullptr);
  AVCodecContext* ctx = avcodec_alloc_context3(c);
  ctx->width = 320;
  ctx->height = 240;
  ctx->pix_fmt = AV_PIX_FMT_YUV420P;
  ctx->time_base = {1, 25};
  EXPECT_EQ(avcodec_open2(ctx, c, nullptr), 0);
  AVFrame* f = av_frame_alloc();
  f->format = ctx->pix_fmt;
  f->width = ctx->width;
  f->height = ctx->height;
  EXPECT_EQ(av_frame_get_buffer(f, 0), 0);
  for (int y = 0; y < f->height; ++y) {
    for (int x = 0; x < f->width; ++x) f->data[0][y * f->linesize[0] + x] = static_cast<uint8_t>(x + y);
  }
  for (int p = 1; p < 3; ++p) {
    for (int y = 0; y < f->height / 2; ++y) std::fill_n(f->data[p] + y * f->linesize[p], f->width / 2, 128);
  }
  f->pts = 0;
  f->pict_type = AV_PICTURE_TYPE_I;
  EXPECT_EQ(avcodec_send_frame(ctx, f), 0);
  EXPECT_EQ(avcodec_send_frame(ctx, nullptr), 0);
  AVPacket* pkt = av_packet_alloc();
  EXPECT_EQ(avcodec_receive_packet(ctx, pkt), 0);
  Encoded out;
  out.params.codec = codec;
  out.params.width = 320;
  out.params.height = 240;
  for (media::ByteView nal : media::splitAnnexB({pkt->data, static_cast<size_t>(pkt->size)})) {
    const uint8_t type = media::nalType(codec, nal[0]);
    media::Bytes bytes(nal.begin(), nal.end());
    if (codec == media::VideoCodec::kH265 && type == media::h265::kVps) out.params.vps.push_back(bytes);
    else if (type == (codec == media::VideoCodec::kH264 ? media::h264::kSps : media::h265::kSps)) out.params.sps.push_back(bytes);
    else if (type == (codec == media::VideoCodec::kH264 ? media::h264::kPps : media::h265::kPps)) out.params.pps.push_back(bytes);
    else media::appendLengthPrefixed(out.keyframe, nal);
  }
  av_packet_free(&pkt);
  av_frame_free(&f);
  avcodec_free_context(&ctx);
  return out;
}

// The size a JPEG's SOF0 marker declares.
std::pair<int, int> jpegSize(const std::string& jpeg) {
  for (size_t i = 2; i + 8 < jpeg.size(); ++i) {
    if (static_cast<uint8_t>(jpeg[i]) == 0xff && static_cast<uint8_t>(jpeg[i + 1]) == 0xc0) {
      auto at = [&](size_t k) { return static_cast<uint8_t>(jpeg[k]); };
      return {at(i + 7) << 8 | at(i + 8), at(i + 5) << 8 | at(i + 6)};
    }
  }
  return {0, 0};
}

class SnapshotTest : public ::testing::TestWithParam<media::VideoCodec> {};

TEST_P(SnapshotTest, DecodesAKeyframeToAJpegOfItsSize) {
  Encoded e = encodeOne(GetParam());
  auto jpeg = keyframeToJpeg(e.params, e.keyframe);
  ASSERT_TRUE(jpeg.isOk()) << jpeg.status().toString();
  ASSERT_GT(jpeg->size(), 4u);
  EXPECT_EQ(static_cast<uint8_t>((*jpeg)[0]), 0xff);
  EXPECT_EQ(static_cast<uint8_t>((*jpeg)[1]), 0xd8);  // SOI
  EXPECT_EQ(jpegSize(*jpeg), std::make_pair(320, 240));
}

TEST_P(SnapshotTest, ScalesDownKeepingTheAspect) {
  Encoded e = encodeOne(GetParam());
  auto jpeg = keyframeToJpeg(e.params, e.keyframe, 160);
  ASSERT_TRUE(jpeg.isOk()) << jpeg.status().toString();
  EXPECT_EQ(jpegSize(*jpeg), std::make_pair(160, 120));
}

INSTANTIATE_TEST_SUITE_P(Codecs, SnapshotTest, ::testing::Values(media::VideoCodec::kH264, media::VideoCodec::kH265));

TEST(Snapshot, GarbageIsAnErrorNotACrash) {
  Encoded e = encodeOne(media::VideoCodec::kH264);
  media::Bytes garbage;
  media::appendLengthPrefixed(garbage, media::Bytes{0x65, 0xff, 0x00, 0x13, 0x37});
  auto jpeg = keyframeToJpeg(e.params, garbage);
  EXPECT_FALSE(jpeg.isOk());
  EXPECT_EQ(jpeg.status().code(), StatusCode::kInvalidArgument);
}

// An event's snapshot: the box drawn in green on the picture, the rest untouched.
TEST(Snapshot, DrawsTheEventBoxOnThePicture) {
  BgrImage gray{320, 240, std::vector<uint8_t>(320 * 240 * 3, 128)};
  auto jpeg = boxedPictureToJpeg(gray, Box{100, 50, 80, 120});
  ASSERT_TRUE(jpeg.isOk()) << jpeg.status().toString();
  EXPECT_EQ(jpegSize(*jpeg), std::make_pair(320, 240));
  // Decoded back (libavcodec's MJPEG decoder): chroma at the box's left edge is green's, the middle gray's.
  const AVCodec* codec = avcodec_find_decoder(AV_CODEC_ID_MJPEG);
  AvCodecContextPtr ctx(avcodec_alloc_context3(codec));
  ASSERT_EQ(avcodec_open2(ctx.get(), codec, nullptr), 0);
  AvPacketPtr packet(av_packet_alloc());
  std::string data = *jpeg + std::string(AV_INPUT_BUFFER_PADDING_SIZE, '\0');
  packet->data = reinterpret_cast<uint8_t*>(data.data());
  packet->size = static_cast<int>(jpeg->size());
  ASSERT_EQ(avcodec_send_packet(ctx.get(), packet.get()), 0);
  AvFramePtr picture(av_frame_alloc());
  ASSERT_EQ(avcodec_receive_frame(ctx.get(), picture.get()), 0);
  auto u = [&](int x, int y) { return picture->data[1][(y / 2) * picture->linesize[1] + x / 2]; };
  EXPECT_LT(u(100, 110), 90);   // green: U about 44
  EXPECT_NEAR(u(140, 110), 128, 6);
  EXPECT_NEAR(u(20, 20), 128, 6);
  EXPECT_FALSE(boxedPictureToJpeg(BgrImage{320, 240, {}}, Box{}).isOk());
}

}  // namespace
}  // namespace vigil::detect

#include "app/testcam.h"

#include <gtest/gtest.h>

#include <fmt/format.h>

#include <future>

#include <boost/asio/post.hpp>

#include "app/test_scene.h"
#include "app/test_tone.h"
#include "base/event_loops.h"
#include "detect/libav.h"
#include "media/send_time_sei.h"
#include "rtsp/client.h"

extern "C" {
#include <libavcodec/avcodec.h>
}

namespace vigil::app {
namespace {

TestcamOptions small(media::VideoCodec codec) {
  TestcamOptions o;
  o.codec = codec;
  o.width = 320;
  o.height = 240;
  o.fps = 10;
  o.gop = 10;
  o.loopSeconds = 2;
  o.bitrateKbps = 500;
  return o;
}

TEST(Testcam, EncodesALoopOfWholeGopsAtTheBitrate) {
  for (auto codec : {media::VideoCodec::kH264, media::VideoCodec::kH265}) {
    auto stream = encodeTestStream(small(codec), 0);
    ASSERT_TRUE(stream.isOk()) << stream.status().toString();
    const auto& units = (*stream)->units;
    ASSERT_EQ(units.size(), 20u);
    size_t bytes = 0, keyframes = 0;
    uint64_t ticks = 0;
    for (size_t i = 0; i < units.size(); ++i) {
      EXPECT_EQ(units[i]->keyframe, i % 10 == 0) << i;
      keyframes += units[i]->keyframe;
      bytes += units[i]->data.size();
      ticks += units[i]->duration;
    }
    EXPECT_EQ(keyframes, 2u);
    EXPECT_EQ(ticks, 2u * 90000);
    // 500 kbit/s for 2 s is 125000 bytes; filler brings it within a few %.
    EXPECT_GT(bytes, 115000u);
    EXPECT_LT(bytes, 140000u);
    EXPECT_NE((*stream)->fmtp.find(codec == media::VideoCodec::kH264 ? "sprop-parameter-sets=Z" : "sprop-vps=QAEM"),
              std::string::npos)
        << (*stream)->fmtp;
  }
}

// Two streams of a one-second loop: enough for the catalog's paths.
TestcamOptions twoStreams() {
  auto o = small(media::VideoCodec::kH264);
  o.streams = 2;
  o.loopSeconds = 1;
  return o;
}

TEST(Testcam, CatalogServesCamPaths) {
  auto o = twoStreams();
  auto catalog = buildTestcamCatalog(o);
  ASSERT_TRUE(catalog.isOk());
  EXPECT_NE((*catalog)->find("/cam/0"), nullptr);
  EXPECT_NE((*catalog)->find("/cam/1"), nullptr);
  EXPECT_NE((*catalog)->find("/cam/0"), (*catalog)->find("/cam/1"));
  for (const char* bad : {"/cam/2", "/cam/", "/cam/01", "/cam/-1", "/cam/1x", "/x/0", "", "/cam/2/sub", "/cam/sub",
                          "/cam/0/sub/", "/cam/0sub"}) {
    EXPECT_EQ((*catalog)->find(bad), nullptr) << bad;
  }
}

// Keyframe and audio frames as an RTSP client delivers them.
class AvRecorder : public rtsp::RtspClientObserver {
 public:
  void onPlaying(const rtsp::PlayingStream& s) override {
    std::lock_guard lock(mutex_);
    audio_ = s.audio;
  }
  void onFrame(media::Frame frame, bool) override {
    std::lock_guard lock(mutex_);
    if (frame.keyframe) keyframes_.push_back(frame.pts);
    lastVideo_ = frame.pts;
  }
  void onAudio(media::Frame frame, bool) override {
    std::lock_guard lock(mutex_);
    audioFrames_.push_back(std::move(frame));
    cv_.notify_all();
  }
  void onStopped(const Status&) override {}
  bool waitAudio(size_t n) {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, std::chrono::seconds(20), [&] { return audioFrames_.size() >= n; });
  }

  std::mutex mutex_;
  std::condition_variable cv_;
  std::shared_ptr<const media::AudioParameters> audio_;
  std::vector<MediaTime> keyframes_;
  MediaTime lastVideo_;
  std::vector<media::Frame> audioFrames_;
};

// The pts (on the video clock) of each beep's first loud sample, decoding
// the frames with libavcodec as a player would.
std::vector<MediaTime> beepOnsets(const media::AudioParameters& params, const std::vector<media::Frame>& frames) {
  const AVCodec* codec = avcodec_find_decoder(params.codec == media::AudioCodec::kAac    ? AV_CODEC_ID_AAC
                                              : params.codec == media::AudioCodec::kPcma ? AV_CODEC_ID_PCM_ALAW
                                                                                         : AV_CODEC_ID_PCM_MULAW);
  detect::AvCodecContextPtr ctx(avcodec_alloc_context3(codec));
  ctx->sample_rate = params.sampleRate;
  av_channel_layout_default(&ctx->ch_layout, params.channels);
  if (!params.config.empty()) {
    ctx->extradata = static_cast<uint8_t*>(av_mallocz(params.config.size() + AV_INPUT_BUFFER_PADDING_SIZE));
    std::copy(params.config.begin(), params.config.end(), ctx->extradata);
    ctx->extradata_size = static_cast<int>(params.config.size());
  }
  EXPECT_EQ(avcodec_open2(ctx.get(), codec, nullptr), 0);
  detect::AvPacketPtr packet(av_packet_alloc());
  detect::AvFramePtr decoded(av_frame_alloc());
  std::vector<MediaTime> onsets;
  std::optional<MediaTime> lastLoud;
  for (const media::Frame& f : frames) {
    av_new_packet(packet.get(), static_cast<int>(f.data.size()));
    std::copy(f.data.begin(), f.data.end(), packet->data);
    EXPECT_EQ(avcodec_send_packet(ctx.get(), packet.get()), 0);
    av_packet_unref(packet.get());
    while (avcodec_receive_frame(ctx.get(), decoded.get()) == 0) {
      for (int i = 0; i < decoded->nb_samples; ++i) {
        const double v = decoded->format == AV_SAMPLE_FMT_FLTP
                             ? reinterpret_cast<const float*>(decoded->data[0])[i]
                             : reinterpret_cast<const int16_t*>(decoded->data[0])[i] / 32768.0;
        if (std::abs(v) < 0.2) continue;
        const MediaTime at = f.pts + MediaDuration(int64_t{i} * 90000 / params.sampleRate);
        // A beep starts after more than half a second of quiet. Not in the
        // first two frames: AAC's first frame decodes without the one
        // before it to overlap with, so its sound is not whole.
        const bool settled = (at - frames.front().pts).ticks() > 2 * 1024 * 90000 / params.sampleRate;
        if ((!lastLoud || (at - *lastLoud).ticks() > 45000) && settled) onsets.push_back(at);
        lastLoud = at;
      }
      av_frame_unref(decoded.get());
    }
  }
  return onsets;
}

// testcam's beeps come with its keyframes (--gop = fps): through vigil's
// RTSP server and client, each beep's pts on the video clock is a
// keyframe's, give or take a few ms (AAC's decoder delay is the encoder's
// padding, which testcam's pts take out); with --audio-offset-ms 300 it
// is 300 ms after one. (design/DECISIONS.md 87; ingest invariant in
// design/ARCHITECTURE.md "Audio".)
TEST(Testcam, AudioArrivesOnTheVideoClockInSync) {
  for (auto [codec, offsetMs] : {std::pair{media::AudioCodec::kAac, 0}, std::pair{media::AudioCodec::kPcma, 0},
                                 std::pair{media::AudioCodec::kAac, 300}}) {
    SCOPED_TRACE(fmt::format("{} offset {}", media::audioCodecName(codec), offsetMs));
    auto o = small(media::VideoCodec::kH264);
    o.audio = codec;
    o.audioOffsetMs = offsetMs;
    auto catalog = buildTestcamCatalog(o);
    ASSERT_TRUE(catalog.isOk()) << catalog.status().toString();
    EventLoopPool loops(2);
    rtsp::RtspServer server(loops, *catalog);
    ASSERT_TRUE(server.listen({"127.0.0.1", 0}).isOk());
    loops.start();
    AvRecorder recorder;
    std::unique_ptr<rtsp::RtspClient> client;
    auto onLoop = [&](auto f) {
      std::promise<void> done;
      boost::asio::post(loops.loop(1), [&] {
        f();
        done.set_value();
      });
      done.get_future().wait();
    };
    onLoop([&] {
      client = std::make_unique<rtsp::RtspClient>(
          loops.loop(1), rtsp::RtspClientOptions{.url = fmt::format("rtsp://127.0.0.1:{}/cam/0", server.port())},
          &recorder);
      client->start();
    });
    // 2.2 s of audio: two or three beeps (G.711 in chunks of 100 ms, DECISIONS 93).
    const size_t frames = codec == media::AudioCodec::kAac ? 35 : 22;
    const bool arrived = recorder.waitAudio(frames);
    onLoop([&] { client->stop(); });
    server.stop();
    loops.stop();
    loops.join();
    ASSERT_TRUE(arrived);
    std::lock_guard lock(recorder.mutex_);
    ASSERT_TRUE(recorder.audio_);
    EXPECT_EQ(recorder.audio_->codec, codec);
    for (size_t i = 1; i < recorder.audioFrames_.size(); ++i) {
      EXPECT_GT(recorder.audioFrames_[i].pts, recorder.audioFrames_[i - 1].pts);
    }
    if (codec != media::AudioCodec::kAac) {
      // G.711 comes in chunks of up to 100 ms of the 20 ms packets (most of
      // them whole: a timing step may cut one short), each following on
      // from the one before (ARCHITECTURE.md "Audio" 8).
      const auto& f = recorder.audioFrames_;
      size_t whole = 0;
      for (size_t i = 0; i + 1 < f.size(); ++i) {
        EXPECT_LE(f[i].data.size(), 800u) << "chunk " << i;
        whole += f[i].data.size() == 800u;
        EXPECT_NEAR(static_cast<double>((f[i + 1].pts - f[i].pts).ticks()), static_cast<double>(f[i].data.size()) * 90000 / 8000,
                    900.0) << "chunk " << i;
      }
      EXPECT_GE(2 * whole, f.size()) << "G.711 in chunks";
    }
    const auto onsets = beepOnsets(*recorder.audio_, recorder.audioFrames_);
    ASSERT_GE(onsets.size(), 2u);
    for (MediaTime onset : onsets) {
      int64_t nearest = INT64_MAX;
      for (MediaTime k : recorder.keyframes_) {
        const int64_t d = (onset - k).ticks() - int64_t{offsetMs} * 90;
        if (std::abs(d) < std::abs(nearest)) nearest = d;
      }
      // 20 ms: a G.711 packet; the 100 ms of the brief is far looser.
      EXPECT_LT(std::abs(nearest), 20 * 90) << "beep at " << onset.ticks();
    }
  }
}

// ARCHITECTURE.md "Sub streams" 5: each stream's sub stream at half the
// width and height (a quarter of the pixels and of the bitrate), or the
// size asked; none when off.
TEST(Testcam, CatalogServesSubStreamsAtASmallerSize) {
  auto o = twoStreams();
  auto catalog = buildTestcamCatalog(o);
  ASSERT_TRUE(catalog.isOk());
  for (const char* path : {"/cam/0/sub", "/cam/1/sub"}) {
    auto sub = (*catalog)->find(path);
    ASSERT_NE(sub, nullptr) << path;
    EXPECT_EQ(sub->width, o.width / 2);
    EXPECT_EQ(sub->height, o.height / 2);
  }
  EXPECT_NE((*catalog)->find("/cam/0/sub"), (*catalog)->find("/cam/1/sub"));
  EXPECT_EQ(subStreamOptions(o).bitrateKbps, o.bitrateKbps / 4);
  o.subWidth = 96;
  o.subHeight = 64;
  EXPECT_EQ(subStreamOptions(o).width, 96);
  o.subWidth = 97;  // odd
  EXPECT_FALSE(validateTestcamOptions(o).isOk());
  o.subStreams = false;
  catalog = buildTestcamCatalog(o);
  ASSERT_TRUE(catalog.isOk());
  EXPECT_NE((*catalog)->find("/cam/0"), nullptr);
  EXPECT_EQ((*catalog)->find("/cam/0/sub"), nullptr);
}

// vigil demo's catalog: streams unlike each other, each with its own sub stream.
TEST(Testcam, CatalogOfUnlikeStreams) {
  auto tone = encodeTestTone(media::AudioCodec::kAac);
  ASSERT_TRUE(tone.isOk());
  TestcamOptions h264Sub = subStreamOptions(small(media::VideoCodec::kH264));
  std::vector<TestcamStreamSpec> specs = {
      {.options = small(media::VideoCodec::kH264), .index = 0, .audio = *tone, .sub = h264Sub},
      {.options = small(media::VideoCodec::kH265), .index = 1, .sub = h264Sub},
  };
  auto catalog = buildTestcamCatalog(specs);
  ASSERT_TRUE(catalog.isOk()) << catalog.status().message();
  EXPECT_NE((*catalog)->find("/cam/0")->audio, nullptr);
  EXPECT_EQ((*catalog)->find("/cam/1")->audio, nullptr);
  EXPECT_EQ((*catalog)->find("/cam/1")->codec, media::VideoCodec::kH265);
  EXPECT_EQ((*catalog)->find("/cam/1/sub")->codec, media::VideoCodec::kH264);
  EXPECT_EQ((*catalog)->find("/cam/1/sub")->width, 160);
  EXPECT_EQ((*catalog)->find("/cam/2"), nullptr);
  specs[1].sub.reset();  // sub streams for every stream or none
  EXPECT_FALSE(buildTestcamCatalog(specs).isOk());
}

TEST(Testcam, RejectsBadOptions) {
  auto o = small(media::VideoCodec::kH264);
  o.width = 321;
  EXPECT_FALSE(validateTestcamOptions(o).isOk());
  o = small(media::VideoCodec::kH264);
  o.streams = 0;
  EXPECT_EQ(validateTestcamOptions(o).message(), "--streams must be between 1 and 10000 (got 0)");
}

// The spread of luma in the frame's middle: flat background, or a photo.
double middleSpread(const std::vector<uint8_t>& y, int width, int height) {
  int lo = 255, hi = 0;
  for (int row = height * 2 / 5; row < height * 3 / 5; ++row) {
    for (int col = width * 2 / 5; col < width * 3 / 5; ++col) {
      lo = std::min<int>(lo, y[static_cast<size_t>(row) * width + col]);
      hi = std::max<int>(hi, y[static_cast<size_t>(row) * width + col]);
    }
  }
  return hi - lo;
}

TEST(Testcam, ASceneSlidesInStaysInTheMiddleAndLeaves) {
  auto scene = loadTestScene(std::string(VIGIL_SCENES_DIR) + "/person.jpg", 640, 360);
  ASSERT_TRUE(scene.isOk()) << scene.status().toString();
  EXPECT_TRUE(scene->height <= 270 && scene->width <= 320) << scene->width << "x" << scene->height;  // fits
  std::vector<uint8_t> y(640 * 360), u(320 * 180), v(320 * 180);
  const YuvImage image{640, 360, y, u, v, 640, 320};
  const auto spreadAt = [&](int64_t frame) {
    drawTestScene(image, *scene, frame, 100);
    return middleSpread(y, 640, 360);
  };
  EXPECT_LT(spreadAt(10), 20);   // the background alone
  EXPECT_GT(spreadAt(60), 100);  // the photo, still in the middle
  EXPECT_LT(spreadAt(99), 20);   // gone out to the right
  EXPECT_EQ(loadTestScene("/nonexistent.jpg", 640, 360).status().code(), StatusCode::kInvalidArgument);
  TestcamOptions o = small(media::VideoCodec::kH264);
  o.scenes = {"a.jpg", "b.jpg"};
  EXPECT_FALSE(validateTestcamOptions(o).isOk());  // more scenes than streams
}

}  // namespace
}  // namespace vigil::app

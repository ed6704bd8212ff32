#include "app/testcam.h"

#include <fmt/format.h>

#include <atomic>
#include <charconv>
#include <mutex>
#include <optional>
#include <thread>

#include "app/test_pattern.h"
#include "app/test_scene.h"
#include "app/test_tone.h"
#include "base/encoding.h"
#include "base/log.h"
#include "detect/libav.h"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavutil/imgutils.h>
#include <libavutil/log.h>
#include <libavutil/opt.h>
}

namespace vigil::app {
namespace {

using media::Bytes;
using media::VideoCodec;

int gopOf(const TestcamOptions& o) { return o.gop > 0 ? o.gop : 2 * o.fps; }

// One encoded access unit: its NAL units without start codes.
using AccessUnit = std::vector<Bytes>;

Result<std::vector<AccessUnit>> encodeFrames(const TestcamOptions& o, int streamIndex) {
  av_log_set_level(AV_LOG_ERROR);  // the encoders' statistics are noise here
  const int gop = gopOf(o);
  const int gops = std::max(1, (o.loopSeconds * o.fps + gop - 1) / gop);
  const int frameCount = gops * gop;

  const bool h264 = o.codec == VideoCodec::kH264;
  const AVCodec* codec = avcodec_find_encoder_by_name(h264 ? "libx264" : "libx265");
  if (codec == nullptr) {
    return Status::unimplemented(fmt::format("this libavcodec has no {} encoder", h264 ? "libx264" : "libx265"));
  }
  detect::AvCodecContextPtr ctx(avcodec_alloc_context3(codec));
  ctx->width = o.width;
  ctx->height = o.height;
  ctx->time_base = AVRational{1, o.fps};
  ctx->framerate = AVRational{o.fps, 1};
  ctx->pix_fmt = AV_PIX_FMT_YUV420P;
  ctx->gop_size = gop;
  ctx->max_b_frames = 0;  // cameras send no B-frames
  ctx->bit_rate = int64_t{o.bitrateKbps} * 1000;
  ctx->thread_count = 1;  // streams are encoded in parallel instead
  av_opt_set(ctx->priv_data, "preset", h264 ? "superfast" : "ultrafast", 0);
  av_opt_set(ctx->priv_data, "tune", "zerolatency", 0);
  // Every GOP starts with an IDR that carries its parameter sets in-band,
  // exactly gop frames apart, so the loop can restart at any GOP.
  const std::string params =
      h264 ? fmt::format("keyint={0}:min-keyint={0}:scenecut=0:repeat-headers=1", gop)
           : fmt::format("keyint={0}:min-keyint={0}:scenecut=0:bframes=0:open-gop=0:repeat-headers=1:"
                         "info=0:log-level=error",
                         gop);
  av_opt_set(ctx->priv_data, h264 ? "x264-params" : "x265-params", params.c_str(), 0);
  if (int err = avcodec_open2(ctx.get(), codec, nullptr); err < 0) {
    return Status::internal(fmt::format("cannot open encoder: {}", detect::avErrorText(err)));
  }

  detect::AvFramePtr frame(av_frame_alloc());
  frame->format = AV_PIX_FMT_YUV420P;
  frame->width = o.width;
  frame->height = o.height;
  if (int err = av_frame_get_buffer(frame.get(), 0); err < 0) {
    return Status::internal(fmt::format("cannot allocate a frame: {}", detect::avErrorText(err)));
  }
  detect::AvPacketPtr packet(av_packet_alloc());
  std::vector<AccessUnit> units;
  units.reserve(static_cast<size_t>(frameCount));

  auto drain = [&]() -> Status {
    while (true) {
      const int err = avcodec_receive_packet(ctx.get(), packet.get());
      if (err == AVERROR(EAGAIN) || err == AVERROR_EOF) return Status::ok();
      if (err < 0) return Status::internal(fmt::format("encoder failed: {}", detect::avErrorText(err)));
      AccessUnit unit;
      for (media::ByteView nal : media::splitAnnexB(media::ByteView(packet->data, static_cast<size_t>(packet->size)))) {
        const uint8_t type = media::nalType(o.codec, nal[0]);
        // Drop the encoder's own SEI (x264 writes its settings there): the
        // only SEI in a testcam stream is the per-send send-time SEI.
        const bool sei = h264 ? type == media::h264::kSei
                              : (type == media::h265::kPrefixSei || type == media::h265::kSuffixSei);
        if (!sei) unit.emplace_back(nal.begin(), nal.end());
      }
      av_packet_unref(packet.get());
      if (!unit.empty()) units.push_back(std::move(unit));
    }
  };

  std::optional<TestScene> scene;
  if (static_cast<size_t>(streamIndex) < o.scenes.size() && !o.scenes[streamIndex].empty()) {
    auto loaded = loadTestScene(o.scenes[streamIndex], o.width, o.height);
    if (!loaded) return loaded.status();
    scene = std::move(*loaded);
  }
  for (int i = 0; i < frameCount; ++i) {
    if (int err = av_frame_make_writable(frame.get()); err < 0) {
      return Status::internal(fmt::format("frame not writable: {}", detect::avErrorText(err)));
    }
    const YuvImage image{
        o.width, o.height,
        std::span<uint8_t>(frame->data[0], static_cast<size_t>(frame->linesize[0] * o.height)),
        std::span<uint8_t>(frame->data[1], static_cast<size_t>(frame->linesize[1] * o.height / 2)),
        std::span<uint8_t>(frame->data[2], static_cast<size_t>(frame->linesize[2] * o.height / 2)),
        frame->linesize[0], frame->linesize[1]};
    if (scene) {
      drawTestScene(image, *scene, i, frameCount);
    } else {
      drawTestPattern(image, streamIndex, i, o.fps);
    }
    frame->pts = i;
    frame->pict_type = (i % gop == 0) ? AV_PICTURE_TYPE_I : AV_PICTURE_TYPE_NONE;
    if (int err = avcodec_send_frame(ctx.get(), frame.get()); err < 0) {
      return Status::internal(fmt::format("encoder refused a frame: {}", detect::avErrorText(err)));
    }
    VIGIL_RETURN_IF_ERROR(drain());
  }
  avcodec_send_frame(ctx.get(), nullptr);
  VIGIL_RETURN_IF_ERROR(drain());
  if (units.size() != static_cast<size_t>(frameCount)) {
    return Status::internal(fmt::format("encoder returned {} of {} frames", units.size(), frameCount));
  }
  return units;
}

// Appends filler data NAL units so the loop averages the requested bitrate
// (a synthetic picture compresses far below what a real camera sends).
// Filler goes last in each access unit, after the VCL NAL units, as both
// standards require.
void padToBitrate(std::vector<AccessUnit>& units, const TestcamOptions& o) {
  size_t actual = 0;
  for (const AccessUnit& u : units) {
    for (const Bytes& nal : u) actual += nal.size() + 4;
  }
  const double seconds = static_cast<double>(units.size()) / o.fps;
  const auto target = static_cast<size_t>(seconds * o.bitrateKbps * 1000 / 8);
  if (actual >= target) return;
  const size_t perFrame = (target - actual) / units.size();
  const size_t header = media::nalHeaderSize(o.codec);
  if (perFrame < header + 8) return;
  Bytes filler(perFrame - 4, 0xff);
  if (o.codec == VideoCodec::kH264) {
    filler[0] = media::h264::kFiller;
  } else {
    filler[0] = static_cast<uint8_t>(media::h265::kFiller << 1);
    filler[1] = 1;
  }
  filler.back() = 0x80;  // rbsp_trailing_bits
  for (AccessUnit& u : units) u.push_back(filler);
}

std::string fmtpOf(VideoCodec codec, const AccessUnit& keyframe) {
  std::vector<std::string> vps, sps, pps;
  std::string profileLevelId = "42e01f";
  for (const Bytes& nal : keyframe) {
    const uint8_t type = media::nalType(codec, nal[0]);
    if (codec == VideoCodec::kH264) {
      if (type == media::h264::kSps && nal.size() >= 4) {
        sps.push_back(base64Encode(nal));
        profileLevelId = hexEncode(media::ByteView(nal).subspan(1, 3));
      }
      if (type == media::h264::kPps) pps.push_back(base64Encode(nal));
    } else {
      if (type == media::h265::kVps) vps.push_back(base64Encode(nal));
      if (type == media::h265::kSps) sps.push_back(base64Encode(nal));
      if (type == media::h265::kPps) pps.push_back(base64Encode(nal));
    }
  }
  if (codec == VideoCodec::kH264) {
    return fmt::format("packetization-mode=1;profile-level-id={};sprop-parameter-sets={},{}",
                       profileLevelId, fmt::join(sps, ","), fmt::join(pps, ","));
  }
  return fmt::format("sprop-vps={};sprop-sps={};sprop-pps={}", fmt::join(vps, ","),
                     fmt::join(sps, ","), fmt::join(pps, ","));
}

}  // namespace

Status validateTestcamOptions(const TestcamOptions& o) {
  auto range = [](std::string_view name, int v, int lo, int hi) {
    return (v < lo || v > hi) ? Status::invalidArgument(fmt::format("--{} must be between {} and {} (got {})",
                                                                    name, lo, hi, v))
                              : Status::ok();
  };
  VIGIL_RETURN_IF_ERROR(range("streams", o.streams, 1, 10000));
  VIGIL_RETURN_IF_ERROR(range("fps", o.fps, 1, 120));
  VIGIL_RETURN_IF_ERROR(range("bitrate", o.bitrateKbps, 50, 100000));
  VIGIL_RETURN_IF_ERROR(range("gop", o.gop, 0, 1200));
  if (o.width < 64 || o.height < 64 || o.width > 4096 || o.height > 2304 || o.width % 2 || o.height % 2) {
    return Status::invalidArgument(
        fmt::format("--size must be even, from 64x64 to 4096x2304 (got {}x{})", o.width, o.height));
  }
  if (o.subStreams && (o.subWidth != 0 || o.subHeight != 0) &&
      (o.subWidth < 64 || o.subHeight < 64 || o.subWidth > o.width || o.subHeight > o.height || o.subWidth % 2 ||
       o.subHeight % 2)) {
    return Status::invalidArgument(fmt::format("--sub-size must be even, from 64x64 to the main size (got {}x{})",
                                               o.subWidth, o.subHeight));
  }
  if (o.scenes.size() > static_cast<size_t>(o.streams)) {
    return Status::invalidArgument(fmt::format("--scene given {} times for {} streams", o.scenes.size(), o.streams));
  }
  if (o.audioOffsetMs < 0 || o.audioOffsetMs > 900) {
    return Status::invalidArgument(fmt::format("--audio-offset-ms must be 0-900 (got {})", o.audioOffsetMs));
  }
  return Status::ok();
}

Result<std::shared_ptr<const rtsp::LoopedStream>> encodeTestStream(const TestcamOptions& o, int streamIndex,
                                                                   std::shared_ptr<const rtsp::LoopedAudio> audio) {
  auto frames = encodeFrames(o, streamIndex);
  if (!frames) return frames.status();
  padToBitrate(*frames, o);
  auto stream = std::make_shared<rtsp::LoopedStream>();
  stream->codec = o.codec;
  stream->width = o.width;
  stream->height = o.height;
  stream->fps = o.fps;
  stream->fmtp = fmtpOf(o.codec, frames->front());
  stream->audio = std::move(audio);
  stream->units.reserve(frames->size());
  for (size_t i = 0; i < frames->size(); ++i) {
    // Durations that add up exactly to one second per fps frames.
    const auto at = [&](size_t k) { return static_cast<uint32_t>(k * 90000 / static_cast<size_t>(o.fps)); };
    stream->units.push_back(rtsp::prepareAccessUnit(o.codec, (*frames)[i], at(i + 1) - at(i)));
  }
  if (!stream->units.front()->keyframe) return Status::internal("the encoded loop does not start with a keyframe");
  return std::shared_ptr<const rtsp::LoopedStream>(std::move(stream));
}

TestcamOptions subStreamOptions(const TestcamOptions& o) {
  TestcamOptions sub = o;
  // Even, and no smaller than validateTestcamOptions allows.
  sub.width = o.subWidth > 0 ? o.subWidth : std::max(64, o.width / 4 * 2);
  sub.height = o.subHeight > 0 ? o.subHeight : std::max(64, o.height / 4 * 2);
  sub.bitrateKbps = std::max(50, o.bitrateKbps / 4);
  return sub;
}

std::shared_ptr<const rtsp::LoopedStream> TestcamCatalog::find(std::string_view path) const {
  constexpr std::string_view kPrefix = "/cam/";
  constexpr std::string_view kSub = "/sub";
  if (!path.starts_with(kPrefix)) return nullptr;
  path.remove_prefix(kPrefix.size());
  const bool sub = path.ends_with(kSub);
  if (sub) path.remove_suffix(kSub.size());
  const auto& streams = sub ? subStreams_ : streams_;
  size_t index = 0;
  auto [ptr, ec] = std::from_chars(path.data(), path.data() + path.size(), index);
  if (ec != std::errc() || ptr != path.data() + path.size() || index >= streams.size() ||
      (path.size() > 1 && path[0] == '0')) {
    return nullptr;
  }
  return streams[index];
}

Result<std::shared_ptr<TestcamCatalog>> buildTestcamCatalog(const TestcamOptions& o) {
  VIGIL_RETURN_IF_ERROR(validateTestcamOptions(o));
  std::shared_ptr<const rtsp::LoopedAudio> audio;
  if (o.audio) {
    auto tone = encodeTestTone(*o.audio, o.audioOffsetMs);
    if (!tone) return tone.status();
    audio = std::move(tone.value());
  }
  std::vector<TestcamStreamSpec> specs;
  for (int i = 0; i < o.streams; ++i) {
    specs.push_back({.options = o, .index = i, .audio = audio});
    if (o.subStreams) specs.back().sub = subStreamOptions(o);
  }
  return buildTestcamCatalog(specs);
}

Result<std::shared_ptr<TestcamCatalog>> buildTestcamCatalog(const std::vector<TestcamStreamSpec>& specs) {
  const int count = static_cast<int>(specs.size());
  const bool subStreams = !specs.empty() && specs.front().sub.has_value();
  for (const TestcamStreamSpec& spec : specs) {
    VIGIL_RETURN_IF_ERROR(validateTestcamOptions(spec.options));
    if (spec.sub.has_value() != subStreams) return Status::invalidArgument("sub streams: for every stream or none");
  }
  // Jobs 0..N-1 are the streams, N..2N-1 their sub streams (without audio).
  const int jobs = subStreams ? 2 * count : count;
  std::vector<std::shared_ptr<const rtsp::LoopedStream>> streams(static_cast<size_t>(jobs));
  std::atomic<int> nextIndex{0}, done{0};
  std::mutex mutex;
  Status failure;
  const unsigned workers = std::min<unsigned>(std::max(1u, std::thread::hardware_concurrency()),
                                              static_cast<unsigned>(std::max(1, jobs)));
  std::vector<std::thread> threads;
  for (unsigned w = 0; w < workers; ++w) {
    threads.emplace_back([&] {
      for (int i = nextIndex++; i < jobs; i = nextIndex++) {
        const TestcamStreamSpec& spec = specs[static_cast<size_t>(i % count)];
        auto s = i < count ? encodeTestStream(spec.options, spec.index, spec.audio)
                           : encodeTestStream(*spec.sub, spec.index);
        std::lock_guard lock(mutex);
        if (!s) {
          if (failure.isOk()) failure = s.status();
          nextIndex = jobs;
          return;
        }
        streams[static_cast<size_t>(i)] = std::move(s.value());
        ++done;
      }
    });
  }
  auto lastReport = std::chrono::steady_clock::now();
  while (true) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    std::lock_guard lock(mutex);
    if (!failure.isOk() || done == jobs) break;
    if (std::chrono::steady_clock::now() - lastReport > std::chrono::seconds(2)) {
      log::info("testcam.encode.progress", {{"done", done.load()}, {"total", jobs}});
      lastReport = std::chrono::steady_clock::now();
    }
  }
  for (auto& t : threads) t.join();
  if (!failure.isOk()) return failure;
  std::vector<std::shared_ptr<const rtsp::LoopedStream>> subs(std::make_move_iterator(streams.begin() + count),
                                                             std::make_move_iterator(streams.end()));
  streams.resize(static_cast<size_t>(count));
  return std::make_shared<TestcamCatalog>(std::move(streams), std::move(subs));
}

onvif::SimulatorOptions testcamOnvifDevice(const TestcamOptions& options, const rtsp::StreamCatalog& catalog,
                                           uint16_t rtspPort, int streamIndex) {
  auto simulated = [&](const std::string& path) -> std::optional<onvif::SimulatedStream> {
    auto stream = catalog.find(path);
    if (!stream) return std::nullopt;
    return onvif::SimulatedStream{.path = path,
                                  .encoding = stream->codec == media::VideoCodec::kH265 ? "H265" : "H264",
                                  .width = stream->width,
                                  .height = stream->height};
  };
  const std::string path = fmt::format("/cam/{}", streamIndex);
  onvif::SimulatorOptions device;
  device.listen = {options.listen.host,
                   static_cast<uint16_t>(*options.onvifPort == 0 ? 0 : *options.onvifPort + streamIndex)};
  device.discovery = options.onvifDiscovery;
  device.user = options.onvifUser;
  device.password = options.onvifPassword;
  device.rtspPort = rtspPort;
  device.main = simulated(path).value_or(onvif::SimulatedStream{.path = path});
  device.sub = simulated(path + "/sub");
  device.model = fmt::format("vigil testcam {}", streamIndex);
  return device;
}

}  // namespace vigil::app

#include "mask/masker.h"

extern "C" {
#include <libavutil/imgutils.h>
#include <libavutil/opt.h>
}

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <optional>
#include <thread>

#include "detect/decoder.h"
#include "detect/libav.h"
#include "detect/motion.h"

namespace vigil::mask {

namespace {

// Samples of one plane row painted black: [from, to).
struct Run {
  int row = 0;
  int from = 0;
  int to = 0;
};

// The runs of set bytes in a width x height map, row by row.
std::vector<Run> runsOf(const std::vector<uint8_t>& map, int width, int height) {
  std::vector<Run> runs;
  for (int y = 0; y < height; ++y) {
    const uint8_t* row = &map[static_cast<size_t>(y) * width];
    for (int x = 0; x < width;) {
      if (!row[x]) {
        ++x;
        continue;
      }
      const int from = x;
      while (x < width && row[x]) ++x;
      runs.push_back({y, from, x});
    }
  }
  return runs;
}

// 4:2:0 chroma: a sample is masked when any of the luma pixels it covers is,
// so no colour of a masked pixel survives in a sample it shares.
std::vector<uint8_t> chromaOf(const std::vector<uint8_t>& luma, int width, int height) {
  const int cw = (width + 1) / 2;
  const int ch = (height + 1) / 2;
  std::vector<uint8_t> out(static_cast<size_t>(cw) * ch, 0);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      if (luma[static_cast<size_t>(y) * width + x]) out[static_cast<size_t>(y / 2) * cw + x / 2] = 1;
    }
  }
  return out;
}

bool isYuv420(int format) { return format == AV_PIX_FMT_YUV420P || format == AV_PIX_FMT_YUVJ420P; }

}  // namespace

struct VideoMasker::State {
  State(std::vector<detect::Polygon> m, int cap) : masks(std::move(m)), maxWidth(cap) {}

  struct Source {
    WallTime captureTime;
    bool keyframe = false;
  };

  std::vector<detect::Polygon> masks;
  const int maxWidth;  // 0: no cap
  std::optional<detect::VideoDecoder> decoder;
  bool waitKeyframe = true;
  std::map<int64_t, Source> decoding;  // by pts: sent to the decoder, not yet out of it
  std::map<int64_t, Source> encoding;  // by pts: sent to the encoder, not yet out of it

  // The encoder and what is made once per picture size and range: the
  // camera's size, and the encoder's (the camera's, or scaled down to
  // maxWidth).
  int sourceWidth = 0;
  int sourceHeight = 0;
  int width = 0;
  int height = 0;
  bool fullRange = false;
  std::vector<Run> lumaRuns;
  std::vector<Run> chromaRuns;
  detect::AvCodecContextPtr encoder;
  detect::AvFramePtr picture;  // the masked picture the encoder takes
  detect::AvPacketPtr packet;
  detect::SwsContextPtr convert;  // other pixel formats to 4:2:0, other sizes to the encoder's
  std::shared_ptr<const media::VideoParameters> params;

  Status openEncoder(int sw, int sh, bool full) {
    int w = sw;
    int h = sh;
    if (maxWidth > 0 && sw > maxWidth) {
      w = maxWidth & ~1;
      h = std::max(2, static_cast<int>(static_cast<int64_t>(sh) * w / sw) & ~1);  // 4:2:0 wants even sizes
    }
    const AVCodec* codec = avcodec_find_encoder_by_name("libx264");
    if (!codec) return Status::unimplemented("this libavcodec has no libx264 encoder");
    detect::AvCodecContextPtr ctx(avcodec_alloc_context3(codec));
    ctx->width = w;
    ctx->height = h;
    ctx->time_base = AVRational{1, static_cast<int>(MediaDuration::kTicksPerSecond)};
    // A nominal rate for the level and rate control; frames keep their own times.
    ctx->framerate = AVRational{25, 1};
    ctx->pix_fmt = full ? AV_PIX_FMT_YUVJ420P : AV_PIX_FMT_YUV420P;
    ctx->color_range = full ? AVCOL_RANGE_JPEG : AVCOL_RANGE_MPEG;
    ctx->max_b_frames = 0;
    ctx->gop_size = -1;     // x264-params decide: an IDR where the camera has a keyframe, and only there
    ctx->thread_count = 1;  // the pool's parallelism is across cameras
    av_opt_set(ctx->priv_data, "preset", "ultrafast", 0);
    av_opt_set(ctx->priv_data, "tune", "zerolatency", 0);  // one frame out per frame in, no lookahead
    av_opt_set(ctx->priv_data, "forced-idr", "1", 0);
    av_opt_set(ctx->priv_data, "x264-params", "keyint=infinite:scenecut=0:repeat-headers=1:log=-1", 0);
    if (int err = avcodec_open2(ctx.get(), codec, nullptr); err < 0) {
      return Status::internal("opening the H.264 encoder: " + detect::avErrorText(err));
    }
    detect::AvFramePtr frame(av_frame_alloc());
    frame->format = ctx->pix_fmt;
    frame->width = w;
    frame->height = h;
    frame->color_range = ctx->color_range;
    if (int err = av_frame_get_buffer(frame.get(), 0); err < 0) {
      return Status::internal("allocating a picture: " + detect::avErrorText(err));
    }
    std::vector<const detect::Polygon*> polygons;
    for (const detect::Polygon& p : masks) polygons.push_back(&p);
    const std::vector<uint8_t> luma = detect::rasterise(polygons, w, h);
    lumaRuns = runsOf(luma, w, h);
    chromaRuns = runsOf(chromaOf(luma, w, h), (w + 1) / 2, (h + 1) / 2);
    encoder = std::move(ctx);
    picture = std::move(frame);
    packet.reset(av_packet_alloc());
    encoding.clear();
    sourceWidth = sw;
    sourceHeight = sh;
    width = w;
    height = h;
    fullRange = full;
    return Status::ok();
  }

  // The decoded picture copied into `picture` (4:2:0), masks painted black.
  Status paint(const AVFrame& decoded) {
    if (int err = av_frame_make_writable(picture.get()); err < 0) {
      return Status::internal("picture not writable: " + detect::avErrorText(err));
    }
    const bool scaled = width != sourceWidth || height != sourceHeight;
    if (isYuv420(decoded.format) && !scaled) {
      av_image_copy(picture->data, picture->linesize, const_cast<const uint8_t**>(decoded.data), decoded.linesize,
                    static_cast<AVPixelFormat>(picture->format), width, height);
    } else {
      convert.reset(sws_getCachedContext(convert.release(), sourceWidth, sourceHeight,
                                         static_cast<AVPixelFormat>(decoded.format), width, height,
                                         static_cast<AVPixelFormat>(picture->format),
                                         scaled ? SWS_FAST_BILINEAR : SWS_POINT, nullptr, nullptr, nullptr));
      if (!convert) return Status::unimplemented(fmt::format("cannot convert pixel format {}", decoded.format));
      sws_scale(convert.get(), decoded.data, decoded.linesize, 0, sourceHeight, picture->data, picture->linesize);
    }
    const uint8_t black = fullRange ? 0 : 16;
    for (const Run& r : lumaRuns) {
      std::memset(picture->data[0] + static_cast<ptrdiff_t>(r.row) * picture->linesize[0] + r.from, black,
                  static_cast<size_t>(r.to - r.from));
    }
    for (const Run& r : chromaRuns) {
      for (int plane : {1, 2}) {
        std::memset(picture->data[plane] + static_cast<ptrdiff_t>(r.row) * picture->linesize[plane] + r.from, 128,
                    static_cast<size_t>(r.to - r.from));
      }
    }
    return Status::ok();
  }

  Status encode(const AVFrame& decoded, std::vector<media::Frame>& out) {
    const int64_t pts = decoded.pts != AV_NOPTS_VALUE ? decoded.pts : decoded.best_effort_timestamp;
    auto source = decoding.find(pts);
    if (source == decoding.end()) return Status::ok();  // not a frame sent (cannot be timed)
    const Source s = source->second;
    decoding.erase(decoding.begin(), std::next(source));
    const bool full = decoded.color_range == AVCOL_RANGE_JPEG || decoded.format == AV_PIX_FMT_YUVJ420P;
    if (!encoder || decoded.width != sourceWidth || decoded.height != sourceHeight || full != fullRange) {
      // A new size starts at a keyframe (the decoder reopened there).
      if (!s.keyframe && encoder) return Status::ok();
      VIGIL_RETURN_IF_ERROR(openEncoder(decoded.width, decoded.height, full));
    }
    VIGIL_RETURN_IF_ERROR(paint(decoded));
    picture->pts = pts;
    picture->pict_type = s.keyframe ? AV_PICTURE_TYPE_I : AV_PICTURE_TYPE_NONE;
    encoding[pts] = s;
    if (int err = avcodec_send_frame(encoder.get(), picture.get()); err < 0) {
      return Status::internal("the H.264 encoder refused a picture: " + detect::avErrorText(err));
    }
    for (;;) {
      const int err = avcodec_receive_packet(encoder.get(), packet.get());
      if (err == AVERROR(EAGAIN) || err == AVERROR_EOF) return Status::ok();
      if (err < 0) return Status::internal("the H.264 encoder failed: " + detect::avErrorText(err));
      emit(out);
      av_packet_unref(packet.get());
    }
  }

  // What the encoder still holds comes out.
  Status drain(std::vector<media::Frame>& out) {
    if (!encoder) return Status::ok();
    if (int err = avcodec_send_frame(encoder.get(), nullptr); err < 0 && err != AVERROR_EOF) {
      return Status::internal("the H.264 encoder refused to drain: " + detect::avErrorText(err));
    }
    for (;;) {
      const int err = avcodec_receive_packet(encoder.get(), packet.get());
      if (err == AVERROR_EOF || err == AVERROR(EAGAIN)) return Status::ok();
      if (err < 0) return Status::internal("the H.264 encoder failed: " + detect::avErrorText(err));
      emit(out);
      av_packet_unref(packet.get());
    }
  }

  // The encoder's packet as a frame: slices length-prefixed, parameter sets
  // in `params` (a new one only when they change), its SEI dropped.
  void emit(std::vector<media::Frame>& out) {
    auto source = encoding.find(packet->pts);
    if (source == encoding.end()) return;
    media::Frame frame;
    frame.pts = MediaTime(packet->pts);
    frame.captureTime = source->second.captureTime;
    frame.keyframe = (packet->flags & AV_PKT_FLAG_KEY) != 0;
    encoding.erase(encoding.begin(), std::next(source));
    media::VideoParameters sets;
    for (media::ByteView nal :
         media::splitAnnexB(media::ByteView(packet->data, static_cast<size_t>(packet->size)))) {
      if (nal.empty()) continue;
      const uint8_t type = media::nalType(media::VideoCodec::kH264, nal[0]);
      if (type == media::h264::kSps) {
        sets.sps.emplace_back(nal.begin(), nal.end());
      } else if (type == media::h264::kPps) {
        sets.pps.emplace_back(nal.begin(), nal.end());
      } else if (media::isVcl(media::VideoCodec::kH264, type)) {
        media::appendLengthPrefixed(frame.data, nal);
      }
    }
    if (!sets.sps.empty() && !sets.pps.empty()) {
      sets.width = width;
      sets.height = height;
      if (!params || !(*params == sets)) params = std::make_shared<const media::VideoParameters>(std::move(sets));
    }
    if (!params || frame.data.empty()) return;  // nothing decodable yet
    frame.params = params;
    out.push_back(std::move(frame));
  }
};

int defaultThreads() { return std::max(1, static_cast<int>(std::thread::hardware_concurrency() / 2)); }

VideoMasker::VideoMasker(std::vector<detect::Polygon> masks, int maxWidth)
    : state_(std::make_unique<State>(std::move(masks), maxWidth)) {}
VideoMasker::~VideoMasker() = default;
VideoMasker::VideoMasker(VideoMasker&&) noexcept = default;
VideoMasker& VideoMasker::operator=(VideoMasker&&) noexcept = default;

Status VideoMasker::push(const media::Frame& frame, std::vector<media::Frame>& out) {
  State& s = *state_;
  if (frame.keyframe && frame.params && (!s.decoder || !(s.decoder->params() == *frame.params))) {
    auto opened = detect::VideoDecoder::open(*frame.params);
    s.decoding.clear();
    if (!opened) {
      s.decoder.reset();  // a codec libavcodec cannot decode: nothing comes out
      return Status::ok();
    }
    s.decoder.emplace(std::move(*opened));
    s.waitKeyframe = false;
  }
  if (!s.decoder || (s.waitKeyframe && !frame.keyframe)) return Status::ok();
  s.waitKeyframe = false;
  if (!s.decoder->send(frame, true).isOk()) {
    s.waitKeyframe = true;
    return Status::ok();
  }
  s.decoding[frame.pts.ticks()] = {frame.captureTime, frame.keyframe};
  while (const AVFrame* picture = s.decoder->receive()) VIGIL_RETURN_IF_ERROR(s.encode(*picture, out));
  // A decoder that swallowed frames (errors it concealed) leaves them here.
  while (s.decoding.size() > 64) s.decoding.erase(s.decoding.begin());
  return Status::ok();
}

Status VideoMasker::finish(std::vector<media::Frame>& out) {
  State& s = *state_;
  if (s.decoder) {
    s.decoder->flush();
    while (const AVFrame* picture = s.decoder->receive()) VIGIL_RETURN_IF_ERROR(s.encode(*picture, out));
  }
  return s.drain(out);
}

}  // namespace vigil::mask

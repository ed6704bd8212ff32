#include "detect/testing/h264_file.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <iterator>

#include "media/parameter_sets.h"

namespace vigil::detect::testing {

Status encodeScene(const std::string& arguments, int gop, const std::string& path, media::VideoCodec codec) {
  const bool h265 = codec == media::VideoCodec::kH265;
  const std::string command = fmt::format(
      "ffmpeg -v error -nostdin -y {} -an -c:v {} -preset veryfast -tune zerolatency -bf 0 -g {} "
      "-keyint_min {} {} -pix_fmt yuv420p -f {} '{}'",
      arguments, h265 ? "libx265" : "libx264", gop, gop, h265 ? "-x265-params log-level=error" : "",
      h265 ? "hevc" : "h264", path);
  const int status = std::system(command.c_str());
  if (status != 0) return Status::internal(fmt::format("{}: exit status {}", command, status));
  return Status::ok();
}

Result<std::vector<media::SharedFrame>> readH264File(const std::string& path, int fps, WallTime start,
                                                     media::VideoCodec codec) {
  namespace h264 = media::h264;
  namespace h265 = media::h265;
  const bool isH265 = codec == media::VideoCodec::kH265;
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::notFound(path + ": cannot read");
  const media::Bytes stream{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  auto params = std::make_shared<media::VideoParameters>();
  params->codec = codec;
  std::vector<std::shared_ptr<media::Frame>> frames;  // the last one still being built
  const int64_t step = MediaDuration::kTicksPerSecond / fps;
  for (media::ByteView nal : media::splitAnnexB(stream)) {
    if (nal.size() < 3) continue;
    const uint8_t type = media::nalType(codec, nal[0]);
    const uint8_t spsType = isH265 ? h265::kSps : h264::kSps;
    if (media::isParameterSet(codec, type)) {
      const uint8_t ppsType = isH265 ? h265::kPps : h264::kPps;
      auto& sets = type == spsType ? params->sps : type == ppsType ? params->pps : params->vps;
      const media::Bytes bytes(nal.begin(), nal.end());
      if (std::find(sets.begin(), sets.end(), bytes) != sets.end()) continue;
      if (type == spsType) {
        auto sps = media::parseSps(codec, nal);
        if (!sps) return sps.status();
        params->width = sps->width;
        params->height = sps->height;
      }
      sets.push_back(bytes);
      continue;
    }
    if (!media::isVcl(codec, type)) continue;
    // Each slice whose first_mb_in_slice is 0 (ue(v) "1"), or H.265's
    // first_slice_segment_in_pic_flag, starts a frame.
    if ((nal[media::nalHeaderSize(codec)] & 0x80) == 0 && !frames.empty()) {
      media::appendLengthPrefixed(frames.back()->data, nal);
      continue;
    }
    auto frame = std::make_shared<media::Frame>();
    const int64_t index = static_cast<int64_t>(frames.size());
    frame->pts = MediaTime(index * step);
    frame->captureTime = WallTime::fromUnixMicros(start.unixMicros() + index * 1'000'000 / fps);
    frame->keyframe = media::isKeyframeNal(codec, type);
    frame->params = params;
    media::appendLengthPrefixed(frame->data, nal);
    frames.push_back(std::move(frame));
  }
  if (frames.empty() || params->sps.empty()) return Status::invalidArgument(path + ": no pictures");
  return std::vector<media::SharedFrame>(frames.begin(), frames.end());
}

}  // namespace vigil::detect::testing

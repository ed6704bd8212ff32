#include "detect/testing/h264_file.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <iterator>

#include "media/parameter_sets.h"

namespace vigil::detect::testing {

Status encodeScene(const std::string& arguments, int gop, const std::string& path) {
  const std::string command = fmt::format(
      "ffmpeg -v error -nostdin -y {} -an -c:v libx264 -preset veryfast -tune zerolatency -bf 0 -g {} "
      "-keyint_min {} -pix_fmt yuv420p -f h264 '{}'",
      arguments, gop, gop, path);
  const int status = std::system(command.c_str());
  if (status != 0) return Status::internal(fmt::format("{}: exit status {}", command, status));
  return Status::ok();
}

Result<std::vector<media::SharedFrame>> readH264File(const std::string& path, int fps, WallTime start) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::notFound(path + ": cannot read");
  const media::Bytes stream{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  auto params = std::make_shared<media::VideoParameters>();
  std::vector<std::shared_ptr<media::Frame>> frames;  // the last one still being built
  const int64_t step = MediaDuration::kTicksPerSecond / fps;
  for (media::ByteView nal : media::splitAnnexB(stream)) {
    if (nal.size() < 2) continue;
    const uint8_t type = media::nalType(media::VideoCodec::kH264, nal[0]);
    if (type == media::h264::kSps || type == media::h264::kPps) {
      auto& sets = type == media::h264::kSps ? params->sps : params->pps;
      const media::Bytes bytes(nal.begin(), nal.end());
      if (std::find(sets.begin(), sets.end(), bytes) != sets.end()) continue;
      if (type == media::h264::kSps) {
        auto sps = media::parseSps(media::VideoCodec::kH264, nal);
        if (!sps) return sps.status();
        params->width = sps->width;
        params->height = sps->height;
      }
      sets.push_back(bytes);
      continue;
    }
    if (!media::isVcl(media::VideoCodec::kH264, type)) continue;
    // One slice per picture (as the encoder above makes them): each slice
    // whose first_mb_in_slice is 0 (ue(v) "1") starts a frame.
    if ((nal[1] & 0x80) == 0 && !frames.empty()) {
      media::appendLengthPrefixed(frames.back()->data, nal);
      continue;
    }
    auto frame = std::make_shared<media::Frame>();
    const int64_t index = static_cast<int64_t>(frames.size());
    frame->pts = MediaTime(index * step);
    frame->captureTime = WallTime::fromUnixMicros(start.unixMicros() + index * 1'000'000 / fps);
    frame->keyframe = media::isKeyframeNal(media::VideoCodec::kH264, type);
    frame->params = params;
    media::appendLengthPrefixed(frame->data, nal);
    frames.push_back(std::move(frame));
  }
  if (frames.empty() || params->sps.empty()) return Status::invalidArgument(path + ": no H.264 pictures");
  return std::vector<media::SharedFrame>(frames.begin(), frames.end());
}

}  // namespace vigil::detect::testing

#include "camera/config.h"

#include <fmt/format.h>

namespace vigil::camera {
namespace {

Status checkRtspUrl(const ConfigTable& t, std::string_view key, const std::string& url) {
  if (url.rfind("rtsp://", 0) != 0 && url.rfind("rtsps://", 0) != 0) {
    // Say what is wrong without echoing the value: URLs carry credentials.
    return t.fail(key, "must be an rtsp:// URL");
  }
  return Status::ok();
}

}  // namespace

Status readCameraConfig(const ConfigTable& t, CameraConfig& out) {
  VIGIL_RETURN_IF_ERROR(t.readString("id", out.id));
  if (!t.contains("id")) return t.fail("id", "is required");
  if (!isValidId(out.id)) return t.fail("id", fmt::format("\"{}\" must match [a-z0-9_-]{{1,64}}", out.id));
  VIGIL_RETURN_IF_ERROR(t.readString("name", out.name));
  if (out.name.empty()) out.name = out.id;
  VIGIL_RETURN_IF_ERROR(t.readString("url", out.url));
  if (!t.contains("url")) return t.fail("url", "is required");
  VIGIL_RETURN_IF_ERROR(checkRtspUrl(t, "url", out.url));
  VIGIL_RETURN_IF_ERROR(t.readString("sub_url", out.subUrl));
  if (t.contains("sub_url")) VIGIL_RETURN_IF_ERROR(checkRtspUrl(t, "sub_url", out.subUrl));
  VIGIL_RETURN_IF_ERROR(t.readString("username", out.username));
  VIGIL_RETURN_IF_ERROR(t.readString("password", out.password));
  VIGIL_RETURN_IF_ERROR(
      t.readEnum<rtsp::RtspAuth>("auth", {{"auto", rtsp::RtspAuth::kAuto}, {"digest", rtsp::RtspAuth::kDigest}}, out.auth));
  return t.readEnum<rtsp::RtspTransport>(
      "transport", {{"tcp", rtsp::RtspTransport::kTcp}, {"udp", rtsp::RtspTransport::kUdp}}, out.transport);
}

std::string subStreamId(std::string_view cameraId) { return std::string(cameraId) + "~sub"; }

CameraConfig subStreamConfig(const CameraConfig& config) {
  CameraConfig sub = config;
  sub.id = subStreamId(config.id);
  sub.url = config.subUrl;
  sub.subUrl.clear();
  return sub;
}

}  // namespace vigil::camera

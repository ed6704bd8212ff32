#pragma once
// A camera's options: the keys of a [[camera]] table that say what the
// camera is and how to reach it. (The same table's recording keys are
// storage::RecordingConfig's; app/config.h reads both.)

#include <string>
#include <string_view>

#include "base/config.h"
#include "rtsp/client.h"

namespace vigil::camera {

struct CameraConfig {
  std::string id;
  std::string name;
  std::string url;     // main stream, recorded
  std::string subUrl;  // optional sub stream; empty when absent
  std::string username;  // optional; credentials in the URL work too
  std::string password;
  rtsp::RtspAuth auth = rtsp::RtspAuth::kAuto;
  rtsp::RtspTransport transport = rtsp::RtspTransport::kTcp;
};

inline constexpr std::string_view kCameraConfigKeys[] = {"id",       "name",     "url",      "sub_url",
                                                         "username", "password", "auth",
                                                         "transport"};
Status readCameraConfig(const ConfigTable& table, CameraConfig& out);

// A camera's sub stream (design/ARCHITECTURE.md, "Sub streams") is
// ingested as a camera of its own, "<id>~sub": that is its id in logs,
// the live registry and the store. '~' is in no camera id.
std::string subStreamId(std::string_view cameraId);
// The sub stream's config: `config` with its id and URL (credentials,
// auth and transport are the camera's). Only for a config with a subUrl.
CameraConfig subStreamConfig(const CameraConfig& config);

}  // namespace vigil::camera

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

}  // namespace vigil::camera

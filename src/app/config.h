#pragma once
// The node's config file put together from the sections each module owns:
// [node] (base/config.h), [http] (http/config.h), [access]
// (access/config.h), [link] (link/config.h), [alarm] (alarm/config.h), [alerts] (uptime/config.h),
// [notify] (notify/config.h), [transcode] (transcode/config.h),
// [detect] (detect/config.h) and [[camera]], whose keys are camera's
// (camera/config.h), storage's (storage/config.h) and detect's (detect/config.h).

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "access/config.h"
#include "alarm/config.h"
#include "base/config.h"
#include "camera/config.h"
#include "detect/config.h"
#include "http/config.h"
#include "link/config.h"
#include "notify/config.h"
#include "onvif/config.h"
#include "storage/config.h"
#include "transcode/config.h"
#include "uptime/config.h"

namespace vigil::app {

// One [[camera]] table.
struct ConfiguredCamera {
  camera::CameraConfig camera;
  storage::RecordingConfig recording;
  detect::CameraDetectConfig detect;
};

struct Config {
  std::string sourcePath;
  NodeConfig node;
  http::HttpConfig http;
  access::AccessConfig access;
  link::LinkConfig link;
  alarm::AlarmConfig alarm;
  uptime::AlertConfig alerts;
  notify::NotifyConfig notify;
  detect::DetectConfig detect;
  onvif::OnvifConfig onvif;
  transcode::TranscodeConfig transcode;
  // By camera id, the cameras' `onvif` keys (for PTZ), apart from
  // ConfiguredCamera, which callers take apart by structured binding.
  std::map<std::string, onvif::CameraOnvifConfig> cameraOnvif;
  std::vector<ConfiguredCamera> cameras;

  // What the config-change audit compares from one start to the next: the
  // text parsed, and its sections without secrets
  // (ConfigDocument::canonicalSections).
  std::string sourceText;
  std::map<std::string, std::string> canonicalSections;
};

// One [[camera]] table: its keys are camera's, storage's, detect's and
// onvif's, each read by its module. The file's cameras and those added from
// the API (app/camera_json.h) are read by this one function.
Status readCameraTable(const ConfigTable& table, ConfiguredCamera& out, onvif::CameraOnvifConfig& device);

// Parses and validates TOML text; `sourceName` is used in messages.
Result<Config> parseConfig(std::string_view text, std::string_view sourceName);
// Reads the file and parses it. Unreadable files are InvalidArgument too.
Result<Config> loadConfigFile(const std::string& path);

}  // namespace vigil::app

#include "app/config.h"

#include <fmt/format.h>

#include <fstream>
#include <span>
#include <sstream>

namespace vigil::app {
namespace {

constexpr std::string_view kSections[] = {"node",   "http",   "access", "link",      "alarm", "alerts",
                                          "notify", "detect", "onvif",  "transcode", "camera"};

// [name], when present: only `keys`, each read by `read`.
template <typename Options>
Status readSection(const ConfigTable& root, std::string_view name, std::span<const std::string_view> keys,
                   Status (*read)(const ConfigTable&, Options&), Options& out) {
  auto table = root.table(name);
  if (!table) return table.status();
  if (!*table) return Status::ok();
  VIGIL_RETURN_IF_ERROR((*table)->onlyKeys({keys}));
  return read(**table, out);
}

Status readCameras(const ConfigTable& root, std::vector<ConfiguredCamera>& out,
                   std::map<std::string, onvif::CameraOnvifConfig>& onvifOut) {
  auto tables = root.tables("camera");
  if (!tables) return tables.status();
  for (const ConfigTable& t : *tables) {
    ConfiguredCamera cam;
    onvif::CameraOnvifConfig device;
    VIGIL_RETURN_IF_ERROR(readCameraTable(t, cam, device));
    for (const ConfiguredCamera& other : out) {
      if (other.camera.id == cam.camera.id) {
        return t.fail("id", fmt::format("duplicate camera id \"{}\"", cam.camera.id));
      }
    }
    if (!device.deviceUrl.empty()) onvifOut[cam.camera.id] = device;
    out.push_back(std::move(cam));
  }
  return Status::ok();
}

}  // namespace

Status readCameraTable(const ConfigTable& t, ConfiguredCamera& out, onvif::CameraOnvifConfig& device) {
  VIGIL_RETURN_IF_ERROR(t.onlyKeys({camera::kCameraConfigKeys, storage::kRecordingConfigKeys,
                                    detect::kCameraDetectConfigKeys, onvif::kCameraOnvifConfigKeys}));
  VIGIL_RETURN_IF_ERROR(onvif::readCameraOnvifConfig(t, device));
  VIGIL_RETURN_IF_ERROR(camera::readCameraConfig(t, out.camera));
  VIGIL_RETURN_IF_ERROR(storage::readRecordingConfig(t, out.recording));
  return detect::readCameraDetectConfig(t, out.detect);
}

Result<Config> parseConfig(std::string_view text, std::string_view sourceName) {
  auto document = ConfigDocument::parse(text, sourceName);
  if (!document) return document.status();
  const ConfigTable root = document->root();
  VIGIL_RETURN_IF_ERROR(root.onlyKeys({kSections}));
  Config config;
  config.sourcePath = std::string(sourceName);
  VIGIL_RETURN_IF_ERROR(readSection(root, "node", kNodeConfigKeys, readNodeConfig, config.node));
  VIGIL_RETURN_IF_ERROR(readSection(root, "http", http::kHttpConfigKeys, http::readHttpConfig, config.http));
  VIGIL_RETURN_IF_ERROR(
      readSection(root, "access", access::kAccessConfigKeys, access::readAccessConfig, config.access));
  VIGIL_RETURN_IF_ERROR(readSection(root, "link", link::kLinkConfigKeys, link::readLinkConfig, config.link));
  if (!config.link.parent.empty() && config.node.id.empty()) {
    auto link = root.table("link");
    return (*link)->fail("parent", "needs [node] id");
  }
  VIGIL_RETURN_IF_ERROR(readSection(root, "alarm", alarm::kAlarmConfigKeys, alarm::readAlarmConfig, config.alarm));
  VIGIL_RETURN_IF_ERROR(
      readSection(root, "alerts", uptime::kAlertConfigKeys, uptime::readAlertConfig, config.alerts));
  VIGIL_RETURN_IF_ERROR(
      readSection(root, "notify", notify::kNotifyConfigKeys, notify::readNotifyConfig, config.notify));
  if (config.notify.enabled() && (config.node.id.empty() || config.node.dataDir.empty())) {
    auto section = root.table("notify");
    return (*section)->fail(config.notify.mqtt.empty() ? "webhooks" : "mqtt", "needs [node] id and data_dir");
  }
  VIGIL_RETURN_IF_ERROR(
      readSection(root, "detect", detect::kDetectConfigKeys, detect::readDetectConfig, config.detect));
  VIGIL_RETURN_IF_ERROR(readSection(root, "onvif", onvif::kOnvifConfigKeys, onvif::readOnvifConfig, config.onvif));
  VIGIL_RETURN_IF_ERROR(readSection(root, "transcode", transcode::kTranscodeConfigKeys,
                                    transcode::readTranscodeConfig, config.transcode));
  VIGIL_RETURN_IF_ERROR(readCameras(root, config.cameras, config.cameraOnvif));
  config.sourceText = std::string(text);
  config.canonicalSections = document->canonicalSections();
  return config;
}

Result<Config> loadConfigFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::invalidArgument(fmt::format("{}: cannot read config file", path));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return Status::invalidArgument(fmt::format("{}: cannot read config file", path));
  return parseConfig(text.str(), path);
}

}  // namespace vigil::app

#include "onvif/messages.h"

#include <fmt/format.h>

#include <charconv>
#include <sstream>

namespace vigil::onvif {
namespace {

constexpr std::string_view kMediaNamespace = "http://www.onvif.org/ver10/media/wsdl";
constexpr std::string_view kPtzNamespace = "http://www.onvif.org/ver20/ptz/wsdl";
// A device lists a handful; more is an answer built to cost us memory.
constexpr size_t kMaxListed = 64;

// The payload, when it is the answer `name`; a Fault's Status otherwise.
Result<pugi::xml_node> answerNamed(const SoapDocument& answer, std::string_view name) {
  VIGIL_RETURN_IF_ERROR(answer.fault());
  if (localName(answer.payload()) != name) {
    return Status::invalidArgument(
        fmt::format("SOAP: expected {}, got {}", name, std::string(localName(answer.payload())).substr(0, 64)));
  }
  return answer.payload();
}

int intOr0(const std::string& text) {
  int value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < 0 || value > 100'000) return 0;
  return value;
}

std::vector<std::string> words(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string word; in >> word && out.size() < kMaxListed;) out.push_back(word);
  return out;
}

std::string profileToken(std::string_view profile) {
  return fmt::format("<tptz:ProfileToken>{}</tptz:ProfileToken>", xmlEscape(profile));
}

}  // namespace

namespace request {

std::string getDeviceInformation() { return "<tds:GetDeviceInformation/>"; }
std::string getServices() { return "<tds:GetServices><tds:IncludeCapability>false</tds:IncludeCapability></tds:GetServices>"; }
std::string getCapabilities() { return "<tds:GetCapabilities><tds:Category>All</tds:Category></tds:GetCapabilities>"; }
std::string getProfiles() { return "<trt:GetProfiles/>"; }

std::string getStreamUri(std::string_view profile) {
  return fmt::format(
      "<trt:GetStreamUri><trt:StreamSetup><tt:Stream>RTP-Unicast</tt:Stream>"
      "<tt:Transport><tt:Protocol>RTSP</tt:Protocol></tt:Transport></trt:StreamSetup>"
      "<trt:ProfileToken>{}</trt:ProfileToken></trt:GetStreamUri>",
      xmlEscape(profile));
}

std::string getSnapshotUri(std::string_view profile) {
  return fmt::format("<trt:GetSnapshotUri><trt:ProfileToken>{}</trt:ProfileToken></trt:GetSnapshotUri>",
                     xmlEscape(profile));
}

std::string continuousMove(std::string_view profile, const PtzVelocity& v) {
  return fmt::format(
      R"(<tptz:ContinuousMove>{}<tptz:Velocity><tt:PanTilt x="{:.3f}" y="{:.3f}"/><tt:Zoom x="{:.3f}"/></tptz:Velocity></tptz:ContinuousMove>)",
      profileToken(profile), v.pan, v.tilt, v.zoom);
}

std::string stop(std::string_view profile) {
  return fmt::format("<tptz:Stop>{}<tptz:PanTilt>true</tptz:PanTilt><tptz:Zoom>true</tptz:Zoom></tptz:Stop>",
                     profileToken(profile));
}

std::string gotoPreset(std::string_view profile, std::string_view preset) {
  return fmt::format("<tptz:GotoPreset>{}<tptz:PresetToken>{}</tptz:PresetToken></tptz:GotoPreset>",
                     profileToken(profile), xmlEscape(preset));
}

std::string setPreset(std::string_view profile, std::string_view name) {
  return fmt::format("<tptz:SetPreset>{}<tptz:PresetName>{}</tptz:PresetName></tptz:SetPreset>",
                     profileToken(profile), xmlEscape(name));
}

std::string getPresets(std::string_view profile) {
  return fmt::format("<tptz:GetPresets>{}</tptz:GetPresets>", profileToken(profile));
}

}  // namespace request

Result<DeviceInformation> parseDeviceInformation(const SoapDocument& answer) {
  auto node = answerNamed(answer, "GetDeviceInformationResponse");
  if (!node) return node.status();
  return DeviceInformation{.manufacturer = childText(*node, {"Manufacturer"}),
                           .model = childText(*node, {"Model"}),
                           .firmwareVersion = childText(*node, {"FirmwareVersion"}),
                           .serialNumber = childText(*node, {"SerialNumber"}),
                           .hardwareId = childText(*node, {"HardwareId"})};
}

Result<ServiceAddresses> parseServiceAddresses(const SoapDocument& answer) {
  VIGIL_RETURN_IF_ERROR(answer.fault());
  ServiceAddresses out;
  pugi::xml_node payload = answer.payload();
  if (localName(payload) == "GetCapabilitiesResponse") {
    pugi::xml_node capabilities = child(payload, "Capabilities");
    out.media = childText(capabilities, {"Media", "XAddr"});
    out.ptz = childText(capabilities, {"PTZ", "XAddr"});
    return out;
  }
  auto node = answerNamed(answer, "GetServicesResponse");
  if (!node) return node.status();
  for (pugi::xml_node service = child(*node, "Service"); service; service = service.next_sibling()) {
    if (localName(service) != "Service") continue;
    const std::string ns = childText(service, {"Namespace"});
    if (ns == kMediaNamespace) out.media = childText(service, {"XAddr"});
    if (ns == kPtzNamespace) out.ptz = childText(service, {"XAddr"});
  }
  return out;
}

Result<std::vector<Profile>> parseProfiles(const SoapDocument& answer) {
  auto node = answerNamed(answer, "GetProfilesResponse");
  if (!node) return node.status();
  std::vector<Profile> out;
  for (pugi::xml_node p = node->first_child(); p && out.size() < kMaxListed; p = p.next_sibling()) {
    if (localName(p) != "Profiles") continue;
    Profile profile;
    profile.token = p.attribute("token").value();
    if (profile.token.empty()) return Status::invalidArgument("SOAP: a profile without a token");
    profile.name = childText(p, {"Name"});
    pugi::xml_node encoder = child(p, "VideoEncoderConfiguration");
    profile.encoding = childText(encoder, {"Encoding"});
    profile.width = intOr0(childText(encoder, {"Resolution", "Width"}));
    profile.height = intOr0(childText(encoder, {"Resolution", "Height"}));
    profile.ptz = static_cast<bool>(child(p, "PTZConfiguration"));
    out.push_back(std::move(profile));
  }
  return out;
}

Result<std::string> parseMediaUri(const SoapDocument& answer) {
  VIGIL_RETURN_IF_ERROR(answer.fault());
  const std::string_view name = localName(answer.payload());
  if (name != "GetStreamUriResponse" && name != "GetSnapshotUriResponse") {
    return Status::invalidArgument("SOAP: expected GetStreamUriResponse or GetSnapshotUriResponse");
  }
  std::string uri = childText(answer.payload(), {"MediaUri", "Uri"});
  if (uri.empty()) return Status::invalidArgument("SOAP: the answer has no MediaUri/Uri");
  return uri;
}

Result<std::vector<Preset>> parsePresets(const SoapDocument& answer) {
  auto node = answerNamed(answer, "GetPresetsResponse");
  if (!node) return node.status();
  std::vector<Preset> out;
  for (pugi::xml_node p = node->first_child(); p && out.size() < kMaxListed; p = p.next_sibling()) {
    if (localName(p) != "Preset") continue;
    out.push_back({.token = p.attribute("token").value(), .name = childText(p, {"Name"})});
  }
  return out;
}

Result<std::string> parsePresetToken(const SoapDocument& answer) {
  auto node = answerNamed(answer, "SetPresetResponse");
  if (!node) return node.status();
  std::string token = childText(*node, {"PresetToken"});
  if (token.empty()) return Status::invalidArgument("SOAP: SetPresetResponse without a PresetToken");
  return token;
}

Status parseEmptyAnswer(const SoapDocument& answer) { return answer.fault(); }

std::string probeMessage(std::string_view messageId) {
  return soapEnvelope(
      fmt::format("<a:MessageID>{}</a:MessageID><a:To>urn:schemas-xmlsoap-org:ws:2005:04:discovery</a:To>"
                  "<a:Action>http://schemas.xmlsoap.org/ws/2005/04/discovery/Probe</a:Action>",
                  xmlEscape(messageId)),
      "<d:Probe><d:Types>dn:NetworkVideoTransmitter</d:Types></d:Probe>");
}

Result<std::vector<DiscoveredDevice>> parseProbeMatches(const SoapDocument& answer, std::string_view messageId) {
  if (childText(answer.header(), {"RelatesTo"}) != messageId) {
    return Status::invalidArgument("WS-Discovery: an answer to another Probe");
  }
  auto node = answerNamed(answer, "ProbeMatches");
  if (!node) return node.status();
  std::vector<DiscoveredDevice> out;
  for (pugi::xml_node m = node->first_child(); m && out.size() < kMaxListed; m = m.next_sibling()) {
    if (localName(m) != "ProbeMatch") continue;
    DiscoveredDevice device{.endpointReference = childText(m, {"EndpointReference", "Address"}),
                            .xaddrs = words(childText(m, {"XAddrs"})),
                            .scopes = words(childText(m, {"Scopes"}))};
    if (device.endpointReference.empty() || device.xaddrs.empty()) continue;  // nothing to reach or tell apart
    out.push_back(std::move(device));
  }
  return out;
}

}  // namespace vigil::onvif

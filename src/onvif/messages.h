#pragma once
// The ONVIF calls vigil makes: the body of each request, and a parser for
// each answer that takes what vigil uses and ignores the rest. Parsers get
// an envelope SoapDocument::parse accepted; a Fault or a missing element is
// a Status, never an exception.

#include <string>
#include <vector>

#include "base/status.h"
#include "onvif/device.h"
#include "onvif/soap.h"

namespace vigil::onvif {

namespace request {
std::string getDeviceInformation();
std::string getServices();
std::string getCapabilities();
std::string getProfiles();
// RTP-Unicast over RTSP.
std::string getStreamUri(std::string_view profile);
std::string getSnapshotUri(std::string_view profile);
std::string continuousMove(std::string_view profile, const PtzVelocity& velocity);
std::string stop(std::string_view profile);
std::string gotoPreset(std::string_view profile, std::string_view preset);
std::string setPreset(std::string_view profile, std::string_view name);
std::string getPresets(std::string_view profile);
}  // namespace request

Result<DeviceInformation> parseDeviceInformation(const SoapDocument& answer);
// GetServices' answer, or GetCapabilities' (devices before ONVIF 2.0).
Result<ServiceAddresses> parseServiceAddresses(const SoapDocument& answer);
Result<std::vector<Profile>> parseProfiles(const SoapDocument& answer);
// GetStreamUri's or GetSnapshotUri's MediaUri/Uri.
Result<std::string> parseMediaUri(const SoapDocument& answer);
Result<std::vector<Preset>> parsePresets(const SoapDocument& answer);
// SetPreset's PresetToken.
Result<std::string> parsePresetToken(const SoapDocument& answer);
// OK for an answer that carries nothing vigil reads (ContinuousMove, Stop...).
Status parseEmptyAnswer(const SoapDocument& answer);

// WS-Discovery: the Probe for NetworkVideoTransmitter devices, and the
// devices of one ProbeMatches answer to the Probe of `messageId`
// (InvalidArgument for any other message).
std::string probeMessage(std::string_view messageId);
Result<std::vector<DiscoveredDevice>> parseProbeMatches(const SoapDocument& answer, std::string_view messageId);

}  // namespace vigil::onvif

#include "onvif/simulator.h"

#include <fmt/format.h>

#include <array>
#include <chrono>
#include <ctime>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <utility>  // before awaitable.hpp, which uses std::exchange

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/multicast.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>

#include "base/log.h"
#include "base/mutex.h"
#include "base/net.h"
#include "onvif/discovery.h"
#include "onvif/soap.h"
#include "onvif/wsse.h"

namespace vigil::onvif {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;
using asio::ip::udp;

namespace {

constexpr std::string_view kDevicePath = "/onvif/device_service";
constexpr std::string_view kMediaPath = "/onvif/media_service";
constexpr std::string_view kPtzPath = "/onvif/ptz_service";

struct Answer {
  unsigned status = 200;
  std::string body;  // the Body's content
};

Answer fault(unsigned status, std::string_view code, std::string_view subcode, std::string_view reason) {
  return {status, fmt::format("<s:Fault><s:Code><s:Value>{}</s:Value><s:Subcode><s:Value>{}</s:Value></s:Subcode>"
                              "</s:Code><s:Reason><s:Text xml:lang=\"en\">{}</s:Text></s:Reason></s:Fault>",
                              code, subcode, reason)};
}

std::string hostForUrl(const asio::ip::address& address) {
  return address.is_v6() ? "[" + address.to_string() + "]" : address.to_string();
}

std::string systemDateAndTime() {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  return fmt::format(
      "<tds:GetSystemDateAndTimeResponse><tds:SystemDateAndTime><tt:DateTimeType>NTP</tt:DateTimeType>"
      "<tt:DaylightSavings>false</tt:DaylightSavings><tt:TimeZone><tt:TZ>UTC0</tt:TZ></tt:TimeZone><tt:UTCDateTime>"
      "<tt:Time><tt:Hour>{}</tt:Hour><tt:Minute>{}</tt:Minute><tt:Second>{}</tt:Second></tt:Time>"
      "<tt:Date><tt:Year>{}</tt:Year><tt:Month>{}</tt:Month><tt:Day>{}</tt:Day></tt:Date>"
      "</tt:UTCDateTime></tds:SystemDateAndTime></tds:GetSystemDateAndTimeResponse>",
      utc.tm_hour, utc.tm_min, utc.tm_sec, utc.tm_year + 1900, utc.tm_mon + 1, utc.tm_mday);
}

std::string profileXml(std::string_view token, const SimulatedStream& s) {
  return fmt::format(
      R"(<trt:Profiles token="{0}" fixed="true"><tt:Name>{0}</tt:Name>)"
      R"(<tt:VideoSourceConfiguration token="vsc0"><tt:Name>vsc0</tt:Name><tt:UseCount>2</tt:UseCount>)"
      R"(<tt:SourceToken>vs0</tt:SourceToken><tt:Bounds x="0" y="0" width="{2}" height="{3}"/></tt:VideoSourceConfiguration>)"
      R"(<tt:VideoEncoderConfiguration token="vec_{0}"><tt:Name>{0}</tt:Name><tt:UseCount>1</tt:UseCount>)"
      R"(<tt:Encoding>{1}</tt:Encoding><tt:Resolution><tt:Width>{2}</tt:Width><tt:Height>{3}</tt:Height></tt:Resolution>)"
      R"(<tt:Quality>5</tt:Quality><tt:RateControl><tt:FrameRateLimit>25</tt:FrameRateLimit>)"
      R"(<tt:EncodingInterval>1</tt:EncodingInterval><tt:BitrateLimit>2000</tt:BitrateLimit></tt:RateControl>)"
      R"(<tt:SessionTimeout>PT60S</tt:SessionTimeout></tt:VideoEncoderConfiguration>)"
      R"(<tt:PTZConfiguration token="ptz0"><tt:Name>ptz0</tt:Name><tt:UseCount>2</tt:UseCount>)"
      R"(<tt:NodeToken>ptznode0</tt:NodeToken></tt:PTZConfiguration></trt:Profiles>)",
      token, s.encoding, s.width, s.height);
}

}  // namespace

struct DeviceSimulator::Impl : std::enable_shared_from_this<DeviceSimulator::Impl> {
  asio::io_context& io;
  SimulatorOptions options;
  tcp::acceptor acceptor{io};
  udp::socket discovery{io};
  std::string endpointReference = randomUrnUuid();
  mutable Mutex mutex;
  std::vector<PtzCall> calls GUARDED_BY(mutex);
  std::map<std::string, std::string> presets GUARDED_BY(mutex);  // token -> name

  Impl(asio::io_context& context, SimulatorOptions o) : io(context), options(std::move(o)) {}

  const SimulatedStream* stream(std::string_view profile) const {
    if (profile == "main") return &options.main;
    if (profile == "sub" && options.sub) return &*options.sub;
    return nullptr;
  }

  // `local`: the address the client reached us on, for the URLs we hand out.
  Answer answer(const SoapDocument& request, const asio::ip::address& local) {
    const std::string_view call = localName(request.payload());
    if (call == "GetSystemDateAndTime") return {200, systemDateAndTime()};  // unauthenticated, as ONVIF says
    if (!options.user.empty()) {
      if (Status s = checkUsernameToken(request.header(), options.user, options.password); !s.isOk()) {
        log::info("onvif.simulator.refused", {{"call", call}, {"why", s.message()}});
        return fault(400, "s:Sender", "ter:NotAuthorized", "Sender not Authorized");
      }
    }
    const std::string base = fmt::format("http://{}:{}", hostForUrl(local), acceptor.local_endpoint().port());
    const std::string profile = childText(request.payload(), {"ProfileToken"});
    if (call == "GetDeviceInformation") {
      return {200, fmt::format("<tds:GetDeviceInformationResponse><tds:Manufacturer>vigil</tds:Manufacturer>"
                               "<tds:Model>{}</tds:Model><tds:FirmwareVersion>1.0</tds:FirmwareVersion>"
                               "<tds:SerialNumber>{}</tds:SerialNumber><tds:HardwareId>testcam</tds:HardwareId>"
                               "</tds:GetDeviceInformationResponse>",
                               xmlEscape(options.model), acceptor.local_endpoint().port())};
    }
    if (call == "GetServices") {
      auto service = [&](std::string_view ns, std::string_view path, int major) {
        return fmt::format("<tds:Service><tds:Namespace>{}</tds:Namespace><tds:XAddr>{}{}</tds:XAddr>"
                           "<tds:Version><tt:Major>{}</tt:Major><tt:Minor>0</tt:Minor></tds:Version></tds:Service>",
                           ns, base, path, major);
      };
      return {200, "<tds:GetServicesResponse>" + service("http://www.onvif.org/ver10/device/wsdl", kDevicePath, 2) +
                       service("http://www.onvif.org/ver10/media/wsdl", kMediaPath, 2) +
                       service("http://www.onvif.org/ver20/ptz/wsdl", kPtzPath, 2) + "</tds:GetServicesResponse>"};
    }
    if (call == "GetCapabilities") {
      return {200, fmt::format("<tds:GetCapabilitiesResponse><tds:Capabilities><tt:Device><tt:XAddr>{0}{1}</tt:XAddr>"
                               "</tt:Device><tt:Media><tt:XAddr>{0}{2}</tt:XAddr></tt:Media><tt:PTZ><tt:XAddr>{0}{3}"
                               "</tt:XAddr></tt:PTZ></tds:Capabilities></tds:GetCapabilitiesResponse>",
                               base, kDevicePath, kMediaPath, kPtzPath)};
    }
    if (call == "GetVideoSources") {
      return {200, fmt::format(R"(<trt:GetVideoSourcesResponse><trt:VideoSources token="vs0"><tt:Framerate>25</tt:Framerate>)"
                               R"(<tt:Resolution><tt:Width>{}</tt:Width><tt:Height>{}</tt:Height></tt:Resolution>)"
                               R"(</trt:VideoSources></trt:GetVideoSourcesResponse>)",
                               options.main.width, options.main.height)};
    }
    if (call == "GetProfiles") {
      std::string body = "<trt:GetProfilesResponse>" + profileXml("main", options.main);
      if (options.sub) body += profileXml("sub", *options.sub);
      return {200, body + "</trt:GetProfilesResponse>"};
    }
    if (call == "GetStreamUri" || call == "GetSnapshotUri") {
      const SimulatedStream* s = stream(profile);
      if (!s) return fault(400, "s:Sender", "ter:InvalidArgVal", "No such profile");
      const std::string uri = call == "GetStreamUri"
                                  ? fmt::format("rtsp://{}:{}{}", hostForUrl(local), options.rtspPort, s->path)
                                  : fmt::format("{}/snapshot/{}.jpg", base, profile);
      return {200, fmt::format("<trt:{0}Response><trt:MediaUri><tt:Uri>{1}</tt:Uri><tt:InvalidAfterConnect>false"
                               "</tt:InvalidAfterConnect><tt:InvalidAfterReboot>false</tt:InvalidAfterReboot>"
                               "<tt:Timeout>PT0S</tt:Timeout></trt:MediaUri></trt:{0}Response>",
                               call, xmlEscape(uri))};
    }
    if (call == "ContinuousMove" || call == "Stop" || call == "GotoPreset" || call == "SetPreset" ||
        call == "GetPresets") {
      if (!stream(profile)) return fault(400, "s:Sender", "ter:InvalidArgVal", "No such profile");
      return ptz(request, call, profile);
    }
    return fault(400, "s:Receiver", "ter:ActionNotSupported", "Optional Action Not Implemented");
  }

  Answer ptz(const SoapDocument& request, std::string_view call, const std::string& profile) {
    std::ostringstream xml;
    request.payload().print(xml, "", pugi::format_raw);
    MutexLock lock(mutex);
    calls.push_back({std::string(call), profile, xml.str()});
    log::info("onvif.simulator.ptz", {{"call", call}, {"profile", profile}});
    if (call == "SetPreset") {
      std::string token = fmt::format("preset{}", presets.size() + 1);
      presets[token] = childText(request.payload(), {"PresetName"});
      return {200, fmt::format("<tptz:SetPresetResponse><tptz:PresetToken>{}</tptz:PresetToken></tptz:SetPresetResponse>",
                               token)};
    }
    if (call == "GotoPreset" && !presets.contains(childText(request.payload(), {"PresetToken"}))) {
      return fault(400, "s:Sender", "ter:NoToken", "No such preset");
    }
    if (call == "GetPresets") {
      std::string body = "<tptz:GetPresetsResponse>";
      for (const auto& [token, name] : presets) {
        body += fmt::format(R"(<tptz:Preset token="{}"><tt:Name>{}</tt:Name></tptz:Preset>)", token, xmlEscape(name));
      }
      return {200, body + "</tptz:GetPresetsResponse>"};
    }
    return {200, fmt::format("<tptz:{}Response/>", call)};
  }

  std::string ptzCallsJson() const {
    nlohmann::json out = nlohmann::json::array();
    MutexLock lock(mutex);
    for (const PtzCall& c : calls) out.push_back({{"call", c.call}, {"profile", c.profile}, {"body", c.body}});
    return out.dump();
  }

  asio::awaitable<void> serve(tcp::socket socket) {
    auto self = shared_from_this();
    beast::tcp_stream stream(std::move(socket));
    beast::flat_buffer buffer;
    beast::error_code ec;
    const asio::ip::address local = stream.socket().local_endpoint(ec).address();
    for (;;) {
      stream.expires_after(std::chrono::seconds(10));
      http::request_parser<http::string_body> parser;
      parser.body_limit(kMaxSoapBytes);
      co_await http::async_read(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return;
      const auto& req = parser.get();
      http::response<http::string_body> res{http::status::ok, req.version()};
      res.set(http::field::server, "vigil-testcam-onvif");
      if (req.method() == http::verb::get && req.target() == "/debug/ptz") {
        res.set(http::field::content_type, "application/json");
        res.body() = ptzCallsJson();
      } else if (req.method() != http::verb::post) {
        res.result(http::status::method_not_allowed);
      } else {
        Answer a;
        auto request = SoapDocument::parse(req.body());
        if (!request) {
          a = fault(400, "s:Sender", "ter:WellFormed", xmlEscape(request.status().message()));
        } else {
          a = answer(*request, local);
        }
        res.result(a.status);
        res.set(http::field::content_type, "application/soap+xml; charset=utf-8");
        res.body() = soapEnvelope("", a.body);
      }
      res.keep_alive(req.keep_alive());
      res.prepare_payload();
      co_await http::async_write(stream, res, asio::redirect_error(asio::use_awaitable, ec));
      if (ec || !res.keep_alive()) co_return;
    }
  }

  asio::awaitable<void> acceptLoop() {
    auto self = shared_from_this();
    for (;;) {
      beast::error_code ec;
      tcp::socket socket = co_await acceptor.async_accept(asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return;  // closed by stop()
      asio::co_spawn(io, serve(std::move(socket)), asio::detached);
    }
  }

  // The XAddr a prober can reach: our listen address, or for a wildcard
  // one, the local address the kernel would use to answer that prober.
  std::string xaddrFor(const udp::endpoint& prober) {
    asio::ip::address host = acceptor.local_endpoint().address();
    if (host.is_unspecified()) {
      udp::socket route(io);
      boost::system::error_code ec;
      route.connect(prober, ec);
      if (!ec) host = route.local_endpoint(ec).address();
    }
    return fmt::format("http://{}:{}{}", hostForUrl(host), acceptor.local_endpoint().port(), kDevicePath);
  }

  std::string probeMatches(std::string_view relatesTo, const std::string& xaddr) {
    return soapEnvelope(
        fmt::format("<a:MessageID>{}</a:MessageID><a:RelatesTo>{}</a:RelatesTo>"
                    "<a:To>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:To>"
                    "<a:Action>http://schemas.xmlsoap.org/ws/2005/04/discovery/ProbeMatches</a:Action>",
                    randomUrnUuid(), xmlEscape(relatesTo)),
        fmt::format("<d:ProbeMatches><d:ProbeMatch><a:EndpointReference><a:Address>{}</a:Address></a:EndpointReference>"
                    "<d:Types>dn:NetworkVideoTransmitter</d:Types>"
                    "<d:Scopes>onvif://www.onvif.org/type/video_encoder onvif://www.onvif.org/Profile/Streaming "
                    "onvif://www.onvif.org/name/vigil_testcam onvif://www.onvif.org/hardware/testcam</d:Scopes>"
                    "<d:XAddrs>{}</d:XAddrs><d:MetadataVersion>1</d:MetadataVersion></d:ProbeMatch></d:ProbeMatches>",
                    endpointReference, xmlEscape(xaddr)));
  }

  asio::awaitable<void> discoveryLoop() {
    auto self = shared_from_this();
    std::array<char, 65536> datagram{};
    for (;;) {
      udp::endpoint sender;
      beast::error_code ec;
      const size_t n =
          co_await discovery.async_receive_from(asio::buffer(datagram), sender, asio::redirect_error(asio::use_awaitable, ec));
      if (ec == asio::error::operation_aborted || !discovery.is_open()) co_return;
      if (ec) continue;
      auto probe = SoapDocument::parse(std::string_view(datagram.data(), n));
      if (!probe || localName(probe->payload()) != "Probe") continue;  // not a Probe: Hello, Bye, noise
      const std::string messageId = childText(probe->header(), {"MessageID"});
      const std::string reply = probeMatches(messageId, xaddrFor(sender));
      co_await discovery.async_send_to(asio::buffer(reply), sender, asio::redirect_error(asio::use_awaitable, ec));
    }
  }

  Status openDiscovery(const HostPort& where) {
    boost::system::error_code ec;
    const auto group = asio::ip::make_address(where.host, ec);
    if (ec) return Status::invalidArgument(fmt::format("onvif discovery: \"{}\" is not an IP address", where.host));
    discovery.open(group.is_v4() ? udp::v4() : udp::v6(), ec);
    if (!ec) discovery.set_option(asio::socket_base::reuse_address(true), ec);
    // A group is received on the wildcard address; a unicast address on itself.
    const udp::endpoint bindTo(group.is_multicast() ? (group.is_v4() ? asio::ip::address(asio::ip::address_v4::any())
                                                                     : asio::ip::address(asio::ip::address_v6::any()))
                                                    : group,
                               where.port);
    if (!ec) discovery.bind(bindTo, ec);
    if (!ec && group.is_multicast()) discovery.set_option(asio::ip::multicast::join_group(group), ec);
    if (ec) return Status::unavailable(fmt::format("onvif discovery on {}: {}", where.toString(), ec.message()));
    return Status::ok();
  }
};

DeviceSimulator::DeviceSimulator(asio::io_context& io, SimulatorOptions options)
    : impl_(std::make_shared<Impl>(io, std::move(options))) {}

DeviceSimulator::~DeviceSimulator() { stop(); }

Status DeviceSimulator::start() {
  VIGIL_RETURN_IF_ERROR(listenOn(impl_->acceptor, impl_->options.listen));
  if (impl_->options.discovery) {
    // Not fatal: a host with no multicast route still serves the device at its address.
    if (Status s = impl_->openDiscovery(*impl_->options.discovery); !s.isOk()) {
      log::warn("onvif.simulator.discovery_off", {{"why", s.message()}});
      boost::system::error_code ec;
      impl_->discovery.close(ec);
    }
  }
  asio::co_spawn(impl_->io, impl_->acceptLoop(), asio::detached);
  if (impl_->discovery.is_open()) asio::co_spawn(impl_->io, impl_->discoveryLoop(), asio::detached);
  return Status::ok();
}

uint16_t DeviceSimulator::port() const {
  boost::system::error_code ec;
  return impl_->acceptor.local_endpoint(ec).port();
}

uint16_t DeviceSimulator::discoveryPort() const {
  boost::system::error_code ec;
  return impl_->discovery.is_open() ? impl_->discovery.local_endpoint(ec).port() : 0;
}

std::string DeviceSimulator::deviceServiceUrl() const {
  boost::system::error_code ec;
  return fmt::format("http://{}:{}{}", hostForUrl(impl_->acceptor.local_endpoint(ec).address()), port(), kDevicePath);
}

std::vector<PtzCall> DeviceSimulator::ptzCalls() const {
  MutexLock lock(impl_->mutex);
  return impl_->calls;
}

void DeviceSimulator::stop() {
  // On the io_context's thread: the loops' pending operations are there.
  asio::post(impl_->io, [impl = impl_] {
    boost::system::error_code ec;
    impl->acceptor.close(ec);
    impl->discovery.close(ec);
  });
}

}  // namespace vigil::onvif

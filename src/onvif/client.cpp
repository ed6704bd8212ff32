#include "onvif/client.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <utility>  // before awaitable.hpp, which uses std::exchange

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>

#include "onvif/messages.h"
#include "onvif/soap.h"
#include "onvif/wsse.h"

namespace vigil::onvif {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

struct HttpUrl {
  std::string host;
  std::string port = "80";
  std::string target = "/";
};

Result<HttpUrl> parseHttpUrl(std::string_view url) {
  constexpr std::string_view kScheme = "http://";
  if (url.substr(0, kScheme.size()) != kScheme) {
    return Status::invalidArgument(url.starts_with("https://") ? "must be an http:// URL (https:// is not supported yet)"
                                                               : "must be an http:// URL");
  }
  if (std::any_of(url.begin(), url.end(), [](char c) { return static_cast<unsigned char>(c) <= 0x20 || c == 0x7f; })) {
    return Status::invalidArgument("must have no space or control character");
  }
  std::string_view rest = url.substr(kScheme.size());
  const size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  HttpUrl out;
  if (slash != std::string_view::npos) out.target = std::string(rest.substr(slash));
  if (authority.find('@') != std::string_view::npos) {
    return Status::invalidArgument("must not hold a user or password: give them apart");
  }
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {  // [v6]:port
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) return Status::invalidArgument("has a bad IPv6 address");
    out.host = std::string(authority.substr(1, close - 1));
    if (close + 1 < authority.size() && authority[close + 1] == ':') port = authority.substr(close + 2);
  } else {
    const size_t colon = authority.rfind(':');
    out.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
  }
  if (out.host.empty()) return Status::invalidArgument("has no host");
  if (!port.empty() || authority.ends_with(':')) {
    unsigned value = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc() || end != port.data() + port.size() || value == 0 || value > 65535) {
      return Status::invalidArgument("has a bad port");
    }
    out.port = std::string(port);
  }
  return out;
}

struct Exchange {
  const HttpUrl& url;
  const std::string& body;
  beast::error_code ec;
  std::string_view step;
  unsigned status = 0;
  std::string answer;

  Status failed() const {
    const std::string where = fmt::format("{}:{}", url.host, url.port);
    if (ec == beast::error::timeout) return Status::deadlineExceeded(fmt::format("ONVIF {}: {} timed out", where, step));
    if (ec == http::error::body_limit) {
      return Status::invalidArgument(fmt::format("ONVIF {}: answer larger than {} bytes", where, kMaxSoapBytes));
    }
    return Status::unavailable(fmt::format("ONVIF {}: {}: {}", where, step, ec.message()));
  }

  asio::awaitable<Status> run(std::chrono::milliseconds timeout) {
    auto executor = co_await asio::this_coro::executor;
    asio::ip::tcp::resolver resolver(executor);
    step = "resolve";
    auto endpoints =
        co_await resolver.async_resolve(url.host, url.port, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return failed();
    beast::tcp_stream tcp(executor);
    tcp.expires_after(timeout);  // the whole exchange: no step renews it
    step = "connect";
    co_await tcp.async_connect(endpoints, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return failed();
    http::request<http::string_body> req{http::verb::post, url.target, 11};
    req.set(http::field::host, url.host.find(':') == std::string::npos ? url.host : "[" + url.host + "]");
    req.set(http::field::user_agent, "vigil");
    req.set(http::field::content_type, "application/soap+xml; charset=utf-8");
    req.set(http::field::connection, "close");
    req.body() = body;
    req.prepare_payload();
    step = "send";
    co_await http::async_write(tcp, req, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return failed();
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(kMaxSoapBytes);
    step = "answer";
    co_await http::async_read_header(tcp, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return failed();
    // Refused on its Content-Length, before reading any of it (Beast 1.74's
    // parser was seen reading such a body whole despite body_limit).
    if (parser.content_length() && *parser.content_length() > kMaxSoapBytes) {
      ec = http::error::body_limit;
      co_return failed();
    }
    co_await http::async_read(tcp, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return failed();
    status = parser.get().result_int();
    answer = std::move(parser.get().body());
    co_return Status::ok();
  }
};

// A function, not a lambda: a coroutine lambda's captures die with the lambda.
asio::awaitable<void> runInto(Exchange& exchange, std::chrono::milliseconds timeout, Status& out) {
  out = co_await exchange.run(timeout);
}

WallTime now() {
  return WallTime::fromUnixMicros(
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count());
}

}  // namespace

Status checkDeviceUrl(std::string_view url) { return parseHttpUrl(url).status(); }

OnvifClient::OnvifClient(std::string deviceUrl, Credentials credentials, std::chrono::milliseconds timeout)
    : deviceUrl_(std::move(deviceUrl)), credentials_(std::move(credentials)), timeout_(timeout) {}

OnvifClient::~OnvifClient() = default;

Result<SoapDocument> OnvifClient::call(const std::string& address, const std::string& body) {
  auto url = parseHttpUrl(address);
  if (!url) return Status::invalidArgument(fmt::format("ONVIF: the device address {}", url.status().message()));
  const std::string envelope =
      soapEnvelope(securityHeader(credentials_.user, credentials_.password, now()), body);
  asio::io_context io;
  Exchange exchange{.url = *url, .body = envelope, .ec = {}, .step = {}};
  Status done = Status::internal("not run");
  asio::co_spawn(io, runInto(exchange, timeout_, done), asio::detached);
  io.run();
  VIGIL_RETURN_IF_ERROR(done);
  auto answer = SoapDocument::parse(exchange.answer);
  if (!answer) {
    // Cameras that want HTTP Digest instead of WS-Security answer 401 with no SOAP.
    if (exchange.status == 401) {
      return Status::permissionDenied("wrong user name or password (the device answered HTTP 401)");
    }
    return Status::invalidArgument(
        fmt::format("ONVIF {}:{}: HTTP {}: {}", url->host, url->port, exchange.status, answer.status().message()));
  }
  return answer;
}

Result<DeviceInformation> OnvifClient::deviceInformation() {
  auto answer = call(deviceUrl_, request::getDeviceInformation());
  if (!answer) return answer.status();
  return parseDeviceInformation(*answer);
}

Result<ServiceAddresses> OnvifClient::services() {
  if (services_) return *services_;
  auto answer = call(deviceUrl_, request::getServices());
  if (!answer) return answer.status();
  auto parsed = parseServiceAddresses(*answer);
  if (!parsed && parsed.status().code() == StatusCode::kFailedPrecondition) {
    answer = call(deviceUrl_, request::getCapabilities());
    if (!answer) return answer.status();
    parsed = parseServiceAddresses(*answer);
  }
  if (!parsed) return parsed.status();
  // A device that names no media service keeps it at its device address.
  if (parsed->media.empty()) parsed->media = deviceUrl_;
  services_ = *parsed;
  return *services_;
}

Result<std::vector<Profile>> OnvifClient::profiles() {
  auto addresses = services();
  if (!addresses) return addresses.status();
  auto answer = call(addresses->media, request::getProfiles());
  if (!answer) return answer.status();
  return parseProfiles(*answer);
}

Result<std::string> OnvifClient::streamUri(std::string_view profile) {
  auto addresses = services();
  if (!addresses) return addresses.status();
  auto answer = call(addresses->media, request::getStreamUri(profile));
  if (!answer) return answer.status();
  return parseMediaUri(*answer);
}

Result<std::string> OnvifClient::snapshotUri(std::string_view profile) {
  auto addresses = services();
  if (!addresses) return addresses.status();
  auto answer = call(addresses->media, request::getSnapshotUri(profile));
  if (!answer) return answer.status();
  return parseMediaUri(*answer);
}

Result<std::string> OnvifClient::ptzUrl() {
  auto addresses = services();
  if (!addresses) return addresses.status();
  if (addresses->ptz.empty()) return Status::failedPrecondition("the device has no PTZ service");
  return addresses->ptz;
}

Status OnvifClient::continuousMove(std::string_view profile, const PtzVelocity& velocity) {
  auto url = ptzUrl();
  if (!url) return url.status();
  auto answer = call(*url, request::continuousMove(profile, velocity));
  if (!answer) return answer.status();
  return parseEmptyAnswer(*answer);
}

Status OnvifClient::stop(std::string_view profile) {
  auto url = ptzUrl();
  if (!url) return url.status();
  auto answer = call(*url, request::stop(profile));
  if (!answer) return answer.status();
  return parseEmptyAnswer(*answer);
}

Status OnvifClient::gotoPreset(std::string_view profile, std::string_view preset) {
  auto url = ptzUrl();
  if (!url) return url.status();
  auto answer = call(*url, request::gotoPreset(profile, preset));
  if (!answer) return answer.status();
  return parseEmptyAnswer(*answer);
}

Result<std::string> OnvifClient::setPreset(std::string_view profile, std::string_view name) {
  auto url = ptzUrl();
  if (!url) return url.status();
  auto answer = call(*url, request::setPreset(profile, name));
  if (!answer) return answer.status();
  return parsePresetToken(*answer);
}

Result<std::vector<Preset>> OnvifClient::presets(std::string_view profile) {
  auto url = ptzUrl();
  if (!url) return url.status();
  auto answer = call(*url, request::getPresets(profile));
  if (!answer) return answer.status();
  return parsePresets(*answer);
}

Result<DeviceSummary> describeDevice(OnvifClient& client) {
  DeviceSummary out;
  out.address = client.deviceUrl();
  auto info = client.deviceInformation();
  if (!info) return info.status();
  out.info = *info;
  auto services = client.services();
  if (!services) return services.status();
  out.services = *services;
  auto profiles = client.profiles();
  if (!profiles) return profiles.status();
  std::stable_sort(profiles->begin(), profiles->end(), [](const Profile& a, const Profile& b) {
    return int64_t{a.width} * a.height > int64_t{b.width} * b.height;
  });
  for (Profile& profile : *profiles) {
    auto stream = client.streamUri(profile.token);
    if (!stream) return stream.status();
    auto snapshot = client.snapshotUri(profile.token);  // optional in ONVIF: none is no error
    out.profiles.push_back({.profile = std::move(profile),
                            .streamUri = std::move(*stream),
                            .snapshotUri = snapshot ? std::move(*snapshot) : std::string()});
  }
  return out;
}

}  // namespace vigil::onvif

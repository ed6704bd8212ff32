#include "link/tls_client.h"

#include <fmt/format.h>
#include <openssl/ssl.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

namespace vigil::link {

namespace asio = boost::asio;
namespace beast = boost::beast;

std::unique_ptr<asio::ssl::context> makeClientTlsContext() {
  auto tls = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_client);
  SSL_CTX_set_min_proto_version(tls->native_handle(), TLS1_3_VERSION);
  tls->set_verify_mode(asio::ssl::verify_none);  // see the header: the node keys are the trust
  return tls;
}

asio::awaitable<Result<TlsConnection>> connectTls(asio::ssl::context& tls, const HostPort& parent,
                                                  std::chrono::milliseconds timeout) {
  const std::string where = fmt::format("https://{}", parent.toString());
  auto executor = co_await asio::this_coro::executor;
  TlsConnection c;
  c.stream = std::make_unique<TlsStream>(executor, tls);
  beast::error_code ec;
  auto failed = [&](std::string_view step) -> Result<TlsConnection> {
    if (ec == beast::error::timeout) return Status::deadlineExceeded(fmt::format("{}: {} timed out", where, step));
    return Status::unavailable(fmt::format("{}: {}: {}", where, step, ec.message()));
  };
  asio::ip::tcp::resolver resolver(executor);
  auto endpoints = co_await resolver.async_resolve(parent.host, std::to_string(parent.port),
                                                   asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return failed("resolve");
  auto& tcp = beast::get_lowest_layer(*c.stream);
  tcp.expires_after(timeout);
  co_await tcp.async_connect(endpoints, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return failed("connect");
  // Frames go as soon as they are queued: with Nagle's algorithm, a
  // video frame's last chunk would wait for the parent's delayed ACK
  // (40 ms per hop, measured by bench/link.py).
  boost::system::error_code ignored;
  tcp.socket().set_option(asio::ip::tcp::no_delay(true), ignored);
  // SNI, for a parent behind a name-based TLS endpoint.
  SSL_set_tlsext_host_name(c.stream->native_handle(), parent.host.c_str());
  co_await c.stream->async_handshake(asio::ssl::stream_base::client, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return failed("TLS handshake");
  tcp.expires_never();
  static constexpr std::string_view kLabel = "EXPORTER-Channel-Binding";
  if (SSL_export_keying_material(c.stream->native_handle(), c.binding.data(), c.binding.size(), kLabel.data(),
                                 kLabel.size(), nullptr, 0, 0) != 1) {
    co_return Status::internal(fmt::format("{}: no TLS exporter", where));
  }
  co_return c;
}

asio::awaitable<Result<HttpAnswer>> postJson(TlsStream& stream, const std::string& host, const std::string& target,
                                             std::string body, std::chrono::milliseconds timeout,
                                             const std::string& bearer) {
  namespace bhttp = beast::http;
  bhttp::request<bhttp::string_body> req{bhttp::verb::post, target, 11};
  req.set(bhttp::field::host, host);
  req.set(bhttp::field::content_type, "application/json");
  req.set(bhttp::field::user_agent, "vigil-link");
  if (!bearer.empty()) req.set(bhttp::field::authorization, "Bearer " + bearer);
  req.body() = std::move(body);
  req.prepare_payload();
  beast::error_code ec;
  beast::get_lowest_layer(stream).expires_after(timeout);
  co_await bhttp::async_write(stream, req, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return Status::unavailable(fmt::format("sending {}: {}", target, ec.message()));
  beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(64 * 1024);
  co_await bhttp::async_read(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return Status::unavailable(fmt::format("reading the answer to {}: {}", target, ec.message()));
  co_return HttpAnswer{static_cast<int>(parser.get().result_int()), parser.get().body()};
}

}  // namespace vigil::link

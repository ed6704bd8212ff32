#include "notify/http_post.h"

#include <fmt/format.h>
#include <openssl/ssl.h>

#include <utility>  // before awaitable.hpp, which uses std::exchange

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

namespace vigil::notify {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

constexpr size_t kMaxAnswerBytes = 64 * 1024;

struct Exchange {
  const WebhookUrl& url;
  const HttpHeaders& headers;
  const std::string& body;
  beast::error_code ec;
  std::string_view step;

  Result<unsigned> failed() const {
    const std::string where = fmt::format("{}:{}", url.host, url.port);
    if (ec == beast::error::timeout) return Status::deadlineExceeded(fmt::format("{}: {} timed out", where, step));
    return Status::unavailable(fmt::format("{}: {}: {}", where, step, ec.message()));
  }

  template <typename Stream>
  asio::awaitable<Result<unsigned>> send(Stream& stream) {
    http::request<http::string_body> req{http::verb::post, url.target, 11};
    req.set(http::field::host, url.host);
    req.set(http::field::user_agent, "vigil");
    req.set(http::field::content_type, "application/json");
    for (const auto& [name, value] : headers) req.set(name, value);
    req.body() = body;
    req.prepare_payload();
    step = "send";
    co_await http::async_write(stream, req, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return failed();
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> answer;
    answer.body_limit(kMaxAnswerBytes);
    step = "answer";
    co_await http::async_read(stream, buffer, answer, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return failed();
    co_return answer.get().result_int();
  }

  asio::awaitable<Result<unsigned>> run(std::chrono::milliseconds timeout) {
    auto executor = co_await asio::this_coro::executor;
    asio::ip::tcp::resolver resolver(executor);
    step = "resolve";
    auto endpoints = co_await resolver.async_resolve(url.host, std::to_string(url.port),
                                                     asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return failed();
    beast::tcp_stream tcp(executor);
    tcp.expires_after(timeout);  // the whole exchange: no op renews it
    step = "connect";
    co_await tcp.async_connect(endpoints, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return failed();
    boost::system::error_code ignored;
    tcp.socket().set_option(asio::ip::tcp::no_delay(true), ignored);
    if (!url.tls) co_return co_await send(tcp);
    asio::ssl::context tls(asio::ssl::context::tls_client);
    tls.set_default_verify_paths(ignored);  // none: the handshake fails and says so
    tls.set_verify_mode(asio::ssl::verify_peer);
    beast::ssl_stream<beast::tcp_stream> stream(std::move(tcp), tls);
    SSL_set_tlsext_host_name(stream.native_handle(), url.host.c_str());  // SNI
    SSL_set1_host(stream.native_handle(), url.host.c_str());             // the certificate must name it
    step = "TLS handshake";
    co_await stream.async_handshake(asio::ssl::stream_base::client, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return failed();
    co_return co_await send(stream);
  }
};

// A function, not a lambda: a coroutine lambda's captures die with the lambda.
asio::awaitable<void> runInto(Exchange& exchange, std::chrono::milliseconds timeout, Result<unsigned>& out) {
  out = co_await exchange.run(timeout);
}

}  // namespace

Result<unsigned> postJson(const WebhookUrl& url, const HttpHeaders& headers, const std::string& body,
                          std::chrono::milliseconds timeout) {
  asio::io_context io;
  Exchange exchange{.url = url, .headers = headers, .body = body, .ec = {}, .step = {}};
  Result<unsigned> out = Status::internal("not run");
  asio::co_spawn(io, runInto(exchange, timeout, out), asio::detached);
  io.run();
  return out;
}

}  // namespace vigil::notify

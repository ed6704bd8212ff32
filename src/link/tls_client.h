#pragma once
// The child's TLS connection to its parent, for enrolment and for the link
// itself. The parent's certificate is not checked against any CA (a
// self-signed one is normal): trust comes from the parent's pinned node
// key, which signs this connection's channel binding (design/LINK.md,
// "Trust"). TLS 1.3 only, so the binding is RFC 9266's tls-exporter.

#include <utility>  // before awaitable.hpp, which uses std::exchange

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <chrono>
#include <memory>
#include <string>

#include "base/config.h"
#include "base/status.h"
#include "link/proof.h"

namespace vigil::link {

using TlsStream = boost::beast::ssl_stream<boost::beast::tcp_stream>;

std::unique_ptr<boost::asio::ssl::context> makeClientTlsContext();

struct TlsConnection {
  std::unique_ptr<TlsStream> stream;
  ChannelBinding binding{};
};

// Resolves, connects and shakes hands within `timeout`. Unavailable or
// DeadlineExceeded naming the address and what failed.
boost::asio::awaitable<Result<TlsConnection>> connectTls(boost::asio::ssl::context& tls, const HostPort& parent,
                                                         std::chrono::milliseconds timeout);

struct HttpAnswer {
  int status = 0;
  std::string body;  // at most 64 KiB
};

// POSTs `body` (JSON) to `target` over the connection, with `bearer` as
// an Authorization token when not empty, and reads the answer, all within
// `timeout`. Unavailable naming the target when the exchange fails.
boost::asio::awaitable<Result<HttpAnswer>> postJson(TlsStream& stream, const std::string& host,
                                                     const std::string& target, std::string body,
                                                     std::chrono::milliseconds timeout, const std::string& bearer = "");

}  // namespace vigil::link

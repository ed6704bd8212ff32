#include "base/net.h"

#include <fmt/format.h>

namespace vigil {

Status listenOn(boost::asio::ip::tcp::acceptor& acceptor, const HostPort& address) {
  using boost::asio::ip::tcp;
  boost::system::error_code ec;
  const auto ip = boost::asio::ip::make_address(address.host, ec);
  if (ec) return Status::invalidArgument(fmt::format("\"{}\" is not an IP address", address.host));
  const tcp::endpoint endpoint(ip, address.port);
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(boost::asio::socket_base::max_listen_connections, ec);
  if (ec) {
    boost::system::error_code ignored;
    acceptor.close(ignored);
    return Status::unavailable(fmt::format("cannot listen on {}: {}", address.toString(), ec.message()));
  }
  return Status::ok();
}

}  // namespace vigil

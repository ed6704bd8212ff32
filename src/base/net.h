#pragma once
// Small socket helpers shared by every server (RTSP, HTTP).

#include <boost/asio/ip/tcp.hpp>

#include "base/config.h"
#include "base/status.h"

namespace vigil {

// Opens, binds (SO_REUSEADDR) and listens `acceptor` on `address`. A bad
// address is InvalidArgument; a taken port is Unavailable with the reason
// ("cannot listen on 127.0.0.1:8554: Address already in use"). On failure
// the acceptor is left closed.
Status listenOn(boost::asio::ip::tcp::acceptor& acceptor, const HostPort& address);

}  // namespace vigil

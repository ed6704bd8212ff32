#pragma once
// Readiness for systemd's Type=notify services (sd_notify(3)'s protocol,
// without libsystemd): one datagram such as "READY=1" to the unix socket
// named by $NOTIFY_SOCKET, a path or, starting with '@', an abstract name.

#include <string_view>

namespace vigil::app {

// Sends `state` when $NOTIFY_SOCKET is set; does nothing otherwise. A send
// that fails is logged, never fatal: vigil runs the same without systemd.
void notifySystemd(std::string_view state);

}  // namespace vigil::app

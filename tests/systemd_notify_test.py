"""`vigil serve` tells systemd it is ready (Type=notify, design/PACKAGING.md):
READY=1 once its HTTP port listens and a first run's admin password is
printed, STOPPING=1 on SIGTERM; sent to $NOTIFY_SOCKET, a path or an
abstract name ('@'), as sd_notify(3) does. Here a unix datagram socket of
the test stands in for systemd."""
import os
import socket
import unittest

from vigil_testlib import VIGIL, Process, free_port, temp_dir

TIMEOUT = 60


class SystemdNotify(unittest.TestCase):
    def serve_with_notify(self, d, notify_socket):
        port = free_port()
        path = os.path.join(d, "vigil.toml")
        with open(path, "w") as f:
            f.write(f'[node]\nname = "t"\ndata_dir = "{d}/data"\n[http]\nlisten = "127.0.0.1:{port}"\n')
        return port, Process([VIGIL, "serve", "--config", path], env={"NOTIFY_SOCKET": notify_socket})

    def check_ready_then_stopping(self, listener, notify_socket):
        with temp_dir() as d:
            port, p = self.serve_with_notify(d, notify_socket)
            try:
                listener.settimeout(TIMEOUT)
                self.assertEqual(listener.recv(4096), b"READY=1")
                # Ready means listening, with the first run's password printed.
                socket.create_connection(("127.0.0.1", port), timeout=10).close()
                p.wait_for_line(r"admin password: \S+")
                p.proc.terminate()
                self.assertEqual(listener.recv(4096), b"STOPPING=1")
            finally:
                self.assertEqual(p.stop(), 0)

    def test_ready_and_stopping_on_a_socket_path(self):
        with temp_dir() as d, socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as listener:
            path = os.path.join(d, "notify")
            listener.bind(path)
            self.check_ready_then_stopping(listener, path)

    def test_ready_and_stopping_on_an_abstract_socket(self):
        name = f"vigil-notify-test-{os.getpid()}"
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as listener:
            listener.bind("\0" + name)
            self.check_ready_then_stopping(listener, "@" + name)

    def test_a_socket_that_is_gone_does_not_stop_serve(self):
        with temp_dir() as d:
            port, p = self.serve_with_notify(d, os.path.join(d, "no-such-socket"))
            try:
                p.wait_for_line(r"systemd\.notify\.failed ", stream="stderr")
                socket.create_connection(("127.0.0.1", port), timeout=10).close()
            finally:
                self.assertEqual(p.stop(), 0)


if __name__ == "__main__":
    unittest.main()

"""Helpers for tests that drive the built `vigil` binary and real peers.

Every process started here is stopped by its PID (terminate, then kill after
a bounded wait), and every wait is bounded in time.
"""
import os
import re
import socket
import subprocess
import tempfile
import threading
import time

VIGIL = os.environ.get("VIGIL_BIN", "vigil")
# Sanitized builds are slow; every timeout below is generous but bounded.
TIMEOUT = 60


class Process:
    """A child process whose output is collected by reader threads."""

    def __init__(self, args, env=None):
        self.args = args
        self.proc = subprocess.Popen(
            args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
            env={**os.environ, **(env or {})}, text=True)
        self.stdout_lines = []
        self.stderr_lines = []
        self._cond = threading.Condition()
        self._threads = [
            threading.Thread(target=self._read, args=(self.proc.stdout, self.stdout_lines), daemon=True),
            threading.Thread(target=self._read, args=(self.proc.stderr, self.stderr_lines), daemon=True),
        ]
        for t in self._threads:
            t.start()

    def _read(self, stream, sink):
        for line in stream:
            with self._cond:
                sink.append(line.rstrip("\n"))
                self._cond.notify_all()

    def wait_for_line(self, pattern, timeout=TIMEOUT, stream="stdout", since=0):
        """Returns the first match of `pattern` in a line of the stream,
        looking only at lines from index `since` on."""
        regex = re.compile(pattern)
        sink = self.stdout_lines if stream == "stdout" else self.stderr_lines
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for line in sink[since:]:
                    m = regex.search(line)
                    if m:
                        return m
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self.proc.poll() is not None:
                    raise AssertionError(
                        f"no line matching {pattern!r} from {self.args[:3]} "
                        f"(exit {self.proc.poll()}):\n" + "\n".join(sink + self.stderr_lines[-20:]))
                self._cond.wait(min(remaining, 0.2))

    def stop(self, timeout=20):
        """SIGTERM, then SIGKILL; returns the exit code."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout)
        for t in self._threads:
            t.join(5)
        for f in (self.proc.stdout, self.proc.stderr):
            f.close()
        return self.proc.returncode


def run(args, timeout=TIMEOUT, env=None):
    """Runs a command to completion; returns CompletedProcess (text)."""
    return subprocess.run(args, capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL, env={**os.environ, **(env or {})})


def start_testcam(*extra):
    """Starts `vigil testcam` on a free loopback port; returns (process, base URL)."""
    p = Process([VIGIL, "testcam", "--listen", "127.0.0.1:0", *extra])
    m = p.wait_for_line(r"at (rtsp://127\.0\.0\.1:\d+)/cam/0", timeout=120)
    return p, m.group(1)


def ffprobe_stream(url, transport="tcp"):
    r = run(["ffprobe", "-v", "error", "-rtsp_transport", transport, "-show_entries",
             "stream=codec_name,width,height,r_frame_rate", "-of", "default=noprint_wrappers=1", url])
    if r.returncode != 0:
        raise AssertionError(f"ffprobe failed: {r.stderr}")
    return dict(line.split("=", 1) for line in r.stdout.split())


def exchange_raw(port, data, timeout=10):
    """Sends raw bytes to 127.0.0.1:port, half-closes, and returns everything
    the server answers before it closes or goes quiet for `timeout`."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        try:
            s.sendall(data)
            s.shutdown(socket.SHUT_WR)
        except OSError:
            pass  # the server may answer and close before it read everything
        chunks = []
        try:
            while True:
                b = s.recv(65536)
                if not b:
                    break
                chunks.append(b)
        except (socket.timeout, ConnectionResetError):
            pass
        return b"".join(chunks)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def temp_dir():
    return tempfile.TemporaryDirectory(prefix="vigil-test-")

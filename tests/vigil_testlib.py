"""Helpers for tests that drive the built `vigil` binary and real peers.

Every process started here is stopped by its PID (terminate, then kill after
a bounded wait), and every wait is bounded in time.
"""
import collections
import hashlib
import json
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import unittest
import urllib.error
import urllib.request

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


def call(base, method, path, body=None, token=None, headers=None):
    """Returns (status, headers, parsed JSON or text)."""
    data = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
    req = urllib.request.Request(base + path, data=data, method=method)
    if token:
        req.add_header("Authorization", "Bearer " + token)
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            status, hdrs, text = r.status, r.headers, r.read().decode()
    except urllib.error.HTTPError as e:
        status, hdrs, text = e.code, e.headers, e.read().decode()
    try:
        return status, hdrs, json.loads(text)
    except ValueError:
        return status, hdrs, text


# A `vigil serve` with its admin logged in: the process (the caller stops it
# by its PID), its base URL, the admin's password and session token.
Served = collections.namedtuple("Served", "process url password token")


def serve_logged_in(config, password=None):
    """Starts `vigil serve --config config` and logs its admin in. The URL
    is of the port the node says it listens on (so a config may listen on
    127.0.0.1:0, no port picked ahead that another process could take).
    `password`: the admin's from an earlier start (printed on the first only)."""
    p = Process([VIGIL, "serve", "--config", config])
    try:
        if password is None:
            password = p.wait_for_line(r"admin password: (\S+)").group(1)
        port = p.wait_for_line(r"serve\.http .*port=(\d+)", stream="stderr").group(1)
        url = f"http://127.0.0.1:{port}"
        status, _, body = call(url, "POST", "/api/v1/login", {"user": "admin", "password": password})
        assert status == 200, (status, body)
    except BaseException:
        p.stop()
        raise
    return Served(p, url, password, body["token"])


def assert_check_clean(test, data):
    """`vigil check` of the data directory `data` finds no problem; returns what it printed."""
    r = run([VIGIL, "check", "--data", data])
    test.assertEqual(r.returncode, 0, r.stdout + r.stderr)
    test.assertIn("0 problems", r.stdout)
    return r.stdout


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def temp_dir():
    return tempfile.TemporaryDirectory(prefix="vigil-test-")


PG_BIN = "/usr/lib/postgresql/15/bin"


class Postgres:
    """A PostgreSQL server for one test class: initdb into a temporary
    directory, postgres listening only on a unix socket there (as the
    unprivileged `postgres` user when we are root), stopped by its PID.
    Raises unittest.SkipTest only when the server binaries are missing."""

    USER = "vigil"

    def __init__(self):
        if not (os.access(f"{PG_BIN}/initdb", os.X_OK) and os.access(f"{PG_BIN}/postgres", os.X_OK)):
            raise unittest.SkipTest(f"PostgreSQL is not installed (no initdb and postgres in {PG_BIN})")
        self.dir = tempfile.mkdtemp(prefix="vigil-pg-")
        # SIGKILL to the server if this process dies before stop().
        prefix = ["/usr/bin/setpriv", "--pdeathsig=KILL"]
        if os.geteuid() == 0:
            try:
                pw = pwd.getpwnam("postgres")
            except KeyError:
                pw = pwd.getpwnam("nobody")
            os.chown(self.dir, pw.pw_uid, pw.pw_gid)
            prefix += [f"--reuid={pw.pw_uid}", f"--regid={pw.pw_gid}", "--clear-groups"]
        r = run(prefix + [f"{PG_BIN}/initdb", "-D", f"{self.dir}/data", "-U", self.USER, "--auth=trust",
                          "--no-sync", "--encoding=UTF8", "--locale=C.UTF-8"], timeout=120)
        if r.returncode != 0:
            shutil.rmtree(self.dir, ignore_errors=True)
            raise AssertionError("initdb failed:\n" + r.stdout + r.stderr)
        self.log = open(f"{self.dir}/postgres.log", "w")
        self.proc = subprocess.Popen(
            prefix + [f"{PG_BIN}/postgres", "-D", f"{self.dir}/data", "-k", self.dir, "-c", "listen_addresses=",
                      "-c", "fsync=off", "-c", "shared_buffers=16MB", "-c", "max_connections=40"],
            stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 120
        while run(["pg_isready", "-q", "-h", self.dir, "-U", self.USER, "-d", "postgres"]).returncode != 0:
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise AssertionError("postgres did not start")
            time.sleep(0.1)

    def uri(self, database):
        return f"postgresql:///{database}?host={self.dir}&user={self.USER}"

    def sql(self, database, statement):
        """Runs SQL with psql; returns its unaligned output."""
        r = run(["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-h", self.dir, "-U", self.USER,
                 "-d", database, "-c", statement])
        if r.returncode != 0:
            raise AssertionError(f"psql {statement!r}: {r.stderr}")
        return r.stdout

    def create_database(self, name):
        self.sql("postgres", f"CREATE DATABASE {name}")
        return self.uri(name)

    def stop(self):
        """SIGINT (fast shutdown), then SIGKILL after a bounded wait."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(30)
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


# The audit chain as an intruder with a script recomputes it (design/AUDIT.md).
def chain_hash(prev_hex, row):
    """access::chainHash: SHA-256(raw prev ‖ canonical row), each field
    written <length>:<bytes>,"""
    content = b""
    for field in (str(row["seq"]), str(row["at"]), row["user"], row["action"], row["camera"], row["client"],
                  row["detail"]):
        data = field.encode()
        content += str(len(data)).encode() + b":" + data + b","
    return hashlib.sha256(bytes.fromhex(prev_hex) + content).hexdigest()


AUDIT_COLUMNS = ["seq", "at", "user", "action", "camera", "client", "detail", "prev_hash", "hash", "signer"]


def rechained(rows, from_seq, edit):
    """The rows from `from_seq` on, the first edited, every hash recomputed
    so that each link holds again: what a short script does."""
    prev = next((r["hash"] for r in rows if r["seq"] == from_seq - 1), "0" * 64)
    out = []
    for r in rows:
        if r["seq"] < from_seq:
            continue
        r = dict(r)
        if r["seq"] == from_seq:
            edit(r)
        r["prev_hash"] = prev
        r["hash"] = chain_hash(prev, r)
        prev = r["hash"]
        out.append(r)
    return out

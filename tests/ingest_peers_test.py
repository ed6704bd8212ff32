"""vigil's RTSP ingest client against cameras nobody here wrote (GStreamer's
RTSP server, VLC) and vigil testcam, directly and through a fault-injecting
proxy. `vigil probe` plays one session and prints a JSON summary; `vigil
serve` shows reconnects in its log."""
import datetime
import json
import os
import pwd
import re
import socket
import subprocess
import sys
import time
import unittest

from vigil_testlib import VIGIL, Process, run, start_testcam, temp_dir

HERE = os.path.dirname(os.path.abspath(__file__))
GST_SERVER = os.path.join(HERE, "peers", "gst_rtsp_server.py")
PROXY = os.path.join(HERE, "peers", "fault_proxy.py")


def probe(url, *args, timeout=60):
    r = run([VIGIL, "probe", url, "--timeout", "30", *args], timeout=timeout)
    try:
        summary = json.loads(r.stdout.strip().splitlines()[-1])
    except (IndexError, json.JSONDecodeError):
        raise AssertionError(f"probe printed no summary (exit {r.returncode}):\n{r.stdout}\n{r.stderr[-3000:]}")
    summary["exit"] = r.returncode
    summary["log"] = r.stderr
    return summary


def start_gst(*args):
    p = Process(["/usr/bin/python3", GST_SERVER, "--port", "0", *args])
    m = p.wait_for_line(r"READY (rtsp://\S+)")
    return p, m.group(1)


def start_proxy(upstream_port, *args):
    p = Process([sys.executable, PROXY, "--upstream", f"127.0.0.1:{upstream_port}", "--port", "0",
                 "--control-port", "0", *args])
    m = p.wait_for_line(r"READY (\d+) (\d+)")
    return p, int(m.group(1)), int(m.group(2))


def control(port, command):
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall((command + "\n").encode())
        answer = s.makefile().readline()
    if not answer.startswith("OK"):
        raise AssertionError(f"proxy refused {command!r}: {answer}")


def log_time(line):
    """Seconds since the epoch of a vigil log line ("2026-11-22T21:40:01.123Z ...")."""
    stamp = line.split(" ", 1)[0]
    return datetime.datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ").replace(
        tzinfo=datetime.timezone.utc).timestamp()


def port_of(url):
    return int(url.split("://", 1)[1].split("/", 1)[0].rsplit(":", 1)[1])


class Testcam(unittest.TestCase):
    """vigil testcam read back through vigil's own client."""

    def test_h264_and_h265_over_tcp_and_udp(self):
        for codec in ("h264", "h265"):
            cam, base = start_testcam("--codec", codec, "--size", "320x240", "--fps", "10", "--gop", "10",
                                      "--loop-seconds", "2", "--bitrate", "300")
            try:
                for transport in ("tcp", "udp"):
                    s = probe(base + "/cam/0", "--transport", transport, "--frames", "30")
                    self.assertEqual(s["exit"], 0, s)
                    self.assertEqual((s["codec"], s["transport"], s["width"], s["height"]),
                                     (codec, transport, 320, 240))
                    self.assertTrue(s["pts_strictly_increasing"])
                    self.assertGreaterEqual(s["keyframes"], 3)
                    self.assertAlmostEqual(s["media_seconds"], 2.9, delta=0.01)
                    self.assertEqual(s["packets_lost"], 0)
                    # Every frame carried testcam's send-time SEI.
                    self.assertIn("send_time_latency_ms", s)
            finally:
                self.assertEqual(cam.stop(), 0)


class GStreamerCamera(unittest.TestCase):
    """GStreamer's RTSP server: H.264 and H.265, Digest auth, TCP-only and UDP-only."""

    def check(self, server_args, probe_args=(), codec="h264"):
        server, url = start_gst("--codec", codec, *server_args)
        try:
            return probe(url, "--frames", "20", *probe_args)
        finally:
            server.stop()

    def test_h264_tcp(self):
        s = self.check([])
        self.assertEqual(s["exit"], 0, s)
        self.assertEqual((s["codec"], s["transport"], s["width"], s["height"]), ("h264", "tcp", 320, 240))
        self.assertTrue(s["pts_strictly_increasing"])

    def test_h265_udp(self):
        s = self.check([], ["--transport", "udp"], codec="h265")
        self.assertEqual(s["exit"], 0, s)
        self.assertEqual((s["codec"], s["transport"], s["width"]), ("h265", "udp", 320))

    def test_digest_auth_with_credentials_in_the_url(self):
        server, url = start_gst("--user", "admin", "--password", "s3cret!")
        try:
            good = probe(url.replace("rtsp://", "rtsp://admin:s3cret%21@"), "--frames", "10")
            self.assertEqual(good["exit"], 0, good)
            bad = probe(url.replace("rtsp://", "rtsp://admin:pw-XYZZY@"), "--frames", "10")
            self.assertNotEqual(bad["exit"], 0)
            self.assertIn("401", bad["error"])
            self.assertNotIn("XYZZY", bad["log"])  # credentials are never logged
            none = probe(url, "--frames", "10")
            self.assertIn("no credentials given", none["error"])
        finally:
            server.stop()

    def test_digest_auth_with_credentials_as_options(self):
        s = self.check(["--user", "u", "--password", "p", "--codec", "h265"], ["--user", "u", "--password", "p"])
        self.assertEqual(s["exit"], 0, s)

    def test_udp_only_camera_gets_udp_after_461(self):
        s = self.check(["--protocols", "udp"])
        self.assertEqual(s["exit"], 0, s)
        self.assertEqual(s["transport"], "udp")

    def test_tcp_only_camera(self):
        s = self.check(["--protocols", "tcp"])
        self.assertEqual((s["exit"], s["transport"]), (0, "tcp"), s)

    def test_sdp_without_parameter_sets_learns_them_in_band(self):
        for codec in ("h264", "h265"):
            s = self.check(["--no-sprop"], codec=codec)
            self.assertEqual(s["exit"], 0, s)
            self.assertEqual((s["width"], s["height"]), (320, 240))


def ensure_user(name):
    try:
        pwd.getpwnam(name)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", name],
                       check=True, timeout=30)


@unittest.skipIf(os.geteuid() != 0, "needs root to run VLC as another user")
class VlcCamera(unittest.TestCase):
    """VLC's RTSP output: a UDP-only camera that answers 461 to TCP."""

    def test_tcp_client_falls_back_to_udp(self):
        ensure_user("vigil-vlc")
        with temp_dir() as d:
            os.chmod(d, 0o755)
            clip = os.path.join(d, "clip.mp4")
            r = run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc=size=320x240:rate=10", "-t", "4",
                     "-c:v", "libx264", "-g", "10", "-pix_fmt", "yuv420p", clip])
            self.assertEqual(r.returncode, 0, r.stderr)
            os.chmod(clip, 0o644)
            with socket.socket() as s:
                s.bind(("127.0.0.1", 0))
                port = s.getsockname()[1]
            # "gather:" keeps one RTP track across --loop passes. Without it VLC
            # removes the track at each end of file and adds a new one
            # (trackID=1, 2, ...), so a session set up on one track gets no more
            # media once that pass ends: the probe's 20 frames (2 s) then only
            # arrived if PLAY landed in the first 2 s of a 4 s pass, and as each
            # retry takes about 12 s (3 passes) every retry hit the same phase.
            vlc = Process(["runuser", "-u", "vigil-vlc", "--", "cvlc", "-I", "dummy", "--no-audio", clip,
                           "--sout", f"#gather:rtp{{sdp=rtsp://127.0.0.1:{port}/x}}", "--sout-keep", "--loop"])
            try:
                deadline = time.monotonic() + 30
                while time.monotonic() < deadline:
                    try:
                        socket.create_connection(("127.0.0.1", port), timeout=1).close()
                        break
                    except OSError:
                        time.sleep(0.2)
                # VLC listens before its stream is ready; under load the first
                # DESCRIBE can come too early, so a few tries are allowed.
                for attempt in range(4):
                    s = probe(f"rtsp://127.0.0.1:{port}/x", "--frames", "20")
                    if s["exit"] == 0:
                        break
                    time.sleep(2)
                self.assertEqual(s["exit"], 0, s)
                self.assertEqual((s["transport"], s["width"], s["height"]), ("udp", 320, 240))
            finally:
                vlc.stop()


class Faults(unittest.TestCase):
    """Faults injected between client and camera."""

    @classmethod
    def setUpClass(cls):
        cls.cam, cls.base = start_testcam("--size", "320x240", "--fps", "10", "--gop", "10",
                                          "--loop-seconds", "2", "--bitrate", "300")

    @classmethod
    def tearDownClass(cls):
        cls.cam.stop()

    def test_udp_loss_is_counted_and_the_stream_goes_on(self):
        proxy, port, ctl = start_proxy(port_of(self.base), "--udp", "--udp-loss", "0.05", "--seed", "7")
        try:
            s = probe(f"rtsp://127.0.0.1:{port}/cam/0", "--transport", "udp", "--frames", "60")
            self.assertEqual(s["exit"], 0, s)
            self.assertGreater(s["packets_lost"], 0)
            self.assertTrue(s["pts_strictly_increasing"])
        finally:
            proxy.stop()

    def test_udp_delay_and_reorder_are_absorbed(self):
        proxy, port, ctl = start_proxy(port_of(self.base), "--udp", "--udp-delay-ms", "30",
                                       "--udp-reorder", "0.1", "--seed", "3")
        try:
            s = probe(f"rtsp://127.0.0.1:{port}/cam/0", "--transport", "udp", "--frames", "40")
            self.assertEqual(s["exit"], 0, s)
            self.assertEqual(s["packets_lost"], 0, s)
            self.assertEqual(s["access_units_dropped"], 0, s)
        finally:
            proxy.stop()

    def test_blocked_udp_falls_back_to_tcp(self):
        proxy, port, ctl = start_proxy(port_of(self.base), "--udp", "--udp-loss", "1")
        try:
            s = probe(f"rtsp://127.0.0.1:{port}/cam/0", "--transport", "udp", "--frames", "10")
            self.assertEqual(s["exit"], 0, s)
            self.assertEqual(s["transport"], "tcp")
            self.assertIn("transport_fallback", s["log"])
        finally:
            proxy.stop()

    def test_stalled_connection_times_out_and_reconnects(self):
        proxy, port, ctl = start_proxy(port_of(self.base))
        with temp_dir() as d:
            config = os.path.join(d, "vigil.toml")
            with open(config, "w") as f:
                f.write(f'[[camera]]\nid = "gate"\nurl = "rtsp://127.0.0.1:{port}/cam/0"\n')
            serve = Process([VIGIL, "serve", "--config", config])
            try:
                serve.wait_for_line(r"camera\.state camera=gate state=streaming", stream="stderr")
                control(ctl, "stall")
                # The media timeout (10 s) fires; the camera says why and retries.
                serve.wait_for_line(r'state=retrying reason=".*no media for 10\.0 s', timeout=30, stream="stderr")
                lines = len(serve.stderr_lines)
                control(ctl, "resume")
                control(ctl, "drop")  # the stalled connection is gone; new ones pass
                serve.wait_for_line(r"camera\.state camera=gate state=streaming", timeout=30, stream="stderr",
                                    since=lines)
            finally:
                self.assertEqual(serve.stop(), 0)
                proxy.stop()


class Restart(unittest.TestCase):
    def test_camera_restart_is_recovered_within_the_backoff_bound(self):
        cam, base = start_testcam("--size", "320x240", "--fps", "10", "--gop", "10", "--loop-seconds", "1")
        port = port_of(base)
        with temp_dir() as d:
            config = os.path.join(d, "vigil.toml")
            with open(config, "w") as f:
                f.write(f'[[camera]]\nid = "door"\nurl = "rtsp://127.0.0.1:{port}/cam/0"\n')
            serve = Process([VIGIL, "serve", "--config", config])
            try:
                serve.wait_for_line(r"camera=door state=streaming", stream="stderr")
                cam.stop()
                serve.wait_for_line(r'camera=door state=retrying reason=".*(closed|failed)', timeout=20,
                                    stream="stderr")
                time.sleep(2)  # a few refused retries while the camera is down
                cam = Process([VIGIL, "testcam", "--listen", f"127.0.0.1:{port}", "--size", "320x240",
                               "--fps", "10", "--gop", "10", "--loop-seconds", "1"])
                cam.wait_for_line(r"serving", timeout=120)
                since = len(serve.stderr_lines)
                deadline = time.monotonic() + 40
                while not any("state=streaming" in l for l in serve.stderr_lines[since:]):
                    self.assertLess(time.monotonic(), deadline, "\n".join(serve.stderr_lines[-20:]))
                    time.sleep(0.1)
                # Recovery comes with the first retry after the camera is back:
                # by the time of the last retry scheduled before streaming
                # resumed, plus a second for the handshake. Every delay stays
                # within the 30 s cap.
                lines = serve.stderr_lines
                back = next(i for i in range(since, len(lines)) if "state=streaming" in lines[i])
                retries = [l for l in lines[:back] if "camera.retry camera=door" in l]
                delays = [int(re.search(r"in_ms=(\d+)", l).group(1)) for l in retries]
                self.assertTrue(all(d <= 30000 for d in delays), delays)
                last_retry = log_time(retries[-1])
                self.assertLessEqual(log_time(lines[back]) - last_retry, delays[-1] / 1000 + 1.0,
                                     "\n".join(lines[-20:]))
            finally:
                self.assertEqual(serve.stop(), 0)
                cam.stop()


if __name__ == "__main__":
    unittest.main()

"""vigil's RTSP ingest client against cameras nobody here wrote (GStreamer's
RTSP server, VLC) and vigil testcam, directly and through a fault-injecting
proxy. `vigil probe` plays one session and prints a JSON summary; `vigil
serve` shows reconnects in its log."""
import json
import os
import pwd
import re
import socket
import subprocess
import sys
import time
import unittest

from vigil_testlib import TIMEOUT, VIGIL, Process, free_port, run, start_testcam, temp_dir

HERE = os.path.dirname(os.path.abspath(__file__))
GST_SERVER = os.path.join(HERE, "peers", "gst_rtsp_server.py")
PROXY = os.path.join(HERE, "peers", "fault_proxy.py")
STORAGE_TOOL = os.path.join(os.path.dirname(os.path.dirname(VIGIL)), "storage", "vigil_storage_tool")


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


def start_vlc(d, clip_args, seconds, gop):
    """VLC serving a clip made by ffmpeg's libx264 from testsrc, looped, on a
    free port of 127.0.0.1, as an unprivileged user; returns (process, URL)
    once it accepts connections."""
    ensure_user("vigil-vlc")
    os.chmod(d, 0o755)
    clip = os.path.join(d, "clip.mp4")
    r = run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", clip_args, "-t", str(seconds), "-c:v", "libx264",
             "-preset", "veryfast", "-g", str(gop), "-pix_fmt", "yuv420p", clip], timeout=300)
    if r.returncode != 0:
        raise AssertionError(r.stderr)
    os.chmod(clip, 0o644)
    port = free_port()
    # "gather:" keeps one RTP track across --loop passes. Without it VLC
    # removes the track at each end of file and adds a new one
    # (trackID=1, 2, ...), so a session set up on one track gets no more
    # media once that pass ends.
    vlc = Process(["runuser", "-u", "vigil-vlc", "--", "cvlc", "-I", "dummy", "--no-audio", clip,
                   "--sout", f"#gather:rtp{{sdp=rtsp://127.0.0.1:{port}/x}}", "--sout-keep", "--loop"])
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.2)
    return vlc, f"rtsp://127.0.0.1:{port}/x"


@unittest.skipIf(os.geteuid() != 0, "needs root to run VLC as another user")
class VlcCamera(unittest.TestCase):
    """VLC's RTSP output: a UDP-only camera that answers 461 to TCP."""

    def test_tcp_client_falls_back_to_udp(self):
        with temp_dir() as d:
            vlc, url = start_vlc(d, "testsrc=size=320x240:rate=10", 4, 10)
            try:
                # VLC listens before its stream is ready; under load the first
                # DESCRIBE can come too early, so it is asked again (bounded).
                deadline = time.monotonic() + TIMEOUT
                while (s := probe(url, "--frames", "20"))["exit"] != 0 and time.monotonic() < deadline:
                    time.sleep(1)
                self.assertEqual(s["exit"], 0, s)
                self.assertEqual((s["transport"], s["width"], s["height"]), ("udp", 320, 240))
            finally:
                vlc.stop()

    def test_a_minute_of_b_frames_is_one_run_of_recordings(self):
        """libx264's default GOP has B-frames: pictures come in decode order
        and their RTP timestamps go back and forth. That once cut the stream
        into one-frame recordings (a clock jump per frame)."""
        with temp_dir() as d:
            # Longer than the test, so that VLC does not loop back (which
            # restarts its clock: a real discontinuity).
            vlc, url = start_vlc(d, "testsrc=size=640x360:rate=25", 100, 50)
            data = os.path.join(d, "data")
            config = os.path.join(d, "vigil.toml")
            with open(config, "w") as f:
                f.write(f'[node]\ndata_dir = "{data}"\n[http]\nlisten = "127.0.0.1:0"\n'
                        f'[[camera]]\nid = "vlc"\nurl = "{url}"\n')
            serve = Process([VIGIL, "serve", "--config", config])
            try:
                serve.wait_for_line(r"camera=vlc state=streaming", timeout=90, stream="stderr")
                time.sleep(60)
            finally:
                self.assertEqual(serve.stop(), 0, "\n".join(serve.stderr_lines[-20:]))
                vlc.stop()
            log = serve.stderr_lines
            self.assertFalse([l for l in log if "rtsp.timeline.jump" in l], "\n".join(log[-30:]))
            self.assertFalse([l for l in log if "camera.segment" in l], "\n".join(log[-30:]))
            r = run([STORAGE_TOOL, "list", "--data", data, "--stream", "vlc"])
            self.assertEqual(r.returncode, 0, r.stderr)
            recs = json.loads(r.stdout)
            # A recording lasts at most 60 s: two at most, never one per frame.
            self.assertLessEqual(len(recs), 2, recs)
            covered = sum(rec["end"] - rec["start"] for rec in recs) / 1e6
            self.assertGreater(covered, 55, recs)
            # An 8 s export from the middle: its edit list starts it at the
            # range's start, not at the keyframe before (issue 13 item 3), so
            # players show 8 s within 0.1 s.
            start = recs[0]["start"] + 20_000_000
            out = os.path.join(d, "export.mp4")
            r = run([STORAGE_TOOL, "export", "--data", data, "--stream", "vlc", "--start", str(start),
                     "--end", str(start + 8_000_000), "--out", out])
            self.assertEqual(r.returncode, 0, r.stderr)
            r = run(["ffprobe", "-v", "error", "-count_frames", "-show_entries",
                     "format=duration:stream=width,height,nb_read_frames", "-of", "json", out])
            self.assertEqual(r.returncode, 0, r.stderr)
            info = json.loads(r.stdout)
            self.assertEqual((info["streams"][0]["width"], info["streams"][0]["height"]), (640, 360))
            duration = float(info["format"]["duration"])
            self.assertAlmostEqual(duration, 8, delta=0.1, msg=info)
            self.assertGreaterEqual(int(info["streams"][0]["nb_read_frames"]), 8 * 25 - 5, info)


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
    def test_a_returning_camera_streams_again_within_seconds(self):
        """A camera that comes back is recorded again within seconds, however
        long it was away (issue 13, 3b). It comes back at the worst moment
        for a backoff: just after vigil has scheduled a retry of 15 s or more
        (which the old backoff, doubling to a 30 s cap, did within 31 s), or
        after 35 s."""
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
                deadline = time.monotonic() + 35
                while time.monotonic() < deadline:
                    retries = [l for l in serve.stderr_lines if "camera.retry camera=door" in l]
                    m = re.search(r"in_ms=(\d+)", retries[-1]) if retries else None
                    if m and int(m.group(1)) >= 15000:
                        break
                    time.sleep(0.1)
                cam = Process([VIGIL, "testcam", "--listen", f"127.0.0.1:{port}", "--size", "320x240",
                               "--fps", "10", "--gop", "10", "--loop-seconds", "1"])
                cam.wait_for_line(r"serving", timeout=120)
                back = time.monotonic()
                since = len(serve.stderr_lines)
                serve.wait_for_line(r"camera=door state=streaming", timeout=30, stream="stderr", since=since)
                self.assertLess(time.monotonic() - back, 10, "\n".join(serve.stderr_lines[-20:]))
            finally:
                self.assertEqual(serve.stop(), 0)
                cam.stop()


if __name__ == "__main__":
    unittest.main()

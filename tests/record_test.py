"""End to end: `vigil serve` records a camera (vigil testcam over RTSP) into
its data directory; `vigil check` verifies it; the export decodes in ffmpeg.
On a disk smaller than two recordings, shared with the access database,
recording goes on through fills by the recordings themselves and by
another program ("storage full" in the camera's state meanwhile)."""
import datetime
import json
import os
import re
import sys
import threading
import time
import unittest
import urllib.request

from access_test import call
from vigil_testlib import TIMEOUT, VIGIL, Process, assert_check_clean, run, serve_logged_in, start_testcam, temp_dir

STORAGE_TOOL = os.path.join(os.path.dirname(os.path.dirname(VIGIL)), "storage", "vigil_storage_tool")


class Record(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = temp_dir()
        cls.data = os.path.join(cls.tmp.name, "data")
        cam, base = start_testcam("--size", "320x240", "--fps", "10", "--gop", "10", "--loop-seconds", "2")
        config = os.path.join(cls.tmp.name, "vigil.toml")
        with open(config, "w") as f:
            f.write(f'[node]\ndata_dir = "{cls.data}"\n[http]\nlisten = "127.0.0.1:0"\n'
                    f'[[camera]]\nid = "gate"\nurl = "{base}/cam/0"\n')
        serve = Process([VIGIL, "serve", "--config", config])
        try:
            serve.wait_for_line(r"camera=gate state=streaming", stream="stderr")
            time.sleep(6)  # about 6 s of video; every frame the camera counted must be on disk
        finally:
            assert serve.stop() == 0, "\n".join(serve.stderr_lines[-20:])
            cam.stop()
        summary = next(l for l in serve.stderr_lines if "camera.summary camera=gate" in l)
        cls.frames = int(re.search(r"frames=(\d+)", summary).group(1))

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def recordings(self):
        r = run([STORAGE_TOOL, "list", "--data", self.data, "--stream", "gate"])
        self.assertEqual(r.returncode, 0, r.stderr)
        return json.loads(r.stdout)

    def test_1_every_received_frame_is_recorded_and_check_is_clean(self):
        self.assertGreater(self.frames, 40)
        recs = self.recordings()
        self.assertEqual(sum(r["samples"] for r in recs), self.frames)
        self.assertTrue(all(r["sealed"] for r in recs))
        self.assertIn(f"{self.frames} samples", assert_check_clean(self, self.data))

    def test_2_export_decodes_with_every_frame(self):
        recs = self.recordings()
        with temp_dir() as d:
            out = os.path.join(d, "gate.mp4")
            r = run([STORAGE_TOOL, "export", "--data", self.data, "--stream", "gate", "--start",
                     str(recs[0]["start"]), "--end", str(recs[-1]["end"]), "--out", out])
            self.assertEqual(r.returncode, 0, r.stderr)
            r = run(["ffprobe", "-v", "error", "-count_frames", "-show_entries",
                     "stream=codec_name,width,height,nb_read_frames", "-of", "json", out])
            self.assertEqual(r.returncode, 0, r.stderr)
            stream = json.loads(r.stdout)["streams"][0]
            self.assertEqual((stream["codec_name"], stream["width"], stream["height"]), ("h264", 320, 240))
            self.assertEqual(int(stream["nb_read_frames"]), self.frames)
            r = run(["ffmpeg", "-v", "error", "-i", out, "-f", "null", "-"])
            self.assertEqual((r.returncode, r.stderr.strip()), (0, ""))

    def test_3_damage_is_reported_then_repaired(self):
        recs = self.recordings()
        sample_file = os.path.join(self.data, "recordings", f"{recs[-1]['id']:016x}")
        with open(sample_file, "ab") as f:
            f.write(b"\x00\x00\x00\x09garbage!!")  # a torn access unit past the index
        r = run([VIGIL, "check", "--data", self.data])
        self.assertEqual(r.returncode, 1, r.stdout)
        self.assertIn("problem:", r.stdout)
        r = run([VIGIL, "check", "--data", self.data, "--repair"])
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        r = run([VIGIL, "check", "--data", self.data])
        self.assertEqual(r.returncode, 0, r.stdout)
        self.assertEqual(sum(x["samples"] for x in self.recordings()), self.frames)

    def test_4_missing_data_directory_is_an_error(self):
        r = run([VIGIL, "check", "--data", os.path.join(self.tmp.name, "nowhere")])
        self.assertEqual(r.returncode, 1)
        self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)


def wait_until(what, predicate, timeout=TIMEOUT):
    """Polls `predicate` until it returns a true value, which it returns."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


class DiskFiller:
    """Keeps the file system at `path` full (a file given every block that
    comes free, as a program filling the disk would) until stop(), then
    removes the file."""

    def __init__(self, path, limit=TIMEOUT):
        self.path = path
        self.fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o644)
        self.size = 0
        self.deadline = time.monotonic() + limit  # bounded even if stop() is never called
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self.done.is_set() and time.monotonic() < self.deadline:
            for chunk in (1 << 20, 4096):
                while True:
                    try:
                        os.posix_fallocate(self.fd, self.size, chunk)
                    except OSError:
                        break
                    self.size += chunk
            self.done.wait(0.02)

    def stop(self):
        self.done.set()
        self.thread.join(10)
        os.close(self.fd)
        os.unlink(self.path)


class SmallDisk(unittest.TestCase):
    """`vigil serve` with its whole data directory (the access database and
    the recordings) on a 48 MiB tmpfs, three cameras at 8 Mbit/s: the disk
    holds about 15 s of their video, far less than two recordings (60 s)
    of each. The recordings fill it, then another program does, three
    times; recording must go on and the accounts keep working."""

    SIZE_MB = 48
    CAMERAS = ("a", "b", "c")

    def setUp(self):
        if os.geteuid() != 0:
            self.skipTest("mounting a tmpfs needs root")
        self.tmp = temp_dir()
        self.addCleanup(self.tmp.cleanup)
        self.data = os.path.join(self.tmp.name, "data")
        os.mkdir(self.data)
        r = run(["mount", "-t", "tmpfs", "-o", f"size={self.SIZE_MB}m", "tmpfs", self.data], timeout=30)
        if r.returncode != 0:
            self.skipTest(f"cannot mount a tmpfs: {r.stderr.strip()}")
        self.addCleanup(lambda: run(["umount", self.data], timeout=30))

    def test_recording_resumes_after_every_fill_and_keeps_the_newest_video(self):
        cam, base = start_testcam("--streams", "3", "--size", "640x360", "--bitrate", "8000")
        config = os.path.join(self.tmp.name, "vigil.toml")
        with open(config, "w") as f:
            f.write(f'[node]\ndata_dir = "{self.data}"\n[http]\nlisten = "127.0.0.1:0"\n')
            for n, camera in enumerate(self.CAMERAS):
                f.write(f'[[camera]]\nid = "{camera}"\nurl = "{base}/cam/{n}"\n')
        serve, url, password, token = serve_logged_in(config)
        filler = None
        try:
            for camera in self.CAMERAS:
                serve.wait_for_line(rf"camera={camera} state=streaming", stream="stderr")

            def login():
                return call(url, "POST", "/api/v1/login", {"user": "admin", "password": password})

            def cameras():
                status, _, listed = call(url, "GET", "/api/v1/cameras", token=token)
                self.assertEqual(status, 200, listed)
                return listed

            def metrics():
                status, _, text = call(url, "GET", "/metrics", token=token)
                return text if status == 200 else ""

            def storage_full(camera, cycle, ongoing):
                """The cycle's storage_full outage of `camera` once it is (or is no longer) ongoing."""
                query = "start={}&end={}".format(rfc3339(time.time() - 3600), rfc3339(time.time() + 60))
                status, _, health = call(url, "GET", f"/api/v1/cameras/{camera}/health?{query}", token=token)
                if status == 503:  # the session's row, on the full disk
                    return None
                self.assertEqual(status, 200, health)
                outages = [o for o in health["outages"] if o["reason"] == "storage_full"]
                self.assertLessEqual(len(outages), cycle + 1, outages)
                return len(outages) == cycle + 1 and outages[-1]["ongoing"] == ongoing and outages[-1]

            def runs(camera, since):
                """Recorded runs of `camera` from `since` (Unix seconds) on."""
                query = "start={}&end={}".format(rfc3339(since), rfc3339(time.time() + 60))
                status, _, listed = call(url, "GET", f"/api/v1/cameras/{camera}/recordings?{query}", token=token)
                self.assertEqual(status, 200, listed)
                return [(parse_rfc3339(r["start"]), parse_rfc3339(r["end"])) for r in listed]

            # The recordings fill the disk: retention deletes the oldest and
            # keeps the disk mostly full of the newest video.
            serve.wait_for_line(r"storage\.retention\.deleted", stream="stderr")
            time.sleep(3)
            st = os.statvfs(self.data)
            used = 1 - st.f_bavail / st.f_blocks
            self.assertGreater(used, 0.6, "retention emptied the disk")
            self.assertFalse(any("reason" in c for c in cameras()), cameras())
            for camera in self.CAMERAS:
                recorded = runs(camera, time.time() - 120)
                self.assertTrue(recorded, camera)
                self.assertGreater(recorded[-1][1], time.time() - 5, camera)  # recording now
                self.assertGreater(sum(e - s for s, e in recorded), 5, f"{camera}: {recorded}")

            delays = []
            for cycle in range(3):
                # Another program takes every free block, also those retention frees.
                filled_at = time.time()
                filler = DiskFiller(os.path.join(self.data, "filler"))
                full = wait_until("storage full", lambda: all("reason" in c for c in cameras()) and cameras())
                for c in full:
                    self.assertEqual((c["state"], c["online"]), ("streaming", True))
                    self.assertEqual(c["reason"], "storage full: recording stopped until retention frees space")
                # The owner is told: a recording_stopped alert per camera (the node's recorded cameras).
                def stopped_alerts():
                    status, _, alerts = call(url, "GET", "/api/v1/alerts", token=token)
                    # 503: the session's row, on the full disk
                    return {a["subject"] for a in alerts if a["kind"] == "recording_stopped"} if status == 200 else set()
                wait_until("the recording_stopped alerts", lambda: stopped_alerts() == set(self.CAMERAS))
                # The uptime recorder saw it too (its poll is a second; its database, on the full disk, waits).
                wait_until("the cameras offline in /metrics", lambda: all(
                    f'vigil_camera_online{{camera="{c}"}} 0\n' in metrics() for c in self.CAMERAS))
                # The accounts share the disk: a login works, or fails with 503 and the cause logged.
                since = len(serve.stderr_lines)
                status, _, body = login()
                self.assertIn(status, (200, 503), body)
                if status == 503:
                    serve.wait_for_line(r"http\.unavailable .*the disk is full", stream="stderr", since=since)
                freed_at = time.time()  # from here on the filler takes no more
                filler.stop()
                filler = None
                wait_until("storage full to clear", lambda: not any("reason" in c for c in cameras()))
                wait_until("the storage_full outages close", lambda: all(storage_full(c, cycle, False) for c in self.CAMERAS))
                seen_clear = time.time()
                # Each camera's history has the outage, kept though its
                # database shares the full disk (design/UPTIME.md), within
                # the times the test saw around it.
                for camera in self.CAMERAS:
                    outage = storage_full(camera, cycle, False)
                    start, end = parse_rfc3339(outage["start"]), parse_rfc3339(outage["end"])
                    self.assertTrue(filled_at <= start <= freed_at, (filled_at, start, freed_at))
                    self.assertTrue(freed_at <= end <= seen_clear, (freed_at, end, seen_clear))
                for camera in self.CAMERAS:
                    resumed = wait_until(f"{camera} recording again after cycle {cycle}",
                                         lambda: [r for r in runs(camera, freed_at - 2) if r[0] > freed_at - 1])
                    delays.append(round(resumed[0][0] - freed_at, 2))
                    self.assertLess(delays[-1], 10, f"{camera}, cycle {cycle}")
                status, _, body = login()
                self.assertEqual(status, 200, body)

            print(f"small disk: {used:.0%} used by retention; recording resumed {delays} s after the space was freed",
                  file=sys.stderr)
            # The newest minute exports (an audited request: the audit log works too) and decodes.
            time.sleep(3)
            end = time.time()
            query = "start={}&end={}".format(rfc3339(end - 60), rfc3339(end))
            with temp_dir() as d:
                out = os.path.join(d, "a.mp4")
                req = urllib.request.Request(f"{url}/api/v1/cameras/a/export.mp4?{query}",
                                             headers={"Authorization": "Bearer " + token})
                with urllib.request.urlopen(req, timeout=TIMEOUT) as r, open(out, "wb") as f:
                    f.write(r.read())
                r = run(["ffmpeg", "-v", "error", "-i", out, "-f", "null", "-"])
                self.assertEqual((r.returncode, r.stderr.strip()), (0, ""))
                r = run(["ffprobe", "-v", "error", "-count_frames", "-show_entries", "stream=nb_read_frames",
                         "-of", "csv=p=0", out])
                self.assertGreater(int(r.stdout.split()[0]), 100, r.stderr)  # more than 4 s of 25 fps
        finally:
            if filler:
                filler.stop()
            code = serve.stop()
            cam.stop()
        self.assertEqual(code, 0, "\n".join(serve.stderr_lines[-20:]))
        self.assertGreaterEqual(sum("storage.full.cleared" in l for l in serve.stderr_lines), 3)
        assert_check_clean(self, self.data)


def rfc3339(unix_seconds):
    return datetime.datetime.fromtimestamp(unix_seconds, datetime.timezone.utc).isoformat().replace("+00:00", "Z")


def parse_rfc3339(text):
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


if __name__ == "__main__":
    unittest.main()

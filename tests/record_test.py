"""End to end: `vigil serve` records a camera (vigil testcam over RTSP) into
its data directory; `vigil check` verifies it; the export decodes in ffmpeg.
A disk filled by something else shows as "storage full" in the camera's
state until there is room again."""
import json
import os
import re
import time
import unittest

from access_test import call
from vigil_testlib import TIMEOUT, VIGIL, Process, run, start_testcam, temp_dir

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
        r = run([VIGIL, "check", "--data", self.data])
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn(f"{self.frames} samples", r.stdout)
        self.assertIn("0 problems", r.stdout)

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


def fill(path):
    """Allocates every free block of the file system at `path` to one file."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o644)
    try:
        offset = 0
        for chunk in (1 << 20, 4096):
            while True:
                try:
                    os.posix_fallocate(fd, offset, chunk)
                except OSError:
                    break
                offset += chunk
    finally:
        os.close(fd)


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


class StorageFull(unittest.TestCase):
    """`vigil serve` records onto a loop-mounted ext4 file system that
    another program then fills. `vigil serve` keeps 512 MiB free by
    retention, so the file system is made larger than that (a sparse image:
    little of it is ever written)."""

    def setUp(self):
        if os.geteuid() != 0:
            self.skipTest("mounting a file system needs root")
        self.tmp = temp_dir()
        self.addCleanup(self.tmp.cleanup)
        self.data = os.path.join(self.tmp.name, "data")
        os.mkdir(self.data)
        image = os.path.join(self.tmp.name, "fs.img")
        with open(image, "wb") as f:
            f.truncate(800 << 20)
        r = run(["mkfs.ext4", "-q", "-F", "-m", "0", image])
        self.assertEqual(r.returncode, 0, r.stderr)
        r = run(["mount", "-o", "loop", image, self.data], timeout=30)
        if r.returncode != 0:
            self.skipTest(f"cannot loop-mount a file system: {r.stderr.strip()}")
        self.addCleanup(lambda: run(["umount", self.data], timeout=30))

    def test_the_camera_state_says_storage_full_until_there_is_room(self):
        cam, base = start_testcam("--size", "320x240", "--fps", "10", "--gop", "10")
        config = os.path.join(self.tmp.name, "vigil.toml")
        with open(config, "w") as f:
            f.write(f'[node]\ndata_dir = "{self.data}"\n[http]\nlisten = "127.0.0.1:0"\n'
                    f'[[camera]]\nid = "gate"\nurl = "{base}/cam/0"\n')
        serve = Process([VIGIL, "serve", "--config", config])
        filler = os.path.join(self.data, "filler")
        try:
            password = serve.wait_for_line(r"admin password: (\S+)").group(1)
            url = "http://127.0.0.1:" + serve.wait_for_line(r"serve\.http .*port=(\d+)", stream="stderr").group(1)
            serve.wait_for_line(r"camera=gate state=streaming", stream="stderr")
            # A session made before the disk fills (a login writes to it).
            status, _, body = call(url, "POST", "/api/v1/login", {"user": "admin", "password": password})
            self.assertEqual(status, 200, body)
            token = body["token"]

            def gate():
                status, _, cameras = call(url, "GET", "/api/v1/cameras", token=token)
                self.assertEqual(status, 200, cameras)
                return cameras[0]

            def gate_with_reason():
                g = gate()
                return g if "reason" in g else None

            time.sleep(2)  # recording
            self.assertIsNone(gate_with_reason())
            fill(filler)
            full = wait_until("storage full", gate_with_reason)
            full_seen_at = time.time()  # no recording starts from here until the full flag clears
            self.assertEqual((full["state"], full["online"]), ("streaming", True))
            self.assertEqual(full["reason"], "storage full: recording stopped until retention frees space")
            os.unlink(filler)
            wait_until("storage full to clear", lambda: gate_with_reason() is None)
            serve.wait_for_line(r"storage\.full\.cleared", stream="stderr")
            time.sleep(3)  # recording again
        finally:
            code = serve.stop()
            cam.stop()
            if os.path.exists(filler):
                os.unlink(filler)
        self.assertEqual(code, 0, "\n".join(serve.stderr_lines[-20:]))
        r = run([STORAGE_TOOL, "list", "--data", self.data, "--stream", "gate"])
        self.assertEqual(r.returncode, 0, r.stderr)
        recs = json.loads(r.stdout)
        self.assertGreater(recs[-1]["start"], full_seen_at * 1e6)  # resumed once the space came back
        r = run([VIGIL, "check", "--data", self.data])
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("0 problems", r.stdout)


if __name__ == "__main__":
    unittest.main()

"""Detection under overload through `vigil serve` (issue 16 item 1): more
cameras than one detection worker can decode. Detection drops frames and
says so in /metrics and /api/v1/cameras, while recording stores every frame
each camera received (ingest and recording never wait for detection)."""
import json
import os
import re
import time
import unittest

from access_test import call
from record_test import STORAGE_TOOL
from vigil_testlib import VIGIL, Process, free_port, run, start_testcam, temp_dir

CAMERAS = 12


def metric(text, name, camera):
    m = re.search(rf'^{name}{{camera="{camera}"}} (\S+)$', text, re.M)
    return float(m.group(1)) if m else None


class Overload(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = temp_dir()
        cls.data = os.path.join(cls.tmp.name, "data")
        # 720p at 25 fps: one worker decodes maybe a few such cameras, not 12.
        cam, base = start_testcam("--size", "1280x720", "--fps", "25", "--gop", "25", "--loop-seconds", "2")
        port = free_port()
        config = os.path.join(cls.tmp.name, "vigil.toml")
        with open(config, "w") as f:
            f.write(f'[node]\ndata_dir = "{cls.data}"\n[http]\nlisten = "127.0.0.1:{port}"\n'
                    '[detect]\nworkers = 1\nfps = 25\n')
            for i in range(CAMERAS):
                f.write(f'[[camera]]\nid = "cam{i}"\nurl = "{base}/cam/0"\ndetect = ["person"]\n')
            # One camera without detection: it has no detection counts.
            f.write(f'[[camera]]\nid = "plain"\nurl = "{base}/cam/0"\n')
        serve = Process([VIGIL, "serve", "--config", config])
        try:
            password = serve.wait_for_line(r"admin password: (\S+)").group(1)
            for i in range(CAMERAS):
                serve.wait_for_line(rf"camera=cam{i} state=streaming", stream="stderr")
            base_url = f"http://127.0.0.1:{port}"
            status, _, body = call(base_url, "POST", "/api/v1/login", {"user": "admin", "password": password})
            assert status == 200, body
            token = body["token"]
            time.sleep(8)
            cls.metrics = call(base_url, "GET", "/metrics", token=token)[2]
            cls.cameras = {c["id"]: c for c in call(base_url, "GET", "/api/v1/cameras", token=token)[2]}
        finally:
            assert serve.stop() == 0, "\n".join(serve.stderr_lines[-20:])
            cam.stop()
        cls.received = {}
        for line in serve.stderr_lines:
            m = re.search(r"camera\.summary camera=(\S+) .*frames=(\d+)", line)
            if m:
                cls.received[m.group(1)] = int(m.group(2))

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_frames_dropped_and_reported(self):
        dropped = [metric(self.metrics, "vigil_detect_frames_dropped_total", f"cam{i}") for i in range(CAMERAS)]
        analysed = [metric(self.metrics, "vigil_detect_frames_analysed_total", f"cam{i}") for i in range(CAMERAS)]
        self.assertNotIn(None, dropped, self.metrics)
        self.assertNotIn(None, analysed)
        self.assertGreater(sum(dropped), 0)
        self.assertGreater(sum(analysed), 0)
        self.assertIsNone(metric(self.metrics, "vigil_detect_frames_dropped_total", "plain"))
        # The same counts in the cameras' state (read a moment later: not fewer).
        for i in range(CAMERAS):
            state = self.cameras[f"cam{i}"]["detect"]
            self.assertGreaterEqual(state["frames_dropped"], dropped[i])
            self.assertGreaterEqual(state["frames_analysed"], analysed[i])
        self.assertNotIn("detect", self.cameras["plain"])

    def test_recording_stored_every_frame(self):
        self.assertEqual(set(self.received), {f"cam{i}" for i in range(CAMERAS)} | {"plain"})
        for camera, frames in self.received.items():
            self.assertGreater(frames, 100, camera)  # 8 s and more of 25 fps
            r = run([STORAGE_TOOL, "list", "--data", self.data, "--stream", camera])
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(sum(rec["samples"] for rec in json.loads(r.stdout)), frames, camera)
        self.assertRegex(self.metrics, r'vigil_storage_frames_dropped_total\{dir="[^"]*"\} 0\n')


if __name__ == "__main__":
    unittest.main()

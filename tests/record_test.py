"""End to end: `vigil serve` records a camera (vigil testcam over RTSP) into
its data directory; `vigil check` verifies it; the export decodes in ffmpeg."""
import json
import os
import re
import time
import unittest

from vigil_testlib import VIGIL, Process, run, start_testcam, temp_dir

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


if __name__ == "__main__":
    unittest.main()

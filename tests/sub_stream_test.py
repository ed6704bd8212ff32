"""Sub streams (issue 17 item 3; design/ARCHITECTURE.md "Sub streams"):
`vigil serve` ingests a camera's `sub_url` beside its `url`. Checked with
peers: ffprobe reads the live sub stream (HLS) and the exported recording,
and a GStreamer RTSP server with two mount points is a camera nobody here
wrote. The main stream comes from one testcam, the sub stream from
another, so the sub stream alone can be killed."""
import datetime
import json
import os
import struct
import time
import unittest
import urllib.request

from access_test import call
from record_test import wait_until
from vigil_testlib import VIGIL, Process, run, serve_logged_in, start_testcam, temp_dir

HERE = os.path.dirname(os.path.abspath(__file__))
GST_SERVER = os.path.join(HERE, "peers", "gst_rtsp_server.py")
STORAGE_TOOL = os.path.join(os.path.dirname(os.path.dirname(VIGIL)), "storage", "vigil_storage_tool")


def rfc3339(t):
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def jpeg_size(data):
    """(width, height) from a JPEG's SOF marker."""
    i = 2
    while i + 9 < len(data):
        if data[i] != 0xFF:
            raise AssertionError(f"not a JPEG marker at {i}")
        marker, length = data[i + 1], struct.unpack(">H", data[i + 2:i + 4])[0]
        if 0xC0 <= marker <= 0xC3:
            height, width = struct.unpack(">HH", data[i + 5:i + 9])
            return width, height
        i += 2 + length
    raise AssertionError("no SOF in the JPEG")


class SubStreams(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = temp_dir()
        small = ("--fps", "10", "--gop", "10", "--loop-seconds", "2")
        cls.main_cam, main_base = start_testcam("--size", "640x360", "--no-sub", *small)
        cls.sub_cam, sub_base = start_testcam("--size", "640x360", "--sub-size", "320x180", *small)
        cls.main_base, cls.sub_base = main_base, sub_base
        cls.gst = Process(["/usr/bin/python3", GST_SERVER, "--size", "480x270", "--sub-path", "/sub",
                           "--sub-size", "240x136", "--path", "/main"])
        gst_main = cls.gst.wait_for_line(r"READY (rtsp://\S+)/main").group(1)
        with open(os.path.join(cls.tmp.name, "vigil.toml"), "w") as f:
            f.write(f'[node]\ndata_dir = "{cls.tmp.name}/data"\n[http]\nlisten = "127.0.0.1:0"\n'
                    f'[[camera]]\nid = "yard"\nurl = "{main_base}/cam/0"\nsub_url = "{sub_base}/cam/0/sub"\n'
                    f'detect = ["motion"]\n'
                    f'[[camera]]\nid = "gst"\nurl = "{gst_main}/main"\nsub_url = "{gst_main}/sub"\n'
                    f'record_sub = \"continuous\"\n')
        cls.serve, cls.url, _, cls.token = serve_logged_in(os.path.join(cls.tmp.name, "vigil.toml"))
        cls.started = time.time()

    @classmethod
    def tearDownClass(cls):
        code = cls.serve.stop()
        for p in (cls.main_cam, cls.sub_cam, cls.gst):
            p.stop()
        cls.tmp.cleanup()
        assert code == 0, "\n".join(cls.serve.stderr_lines[-20:])

    def camera(self, id):
        status, _, cameras = call(self.url, "GET", "/api/v1/cameras", token=self.token)
        self.assertEqual(status, 200, cameras)
        return next(c for c in cameras if c["id"] == id)

    def get_bytes(self, path):
        req = urllib.request.Request(self.url + path, headers={"Authorization": "Bearer " + self.token})
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.read()

    def snapshot_size(self, id, query=""):
        return jpeg_size(self.get_bytes(f"/api/v1/cameras/{id}/snapshot.jpg{query}"))

    def ffprobe(self, target, *options):
        r = run(["ffprobe", "-v", "error", *options, "-select_streams", "v:0", "-show_entries",
                 "stream=codec_name,width,height", "-of", "json", target], timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr)
        s = json.loads(r.stdout)["streams"][0]
        return s["width"], s["height"]

    def both_streaming(self, id):
        c = self.camera(id)
        return c if c["online"] and c.get("sub", {}).get("state") == "streaming" and c["sub"]["width"] else None

    def recorded(self, stream):
        """The stream's recordings, read from the running node's data directory
        (read-only: the tool's recovery would truncate what is being written)."""
        r = run([STORAGE_TOOL, "list", "--read-only", "--data", os.path.join(self.tmp.name, "data"), "--stream", stream])
        self.assertEqual(r.returncode, 0, r.stderr)
        return json.loads(r.stdout)

    # ARCHITECTURE.md "Sub streams" 6: a camera added from the API
    # (design/CAMERAS.md) with a sub_url gets its sub stream, recorded with
    # record_sub; deleted, both streams stop and both recordings are sealed;
    # deleted with its recordings, the sub stream's go too.
    def test_0_camera_added_from_the_api_gets_its_sub_stream(self):
        porch = {"id": "porch", "url": f"{self.main_base}/cam/0", "sub_url": f"{self.sub_base}/cam/0/sub",
                 "record": "continuous", "record_sub": "continuous"}
        status, _, body = call(self.url, "POST", "/api/v1/cameras", porch, token=self.token)
        self.assertEqual(status, 201, body)
        self.assertEqual(body.get("record_sub"), "continuous", body)
        c = wait_until("porch's two streams", lambda: self.both_streaming("porch"), timeout=60)
        self.assertEqual((c["sub"]["width"], c["sub"]["height"]), (320, 180))
        self.assertEqual(self.snapshot_size("porch", "?stream=sub"), (320, 180))
        status, _, body = call(self.url, "DELETE", "/api/v1/cameras/porch", token=self.token)
        self.assertEqual(status, 200, body)
        self.serve.wait_for_line(r"node\.camera_removed .*camera=porch", stream="stderr")
        # Sealed by the store's writer, soon after.
        wait_until("porch~sub's recording sealed", lambda: self.recorded("porch~sub"), timeout=30)

        # Added again, then deleted with its recordings: none of either stream is left.
        status, _, body = call(self.url, "POST", "/api/v1/cameras", porch, token=self.token)
        self.assertEqual(status, 201, body)
        wait_until("porch's two streams again", lambda: self.both_streaming("porch"), timeout=60)
        status, _, body = call(self.url, "DELETE", "/api/v1/cameras/porch?recordings=delete", token=self.token)
        self.assertEqual(status, 200, body)
        wait_until("porch's recordings deleted",
                   lambda: not self.recorded("porch") and not self.recorded("porch~sub"), timeout=60)

    # ARCHITECTURE.md "Sub streams" 1: both streams ingested, each at its size;
    # the camera's own fields are the main stream's.
    def test_1_both_streams_are_ingested(self):
        for id, main, sub in (("yard", (640, 360), (320, 180)), ("gst", (480, 270), (240, 136))):
            c = wait_until(f"{id}'s two streams", lambda: self.both_streaming(id), timeout=60)
            self.assertEqual((c["width"], c["height"]), main)
            self.assertEqual((c["sub"]["width"], c["sub"]["height"]), sub)
            self.assertEqual(self.snapshot_size(id), main)
            self.assertEqual(self.snapshot_size(id, "?stream=sub"), sub)
            self.assertEqual(self.snapshot_size(id, "?stream=main"), main)
        status, _, body = call(self.url, "GET", "/api/v1/cameras/yard/snapshot.jpg?stream=tiny", token=self.token)
        self.assertEqual(status, 400, body)

    # ARCHITECTURE.md "Sub streams" 2: live HLS of the sub stream, read by ffprobe.
    def test_2_live_hls_of_the_sub_stream(self):
        wait_until("yard's sub stream", lambda: self.both_streaming("yard"), timeout=60)
        url = f"{self.url}/api/v1/cameras/yard/live.m3u8?stream=sub"
        headers = f"Authorization: Bearer {self.token}\r\n"

        def listed():
            status, _, body = call(self.url, "GET", "/api/v1/cameras/yard/live.m3u8?stream=sub", token=self.token)
            return status == 200 and ".m4s?stream=sub" in body
        wait_until("a segment in the sub stream's live playlist", listed, timeout=30)
        self.assertEqual(self.ffprobe(url, "-headers", headers), (320, 180))

    # ARCHITECTURE.md "Sub streams" 3: recording is the main stream's; with
    # record_sub the sub stream is recorded too, as "<id>~sub".
    def test_3_recording_is_main_size_and_record_sub_records_the_sub_stream(self):
        # Each camera's recordings committed (not a wall-clock wait: the
        # cameras may start late on a loaded machine).
        for id in ("yard", "gst", "gst~sub"):
            wait_until(f"{id} recorded", lambda id=id: self.recorded(id), timeout=60)
        now = time.time()
        for id, size in (("yard", (640, 360)), ("gst", (480, 270))):
            with temp_dir() as d:
                out = os.path.join(d, f"{id}.mp4")
                with open(out, "wb") as f:
                    f.write(self.get_bytes(f"/api/v1/cameras/{id}/export.mp4?start={rfc3339(self.started - 5)}"
                                           f"&end={rfc3339(now)}"))
                self.assertEqual(self.ffprobe(out), size)
        data = os.path.join(self.tmp.name, "data")
        for stream, recorded in (("gst~sub", True), ("yard~sub", False)):
            self.assertEqual(bool(self.recorded(stream)), recorded, stream)
        recs = self.recorded("gst~sub")
        with temp_dir() as d:
            out = os.path.join(d, "sub.mp4")
            r = run([STORAGE_TOOL, "export", "--read-only", "--data", data, "--stream", "gst~sub", "--start",
                     str(recs[0]["start"]), "--end", str(recs[-1]["end"]), "--out", out])
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(self.ffprobe(out), (240, 136))

    # DETECT.md "Sub streams" 3: detection reads the sub stream while it delivers.
    def test_4_detection_reads_the_sub_stream(self):
        def on_sub():
            c = self.camera("yard")
            return c if c.get("detect", {}).get("stream") == "sub" and c["detect"]["frames_analysed"] > 0 else None
        c = wait_until("detection on yard's sub stream", on_sub, timeout=60)
        self.assertIn("frames_dropped", c["detect"])
        self.assertNotIn("detect", self.camera("gst"))

    # ARCHITECTURE.md "Sub streams" 4 and DETECT.md "Sub streams" 2: the sub
    # stream killed, the camera stays online; a request for the sub stream is
    # served the main one, and detection goes back to the main stream.
    def test_5_sub_stream_killed_camera_stays_online(self):
        wait_until("yard's two streams", lambda: self.both_streaming("yard"), timeout=60)
        self.sub_cam.stop()
        c = wait_until("yard's sub stream down",
                       lambda: (lambda c: c if c["sub"]["state"] != "streaming" else None)(self.camera("yard")),
                       timeout=30)
        self.assertTrue(c["online"], c)
        self.assertEqual(c["state"], "streaming")
        self.assertIn("reason", c["sub"])
        self.assertNotIn("reason_code", c)
        self.assertEqual(self.snapshot_size("yard", "?stream=sub"), (640, 360))
        wait_until("detection back on the main stream",
                   lambda: self.camera("yard")["detect"]["stream"] == "main", timeout=30)
        for _ in range(10):  # still online a while later
            self.assertTrue(self.camera("yard")["online"])
            time.sleep(0.3)


if __name__ == "__main__":
    unittest.main()

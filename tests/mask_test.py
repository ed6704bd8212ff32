"""Privacy masks at the source (issue 16, item 5; design/DETECT.md
"Privacy masks") between real `vigil serve` processes on loopback: a
household with two cameras of one synthetic stream, "door" with a mask over
the top left quarter of the picture and "gate" without, under a village.
At the village, the door's snapshot and live HLS, fetched through the link
and decoded with ffmpeg, are black inside the mask and the picture outside
it; the gate's are not black there (so a leak would show). Recorded video
goes up masked too: the village's export (whole and by Range) and HLS
playback of the door decode black inside the mask, while the household's
own export and view of the door are not masked (the mask applies to what
is shared only). A mask with applies = "all" masks the household's own
live view and recording too (decoded with ffmpeg from an export), and
what goes up is masked again (what was recorded before the mask is not
masked on disk). A mask added later hides the picture a village kept from
an earlier look."""
import http.client
import json
import os
import subprocess
import time
import unittest
from datetime import datetime

from link_test import LINK_UP, NodesTestCase, wait_until
from looks_test import tls
from live_playback_test import rfc3339
from vigil_testlib import start_testcam, temp_dir

W, H = 320, 180
# A band across testcam's four brightest bars (Y 112-180), between its
# "CAM 1" box at the top and its clock at the bottom: rows 63-144, x 0-159.
MASK = "[[0, 0.35], [0.5, 0.35], [0.5, 0.8], [0, 0.8]]"
DARK = 24  # Y at most this inside the mask: black is 16 (limited range) or 0 (a JPEG's full range)


def request(node, method, path, headers=None):
    conn = http.client.HTTPSConnection("127.0.0.1", node.port, context=tls(), timeout=60)
    try:
        conn.request(method, path, headers={"Authorization": "Bearer " + node.token, **(headers or {})})
        r = conn.getresponse()
        return r.status, r.headers, r.read()
    finally:
        conn.close()


def seconds_between(start, end):
    return (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds()


class MaskTest(NodesTestCase):
    def setUp(self):
        super().setUp()
        self.cam, self.cam_base = start_testcam("--size", f"{W}x{H}", "--fps", "10", "--gop", "10")
        self.out = temp_dir()

    def tearDown(self):
        super().tearDown()
        self.cam.stop()
        self.out.cleanup()

    def gray(self, node, url, frames=1):
        """The luma of the first `frames` pictures ffmpeg decodes from `url` (asked with the node's token)."""
        auth = ["-headers", f"Authorization: Bearer {node.token}\r\n"] if url.startswith("https://") else []
        r = subprocess.run(["ffmpeg", "-v", "error", "-nostdin", *auth, "-i", url, "-frames:v", str(frames),
                            "-f", "rawvideo", "-pix_fmt", "gray", "-"], capture_output=True, timeout=120,
                           stdin=subprocess.DEVNULL)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(len(r.stdout), W * H * frames)
        return [r.stdout[i * W * H:(i + 1) * W * H] for i in range(frames)]

    def check(self, luma, masked):
        """Inside the mask (2 pixels in from its edges): black when `masked`,
        else testcam's bright bars; beside it, the magenta bar (Y 84) or the
        sweeping white one: never black."""
        rows = range(65, 142)
        inside = [luma[y * W + x] for y in rows for x in range(0, 158)]
        beside = [luma[y * W + x] for y in rows for x in range(168, 198)]
        self.assertGreater(sum(v > 60 for v in beside), len(beside) * 0.9, "the picture outside the mask is gone")
        if masked:
            self.assertLessEqual(max(inside), DARK, "a pixel inside the mask is not black")
        else:
            self.assertGreater(sum(v > 60 for v in inside), len(inside) * 0.9)

    def snapshot(self, node, camera):
        status, headers, body = request(node, "GET", f"/api/v1/cameras/{camera}/snapshot.jpg")
        self.assertEqual((status, headers["Content-Type"]), (200, "image/jpeg"), body[:200])
        path = os.path.join(self.out.name, f"{node.id}-{camera}.jpg")
        with open(path, "wb") as f:
            f.write(body)
        return self.gray(node, path)[0]

    def live_hls(self, node, camera):
        deadline = time.monotonic() + 60
        while True:
            status, _, body = request(node, "GET", f"/api/v1/cameras/{camera}/live.m3u8")
            self.assertEqual(status, 200, body[:200])
            if body.decode().count("#EXTINF") >= 2 or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        return self.gray(node, f"{node.url}/api/v1/cameras/{camera}/live.m3u8", frames=5)

    def village_and_house(self, cameras):
        """A village and a household whose config ends with `cameras`, linked."""
        village = self.node("village-1", "village")
        house = self.node("house-1", "household")
        with open(house.config, "a") as f:
            f.write(cameras)
        self.linked(village, house)
        return village, house

    def camera(self, camera_id, record, masks=""):
        return (f'\n[[camera]]\nid = "{camera_id}"\nname = "The {camera_id}"\nurl = "{self.cam_base}/cam/0"\n'
                f'record = "{record}"\n{masks}')

    def test_what_a_household_shares_is_masked_at_the_source(self):
        village, house = self.village_and_house(
            self.camera("door", "continuous", f'[[camera.mask]]\nname = "the neighbour\'s window"\npolygon = {MASK}\n')
            + self.camera("gate", "off"))
        everything = [{"tier": "village", "rights": ["live", "snapshot", "playback", "export"]}]
        for camera in ("door", "gate"):
            status, body = house.api("PUT", f"/api/v1/cameras/{camera}/shares", everything)
            self.assertEqual(status, 200, body)
        wait_until("the village lists the door",
                   lambda: "house-1.door" in [c["id"] for c in village.api("GET", "/api/v1/cameras")[1]], LINK_UP)

        rights = {c["id"]: sorted(c.get("rights", [])) for c in village.api("GET", "/api/v1/cameras")[1]}
        self.assertEqual(rights["house-1.door"], ["export", "live", "playback", "snapshot"])
        wait_until("the village lists the gate", lambda: "house-1.gate" in [
            c["id"] for c in village.api("GET", "/api/v1/cameras")[1]], LINK_UP)

        # The household sees its own door unmasked (applies = "shared").
        wait_until("the door streams at home",
                   lambda: request(house, "GET", "/api/v1/cameras/door/snapshot.jpg")[0] == 200, 60)
        self.check(self.snapshot(house, "door"), masked=False)

        # Through the link: the door's pictures are masked, the gate's not.
        self.check(self.snapshot(village, "house-1.door"), masked=True)
        self.check(self.snapshot(village, "house-1.gate"), masked=False)
        for luma in self.live_hls(village, "house-1.door"):
            self.check(luma, masked=True)

        # Recorded video goes up masked: the export, a Range of it, and
        # HLS playback (each fragment masked when asked); at home the same
        # range is not masked.
        q = self.recorded(house, "door", 4)
        for luma in self.export(village, "house-1.door", q):
            self.check(luma, masked=True)
        for luma in self.export(house, "door", q):
            self.check(luma, masked=False)
        status, headers, whole = request(village, "GET", f"/api/v1/cameras/house-1.door/export.mp4?{q}")
        self.assertEqual(status, 200)
        status, headers, part = request(village, "GET", f"/api/v1/cameras/house-1.door/export.mp4?{q}",
                                        {"Range": "bytes=100-199"})
        self.assertEqual((status, headers["Content-Range"]), (206, f"bytes 100-199/{len(whole)}"))
        self.assertEqual(part, whole[100:200])
        status, _, body = request(village, "HEAD", f"/api/v1/cameras/house-1.door/export.mp4?{q}")
        self.assertEqual(status, 200, body)
        for luma in self.gray(village, f"{village.url}/api/v1/cameras/house-1.door/playback.m3u8?{q}", frames=12):
            self.check(luma, masked=True)
        # An export longer than the owner masks at once is refused with why.
        long = f"start={rfc3339(time.time() - 3600)}&end={rfc3339(time.time())}"
        status, _, body = request(village, "GET", f"/api/v1/cameras/house-1.door/export.mp4?{long}")
        self.assertEqual(status, 400, body[:200])
        self.assertIn("privacy masks", json.loads(body)["error"])

    def recorded(self, node, camera, seconds):
        """The query of a range of `camera` at `node` with at least `seconds` recorded, once there is."""
        start = time.time()

        def runs():
            status, _, body = request(node, "GET", f"/api/v1/cameras/{camera}/recordings?start={rfc3339(start - 600)}"
                                                   f"&end={rfc3339(time.time() + 60)}")
            return status == 200 and [r for r in json.loads(body) if seconds_between(r["start"], r["end"]) >= seconds]
        run = wait_until(f"{seconds} s of {camera} recorded", runs, 60)[0][0]
        return f"start={run['start']}&end={run['end']}"

    def export(self, node, camera, q):
        status, headers, body = request(node, "GET", f"/api/v1/cameras/{camera}/export.mp4?{q}")
        self.assertEqual((status, headers["Content-Type"]), (200, "video/mp4"), body[:200])
        path = os.path.join(self.out.name, f"{node.id}-{camera}.mp4")
        with open(path, "wb") as f:
            f.write(body)
        return self.gray(node, path, frames=5)

    def test_applies_all_masks_local_video_and_recordings_go_up_masked(self):
        village, house = self.village_and_house(
            self.camera("door", "continuous", f'[[camera.mask]]\nname = "the street"\npolygon = {MASK}\napplies = "all"\n'))
        status, body = house.api("PUT", "/api/v1/cameras/door/shares",
                                 [{"tier": "village", "rights": ["live", "snapshot", "playback", "export"]}])
        self.assertEqual(status, 200, body)

        # At home: live (snapshot) and the recording are masked.
        wait_until("the door streams at home",
                   lambda: request(house, "GET", "/api/v1/cameras/door/snapshot.jpg")[0] == 200, 60)
        self.check(self.snapshot(house, "door"), masked=True)
        q = self.recorded(house, "door", 4)
        for luma in self.export(house, "door", q):
            self.check(luma, masked=True)

        # The village sees the door's snapshot and recordings, masked.
        wait_until("the village lists the door",
                   lambda: "house-1.door" in [c["id"] for c in village.api("GET", "/api/v1/cameras")[1]], LINK_UP)
        self.check(self.snapshot(village, "house-1.door"), masked=True)
        for luma in self.export(village, "house-1.door", q):
            self.check(luma, masked=True)

    def test_a_mask_added_later_hides_what_the_parent_saw_before(self):
        village, house = self.village_and_house(self.camera("door", "off"))
        status, body = house.api("PUT", "/api/v1/cameras/door/shares",
                                 [{"tier": "village", "rights": ["live", "snapshot"]}])
        self.assertEqual(status, 200, body)
        wait_until("the village lists the door",
                   lambda: "house-1.door" in [c["id"] for c in village.api("GET", "/api/v1/cameras")[1]], LINK_UP)
        wait_until("the door streams at home",
                   lambda: request(house, "GET", "/api/v1/cameras/door/snapshot.jpg")[0] == 200, 60)
        self.check(self.snapshot(village, "house-1.door"), masked=False)  # the village holds that picture now

        # The owner masks the door and starts again; the village's next
        # look gets the masked picture, not the one it kept from before.
        house.stop()
        with open(house.config, "a") as f:
            f.write(f'[[camera.mask]]\nname = "the street"\npolygon = {MASK}\n')
        house.start()
        wait_until("the household is back",
                   lambda: (c := village.child("house-1")) and c["state"] == "connected", LINK_UP)
        wait_until("the door streams at home again",
                   lambda: request(house, "GET", "/api/v1/cameras/door/snapshot.jpg")[0] == 200, 60)
        self.check(self.snapshot(village, "house-1.door"), masked=True)


if __name__ == "__main__":
    unittest.main()

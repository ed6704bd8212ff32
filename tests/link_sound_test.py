"""The sound of a camera below (issue 17 item 4; design/LINK.md "Sound")
between real `vigil serve` processes on loopback: a household with
testcam cameras that send AAC ("door", recorded) and G.711 A-law ("yard"),
and an AAC one with a privacy mask ("gate"), under a village. At the
village, a live view asked with sound (the camera page's WebSocket,
?audio=1) of each unmasked camera has an AAC track that ffmpeg decodes,
testcam's beeps in it (the A-law transcoded at the village, as for a
camera of its own); the masked camera's has none and is listed without
sound; the door's recorded playback and export, built by the household,
hold its sound too."""
import asyncio
import json
import os
import re
import time
import unittest

from link_test import LINK_UP, NodesTestCase, wait_until
from live_playback_test import parse_time, rfc3339
from looks_test import live_socket
from mask_test import MASK
from remote_media_test import get
from vigil_testlib import run, start_testcam, temp_dir

LISTEN_S = 3  # of fragments captured from each live view


async def capture(node, camera, seconds=LISTEN_S, limit=60):
    """The camera page's live view with sound: (the init message, the fMP4
    bytes of `seconds` of fragments); bounded by `limit`."""
    init, data, start = None, bytearray(), None
    async with live_socket(node, camera, "?audio=1") as ws:
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            m = await asyncio.wait_for(ws.recv(), 30)
            if isinstance(m, str):
                init = init or json.loads(m)
                continue
            data += m
            start = start or time.monotonic()
            if time.monotonic() - start >= seconds:
                break
    return init, bytes(data)


class LinkSoundTest(NodesTestCase):
    def setUp(self):
        super().setUp()
        small = ("--size", "320x240", "--fps", "10", "--gop", "10", "--bitrate", "200")
        self.aac, aac_base = start_testcam(*small, "--audio", "aac")
        self.pcma, pcma_base = start_testcam(*small, "--audio", "pcma")
        self.urls = {"door": aac_base + "/cam/0", "yard": pcma_base + "/cam/0", "gate": aac_base + "/cam/0"}
        self.out = temp_dir()

    def tearDown(self):
        super().tearDown()
        self.aac.stop()
        self.pcma.stop()
        self.out.cleanup()

    def probe(self, path_or_url, *args):
        r = run(["ffprobe", "-v", "error", *args, "-show_entries", "stream=codec_type,codec_name,sample_rate",
                 "-of", "json", path_or_url], timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr)
        return [(s["codec_type"], s["codec_name"], s.get("sample_rate")) for s in json.loads(r.stdout)["streams"]]

    def loudest_db(self, path):
        """The audio track decoded whole by ffmpeg, without a message: its peak (dBFS)."""
        r = run(["ffmpeg", "-v", "info", "-nostats", "-i", path, "-map", "0:a", "-af", "volumedetect", "-f", "null",
                 "-"], timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertNotIn("error", r.stderr.lower())
        return float(re.search(r"max_volume: (-?[\d.]+|-inf) dB", r.stderr).group(1))

    def test_a_village_hears_a_households_cameras_live_and_in_their_recordings(self):
        village = self.node("village-1", "village")
        house = self.node("house-1", "household")
        with open(house.config, "a") as f:
            for camera, record in (("door", "continuous"), ("yard", "off"), ("gate", "off")):
                f.write(f'\n[[camera]]\nid = "{camera}"\nname = "The {camera}"\nurl = "{self.urls[camera]}"\n'
                        f'record = "{record}"\n')
                if camera == "gate":
                    f.write(f'[[camera.mask]]\nname = "the street"\npolygon = {MASK}\n')
        self.linked(village, house)
        for camera in ("door", "yard", "gate"):
            status, shares = house.api("PUT", f"/api/v1/cameras/{camera}/shares",
                                       [{"tier": "village", "rights": ["live", "playback", "export"]}])
            self.assertEqual(status, 200, shares)

        # Listed with their sound, which the camera page offers ("Sound on"); the masked gate without.
        def sounds():
            cameras = {c["id"]: c.get("audio") for c in village.api("GET", "/api/v1/cameras")[1]}
            return cameras if all(f"house-1.{c}" in cameras for c in ("door", "yard", "gate")) and \
                cameras["house-1.door"] and cameras["house-1.yard"] else None
        listed, _ = wait_until("the village lists the cameras with their sound", sounds, LINK_UP)
        self.assertEqual((listed["house-1.door"], listed["house-1.yard"], listed["house-1.gate"]),
                         ("aac", "alaw", None))

        # Live with sound at the village: an AAC track ffmpeg decodes, beeps in it.
        for camera in ("door", "yard"):
            with self.subTest(camera):
                init, data = asyncio.run(capture(village, f"house-1.{camera}"))
                self.assertIsNotNone(init)
                self.assertIn("mp4a.40.2", init["codec"])
                path = os.path.join(self.out.name, f"live-{camera}.mp4")
                with open(path, "wb") as f:
                    f.write(data)
                rate = "16000" if camera == "door" else "8000"
                self.assertEqual(self.probe(path), [("video", "h264", None), ("audio", "aac", rate)])
                peak = self.loudest_db(path)
                print(f"house-1.{camera} live at the village: {len(data)} bytes in {LISTEN_S} s, "
                      f"sound peak {peak} dBFS")
                self.assertGreater(peak, -30)  # testcam's beeps, not silence
        # The masked gate: pictures only.
        init, data = asyncio.run(capture(village, "house-1.gate", seconds=1))
        self.assertIsNotNone(init)
        self.assertNotIn("mp4a", init["codec"])

        # Recorded: playback and export of the door through the link, as the household builds them.
        def recorded():
            now = time.time()
            status, _, body = get(village, f"/api/v1/cameras/house-1.door/recordings?start={rfc3339(now - 600)}"
                                           f"&end={rfc3339(now + 60)}")
            runs = [r for r in json.loads(body) if parse_time(r["end"]) - parse_time(r["start"]) >= 6] \
                if status == 200 else []
            return runs[-1] if runs else None
        run_, _ = wait_until("the household has recorded 6 s of the door", recorded, 120)
        end = parse_time(run_["end"]) - 1
        query = f"start={rfc3339(end - 4)}&end={rfc3339(end)}"
        status, headers, mp4 = get(village, f"/api/v1/cameras/house-1.door/export.mp4?{query}")
        self.assertEqual(status, 200, mp4[:300])
        path = os.path.join(self.out.name, "export-door.mp4")
        with open(path, "wb") as f:
            f.write(mp4)
        self.assertEqual(self.probe(path), [("video", "h264", None), ("audio", "aac", "16000")])
        self.assertGreater(self.loudest_db(path), -30)
        playlist = f"{village.url}/api/v1/cameras/house-1.door/playback.m3u8?{query}"
        auth = ["-headers", f"Authorization: Bearer {village.token}\r\n"]
        self.assertIn(("audio", "aac", "16000"), self.probe(playlist, *auth))


if __name__ == "__main__":
    unittest.main()

"""Attacks on privacy masks at the source (design/DETECT.md "Privacy
masks"), between real `vigil serve` processes on loopback, with the
helpers of mask_test.py:

- a village that watched a camera's live HLS before its owner masked it
  serves the segments it kept from then to its next live HLS viewer (the
  HLS window of a camera below outlives its look, up to 60 s idle);
- a camera masked later with applies = "all" is shared whole as if its
  whole recording were masked: the part recorded before the mask goes up
  unmasked.
Each must see no unmasked pixel inside the mask (or a refusal).

And a cost: an export of a masked camera may take its owner 90 s to
answer (it masks it all first), and the village waits that long with one
of its two link-wait slots; two such exports must not leave every other
recorded-media ask of every child refused 503 meanwhile."""
import os
import signal
import subprocess
import threading
import time
import unittest

import mask_test
from link_test import LINK_UP, wait_until
from live_playback_test import rfc3339
from mask_test import H, MASK, W, request


class MaskAttackTest(mask_test.MaskTest):
    # Only the attacks here, not mask_test's own tests again.
    test_what_a_household_shares_is_masked_at_the_source = None
    test_applies_all_masks_local_video_and_recordings_go_up_masked = None
    test_a_mask_added_later_hides_what_the_parent_saw_before = None

    def restart_masked(self, village, house, applies):
        house.stop()
        with open(house.config, "a") as f:
            f.write(f'[[camera.mask]]\nname = "the street"\npolygon = {MASK}\napplies = "{applies}"\n')
        house.start()
        wait_until("the household is back",
                   lambda: (c := village.child("house-1")) and c["state"] == "connected", LINK_UP)
        wait_until("the door streams at home again",
                   lambda: request(house, "GET", "/api/v1/cameras/door/snapshot.jpg")[0] == 200, 60)

    def test_live_hls_at_the_parent_serves_no_segment_from_before_a_mask(self):
        village, house = self.village_and_house(self.camera("door", "off"))
        status, body = house.api("PUT", "/api/v1/cameras/door/shares",
                                 [{"tier": "village", "rights": ["live", "snapshot"]}])
        self.assertEqual(status, 200, body)
        wait_until("the village lists the door",
                   lambda: "house-1.door" in [c["id"] for c in village.api("GET", "/api/v1/cameras")[1]], LINK_UP)
        wait_until("the door streams at home",
                   lambda: request(house, "GET", "/api/v1/cameras/door/snapshot.jpg")[0] == 200, 60)
        for luma in self.live_hls(village, "house-1.door"):  # the village's HLS window fills, unmasked
            self.check(luma, masked=False)

        self.restart_masked(village, house, "shared")
        # The next viewer at the village, from the first segment listed
        # (once the window lists one: a window from before is not served).
        def listed():
            status, _, body = request(village, "GET", "/api/v1/cameras/house-1.door/live.m3u8")
            self.assertEqual(status, 200, body[:200])
            return b"#EXTINF" in body
        wait_until("the village's live HLS window lists a segment", listed, 60)
        r = subprocess.run(["ffmpeg", "-v", "error", "-nostdin", "-headers",
                            f"Authorization: Bearer {village.token}\r\n", "-live_start_index", "0",
                            "-i", f"{village.url}/api/v1/cameras/house-1.door/live.m3u8", "-frames:v", "1",
                            "-f", "rawvideo", "-pix_fmt", "gray", "-"], capture_output=True, timeout=120,
                           stdin=subprocess.DEVNULL)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(len(r.stdout), W * H)
        self.check(r.stdout, masked=True)

    def test_a_recording_from_before_an_applies_all_mask_does_not_go_up_unmasked(self):
        village, house = self.village_and_house(self.camera("door", "continuous"))
        status, body = house.api("PUT", "/api/v1/cameras/door/shares",
                                 [{"tier": "village", "rights": ["live", "snapshot", "playback", "export"]}])
        self.assertEqual(status, 200, body)
        wait_until("the door streams at home",
                   lambda: request(house, "GET", "/api/v1/cameras/door/snapshot.jpg")[0] == 200, 60)
        start = time.time()
        wait_until("four seconds recorded", lambda: time.time() - start > 5, 10)
        q = f"start={rfc3339(start - 60)}&end={rfc3339(time.time() - 1)}"  # before the mask only

        self.restart_masked(village, house, "all")
        wait_until("the village lists the door",
                   lambda: "house-1.door" in [c["id"] for c in village.api("GET", "/api/v1/cameras")[1]], LINK_UP)
        status, _, body = request(village, "GET", f"/api/v1/cameras/house-1.door/export.mp4?{q}")
        if status == 200:  # shared: then masked
            for luma in self.export(village, "house-1.door", q):
                self.check(luma, masked=True)
        else:
            self.assertEqual(status, 403, body[:200])

    def test_exports_waiting_on_an_owner_leave_the_village_a_slot_for_other_recordings(self):
        village, house = self.village_and_house(
            self.camera("door", "off", f'[[camera.mask]]\nname = "the street"\npolygon = {MASK}\n'))
        other = self.node("house-2", "household")
        with open(other.config, "a") as f:
            f.write(self.camera("gate", "off"))
        r = other.join(village, village.invite())
        self.assertEqual(r.returncode, 0, r.stderr)
        other.start()
        wait_until("the village sees house-2",
                   lambda: (c := village.child("house-2")) and c["state"] == "connected", LINK_UP)
        for node, camera, rights in ((house, "door", ["live", "export"]), (other, "gate", ["live", "playback"])):
            status, body = node.api("PUT", f"/api/v1/cameras/{camera}/shares", [{"tier": "village", "rights": rights}])
            self.assertEqual(status, 200, body)
        wait_until("the village lists the door and the gate", lambda: {"house-1.door", "house-2.gate"} <= {
            c["id"] for c in village.api("GET", "/api/v1/cameras")[1]}, LINK_UP)
        now = time.time()
        gate = f"/api/v1/cameras/house-2.gate/recordings?start={rfc3339(now - 600)}&end={rfc3339(now)}"
        self.assertEqual(request(village, "GET", gate)[0], 200)

        # The door's owner takes its time (here: stopped; its link lives
        # on for 30 s), and two exports of the door wait on it at the village.
        answers = []

        def export():
            try:
                answers.append(request(village, "GET", f"/api/v1/cameras/house-1.door/export.mp4?"
                                                       f"start={rfc3339(now - 60)}&end={rfc3339(now)}")[0])
            except OSError as e:
                answers.append(e)
        pid = house.proc.proc.pid
        os.kill(pid, signal.SIGSTOP)
        threads = [threading.Thread(target=export) for _ in range(2)]
        try:
            for t in threads:
                t.start()
                time.sleep(1)  # the export waits on the owner by now
            status, _, body = request(village, "GET", gate)
        finally:
            os.kill(pid, signal.SIGCONT)
            for t in threads:
                t.join(90)
        # The gate's owner answers at once: the village asks it.
        self.assertEqual(status, 200, body[:200])


if __name__ == "__main__":
    unittest.main()

"""The public register (issue 18, item 4; design/REGISTER.md) between real
`vigil serve` processes on loopback: a village with a masked camera over
its square (listed, with a snapshot) and an office camera (not listed),
and a household under it with a lane camera its owner listed and a door
it did not. The register answers 404 without a session until the
village's admin opens it; then it lists exactly the two listed cameras,
with who runs them as their owners named themselves, which tiers may
watch, how long video is kept and how many looks from other tiers each
had (the village's looks at the lane, counted at the household), and no
name of a user or node that looked; the square's snapshot decodes black
inside its mask. Closed again, it is 404 again."""
import json
import os
import ssl
import subprocess
import unittest
import urllib.error
import urllib.request

from link_test import LINK_UP, NodesTestCase, wait_until
from mask_test import DARK, MASK, H, W, request
from vigil_testlib import start_testcam, temp_dir


def anonymous(node, path):
    """GET `path` without a session: (status, body bytes)."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    try:
        with urllib.request.urlopen(node.url + path, context=ctx, timeout=30) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


class RegisterTest(NodesTestCase):
    def setUp(self):
        super().setUp()
        self.cam, self.cam_base = start_testcam("--size", f"{W}x{H}", "--fps", "10", "--gop", "10")
        self.out = temp_dir()

    def tearDown(self):
        super().tearDown()
        self.cam.stop()
        self.out.cleanup()

    def camera(self, camera_id, record, extra=""):
        return (f'\n[[camera]]\nid = "{camera_id}"\nname = "The {camera_id}"\nurl = "{self.cam_base}/cam/0"\n'
                f'record = "{record}"\n{extra}')

    def test_only_listed_cameras_masked_pictures_counts_and_no_names_of_lookers(self):
        village = self.node("village-1", "village")
        house = self.node("house-1", "household")
        with open(village.config, "a") as f:
            f.write(self.camera("square", "continuous",
                                f'retain_days = 14\n[[camera.mask]]\nname = "a neighbour\'s window"\npolygon = {MASK}\n')
                    + self.camera("office", "off"))
        with open(house.config, "a") as f:
            f.write(self.camera("lane", "continuous", "retain_days = 7\n") + self.camera("door", "off"))
        self.linked(village, house)

        # Closed as it starts: 404 without a session, for the list and a picture.
        self.assertEqual(anonymous(village, "/api/v1/register")[0], 404)
        self.assertEqual(anonymous(village, "/api/v1/register/cameras/square/snapshot.jpg")[0], 404)

        # The owners list what looks at a public place; the rest stays off the register.
        status, body = village.api("PUT", "/api/v1/cameras/square/register",
                                   {"listed": True, "covers": "The village square", "snapshot": True})
        self.assertEqual(status, 200, body)
        for camera in ("lane", "door"):
            status, body = house.api("PUT", f"/api/v1/cameras/{camera}/shares",
                                     [{"tier": "village", "rights": ["live", "snapshot"]}])
            self.assertEqual(status, 200, body)
        status, body = house.api("PUT", "/api/v1/cameras/lane/register",
                                 {"listed": True, "covers": "The lane to the well"})
        self.assertEqual(status, 200, body)
        self.assertEqual(house.api("PUT", "/api/v1/register/settings", {"run_by": "Zhang family"})[0], 200)
        self.assertEqual(anonymous(village, "/api/v1/register")[0], 404)  # still closed
        status, body = village.api("PUT", "/api/v1/register/settings",
                                   {"open": True, "run_by": "Willow village committee"})
        self.assertEqual((status, body), (200, {"open": True, "run_by": "Willow village committee"}))

        # A user of the village looks at the lane three times (snapshots through the link).
        status, body = village.api("POST", "/api/v1/users",
                                   {"id": "watcher-li", "role": "operator", "password": "a long password for li"})
        self.assertEqual(status, 201, body)
        token = village.api("POST", "/api/v1/login", {"user": "watcher-li", "password": "a long password for li"})[1]["token"]
        looker = type("Looker", (), {"port": village.port, "token": token})
        wait_until("the village lists the lane", lambda: "house-1.lane" in [
            c["id"] for c in village.api("GET", "/api/v1/cameras")[1]], LINK_UP)
        wait_until("the lane streams", lambda: request(looker, "GET", "/api/v1/cameras/house-1.lane/snapshot.jpg")[0] == 200,
                   60)
        for _ in range(2):
            status, _, body = request(looker, "GET", "/api/v1/cameras/house-1.lane/snapshot.jpg")
            self.assertEqual(status, 200, body[:200])

        def listed():
            status, body = anonymous(village, "/api/v1/register")
            self.assertEqual(status, 200, body)
            doc = json.loads(body)
            lane = next((c for c in doc["cameras"] if c["covers"] == "The lane to the well"), None)
            return (doc, body) if lane and lane["looks_30d"] == 3 else None

        (doc, raw), _ = wait_until("the register counts the lane's three looks", listed, 30)
        self.assertEqual(doc["name"], "Willow village committee")
        self.assertEqual(doc["tier"], "village")
        by_covers = {c["covers"]: c for c in doc["cameras"]}
        self.assertEqual(sorted(by_covers), ["The lane to the well", "The village square"])
        square, lane = by_covers["The village square"], by_covers["The lane to the well"]
        self.assertEqual(square["run_by"], "Willow village committee")
        self.assertEqual(square["retention_days"], 14)
        self.assertEqual(square["looks_30d"], 0)
        self.assertEqual(square["watch"], {"owner": ["live", "snapshots", "recorded"]})  # shared with no tier above
        self.assertEqual(square["snapshot"], "/api/v1/register/cameras/square/snapshot.jpg")
        self.assertEqual(lane["run_by"], "Zhang family")
        self.assertEqual((lane["below"], square["below"]), (True, False))  # the lane's run_by is its owner's word
        self.assertEqual(lane["retention_days"], 7)
        self.assertEqual(lane["watch"], {"owner": ["live", "snapshots", "recorded"], "village": ["live", "snapshots"]})
        self.assertIsNone(lane["snapshot"])
        # Looks are a count: no user, no node that looked, nor the owners' node names.
        text = raw.decode()
        for name in ("watcher-li", "admin", "village-1", "Node village-1", "house-1", "Node house-1", "@"):
            self.assertNotIn(name, text)

        # The square's picture, masked at the source: black inside the mask.
        path = os.path.join(self.out.name, "square.jpg")
        status, body = wait_until("the square's register picture", lambda: (
            r if (r := anonymous(village, "/api/v1/register/cameras/square/snapshot.jpg"))[0] == 200 else None), 60)[0]
        with open(path, "wb") as f:
            f.write(body)
        r = subprocess.run(["ffmpeg", "-v", "error", "-nostdin", "-i", path, "-frames:v", "1", "-f", "rawvideo",
                            "-pix_fmt", "gray", "-"], capture_output=True, timeout=60, stdin=subprocess.DEVNULL)
        self.assertEqual(r.returncode, 0, r.stderr)
        luma = r.stdout
        self.assertEqual(len(luma), W * H)
        inside = [luma[y * W + x] for y in range(65, 142) for x in range(0, 158)]
        beside = [luma[y * W + x] for y in range(65, 142) for x in range(168, 198)]
        self.assertLessEqual(max(inside), DARK, "a pixel inside the mask is not black")
        self.assertGreater(sum(v > 60 for v in beside), len(beside) * 0.9, "the picture outside the mask is gone")
        # The office and a camera below have no picture in the register.
        self.assertEqual(anonymous(village, "/api/v1/register/cameras/office/snapshot.jpg")[0], 404)
        self.assertEqual(anonymous(village, "/api/v1/register/cameras/house-1.lane/snapshot.jpg")[0], 404)

        # Closed again: 404 without a session.
        self.assertEqual(village.api("PUT", "/api/v1/register/settings", {"open": False})[0], 200)
        self.assertEqual(anonymous(village, "/api/v1/register")[0], 404)

    def test_cameras_from_the_ui_join_the_register_and_leave_it_when_removed_or_moved(self):
        """A node with no [link] section: a camera added from the UI is in
        its register with its retention and its picture; pointed at another
        URL, or removed and added again under the same id, it is unlisted,
        its picture gone, until its owner lists it again."""
        node = self.node("village-1", "village")
        node.start()
        self.assertEqual(node.api("PUT", "/api/v1/register/settings", {"open": True})[0], 200)
        well = {"id": "well", "url": f"{self.cam_base}/cam/0", "record": "continuous", "retain_days": 9}
        status, body = node.api("POST", "/api/v1/cameras", well)
        self.assertEqual(status, 201, body)
        listing = {"listed": True, "covers": "The village well", "snapshot": True}

        def listed_again():
            wait_until("the well runs", lambda: node.api("PUT", "/api/v1/cameras/well/register", listing)[0] == 200,
                       LINK_UP)

        def in_register():
            status, body = anonymous(node, "/api/v1/register")
            self.assertEqual(status, 200, body)
            return [c for c in json.loads(body)["cameras"] if c["covers"] == "The village well"]

        def listing_once_it_runs():
            return wait_until("the well runs", lambda: (r := node.api("GET", "/api/v1/cameras/well/register"))[0] == 200
                              and r, LINK_UP)[0][1]

        unlisted = {"listed": False, "covers": "", "snapshot": False}
        listed_again()
        self.assertEqual(in_register()[0]["retention_days"], 9)
        picture = "/api/v1/register/cameras/well/snapshot.jpg"
        status, jpeg = wait_until("the well's register picture",
                                  lambda: (r := anonymous(node, picture))[0] == 200 and r, 130)[0]
        self.assertEqual(jpeg[:2], b"\xff\xd8")

        # Pointed at another camera: it may show something else, so it leaves the register.
        status, body = node.api("PUT", "/api/v1/cameras/well", {**well, "url": f"{self.cam_base}/cam/1"})
        self.assertEqual(status, 200, body)
        self.assertEqual(listing_once_it_runs(), unlisted)
        self.assertEqual(in_register(), [])
        self.assertEqual(anonymous(node, picture)[0], 404)

        # Listed again, then removed and added again under the same id: it starts unlisted.
        listed_again()
        self.assertEqual(len(in_register()), 1)
        status, body = node.api("DELETE", "/api/v1/cameras/well")
        self.assertEqual(status, 200, body)
        self.assertEqual(in_register(), [])
        status, body = node.api("POST", "/api/v1/cameras", well)
        self.assertEqual(status, 201, body)
        self.assertEqual(listing_once_it_runs(), unlisted)
        self.assertEqual(in_register(), [])
        self.assertEqual(anonymous(node, picture)[0], 404)
        # Each unlisting is a register_change row naming who removed or moved the camera.
        status, rows = node.api("GET", "/api/v1/audit?limit=100")
        self.assertEqual(status, 200, rows)
        unlisted = [r for r in rows if r["action"] == "register_change" and r["detail"].get("because")]
        self.assertEqual(sorted(r["detail"]["because"] for r in unlisted), ["camera_new_view", "camera_removed"])
        self.assertTrue(all(r["user"] == "admin" and r["camera"] == "well" for r in unlisted), unlisted)

    def test_a_register_picture_is_not_shown_once_its_camera_went_offline(self):
        """The register's picture of a camera is kept a minute, but only
        while the camera streams: offline, the public gets 503 at once,
        not the picture from before."""
        node = self.node("village-1", "village")
        with open(node.config, "a") as f:
            f.write(self.camera("square", "off"))
        node.start()
        self.assertEqual(node.api("PUT", "/api/v1/register/settings", {"open": True})[0], 200)
        status, body = node.api("PUT", "/api/v1/cameras/square/register",
                                {"listed": True, "covers": "The village square", "snapshot": True})
        self.assertEqual(status, 200, body)
        picture = "/api/v1/register/cameras/square/snapshot.jpg"
        wait_until("the square's register picture", lambda: anonymous(node, picture)[0] == 200, 130)

        self.cam.stop()
        wait_until("the square is offline", lambda: not next(
            c for c in node.api("GET", "/api/v1/cameras")[1] if c["id"] == "square")["online"], 60)
        status, body = anonymous(node, picture)
        self.assertEqual(status, 503, body[:100])


if __name__ == "__main__":
    unittest.main()

"""The owner's view of looks from other tiers (issue 14 item 8; design/AUDIT.md
"Looks from other tiers"): a household with a synthetic camera linked to a
village, both real `vigil serve` processes on loopback. A desk user of the
village is refused a snapshot the household did not share and watches the
shared live view for a few seconds; the household's
`GET /api/v1/audit?remote=true` answers each look with who, tier, what,
how long and whether it was refused, combines with the other filters, and
is for the household's admin (its owner) alone."""
import asyncio
import json
import time
import types
import unittest
import urllib.parse

from link_test import LINK_UP, NodesTestCase, wait_until
from looks_test import raw_get, watch
from vigil_testlib import start_testcam

WATCH = 4  # seconds the desk watches


class OwnerLooksTest(NodesTestCase):
    def looks(self, house, query=""):
        status, rows = house.api("GET", "/api/v1/audit?remote=true" + query)
        self.assertEqual(status, 200, rows)
        return rows

    @staticmethod
    def session(node, user, role, cameras):
        """A user of `node` and a client holding their session."""
        password = "password for tests"
        status, body = node.api("POST", "/api/v1/users",
                                {"id": user, "role": role, "password": password, "cameras": cameras})
        assert status == 201, body
        status, body = node.api("POST", "/api/v1/login", {"user": user, "password": password})
        assert status == 200, body
        return types.SimpleNamespace(url=node.url, token=body["token"])

    def test_the_owner_sees_who_looked_how_long_and_what_was_refused(self):
        cam, cam_base = start_testcam()
        self.addCleanup(cam.stop)  # after tearDown has stopped the nodes
        village = self.node("village1", "village")
        house = self.node("house1", "household", cameras=["door"], camera_url=f"{cam_base}/cam/0")
        self.linked(village, house)
        remote = "house1.door"

        status, shares = house.api("PUT", "/api/v1/cameras/door/shares", [{"tier": "village", "rights": ["live"]}])
        self.assertEqual(status, 200, shares)
        wait_until("the village lists the door",
                   lambda: remote in [c["id"] for c in village.api("GET", "/api/v1/cameras")[1]], LINK_UP)
        desk = self.session(village, "desk", "viewer", [remote])

        # A snapshot was not shared: refused at the source.
        status, _, body = raw_get(desk, f"/api/v1/cameras/{remote}/snapshot.jpg")
        self.assertEqual(status, 403, body)

        # The shared live view, watched for WATCH seconds.
        state, began = {}, time.monotonic()

        async def look():
            await watch(desk, remote, state, asyncio.Event(), fragments=1, limit=WATCH)

        asyncio.run(look())
        watched = time.monotonic() - began
        self.assertNotIn("status", state, state)
        self.assertGreaterEqual(state.get("fragments", 0), 1, state)

        rows, _ = wait_until("the household logs the look ended",
                             lambda: (r := self.looks(house)) and any(x["action"] == "live_stop" for x in r) and r,
                             10)
        self.assertEqual([r["action"] for r in rows], ["live_stop", "live_start", "refused"], rows)
        stop, start, refused = rows
        for r in rows:
            self.assertEqual(r["camera"], "door")
            self.assertEqual(r["look"]["who"], "desk@village1")
            self.assertEqual(r["look"]["via"], ["village1"])
            self.assertEqual(r["look"]["tier"], "village")

        self.assertEqual(refused["look"]["what"], "snapshot")
        self.assertTrue(refused["look"]["refused"])
        self.assertEqual(refused["look"]["count"], 1)
        self.assertIn("snapshot not shared with the village", refused["look"]["reason"])
        self.assertNotIn("seconds", refused["look"])

        # How long: the stop's seconds, carried to its start, which it names.
        self.assertEqual(start["look"]["what"], "live")
        self.assertFalse(start["look"]["refused"])
        seconds = start["look"]["seconds"]
        print(f"the desk watched {watched:.1f} s by its clock; the household logged {seconds} s")
        self.assertGreaterEqual(seconds, WATCH - 1)
        self.assertLessEqual(seconds, watched + 1)
        self.assertEqual(start["look"]["stop_seq"], stop["seq"])
        self.assertEqual(stop["look"]["start_seq"], start["seq"])
        self.assertEqual(start["look"]["ended"], "closed")
        self.assertEqual(stop["look"]["seconds"], seconds)

        # The node's own rows (its admin's login, the share change) are not looks.
        status, everything = house.api("GET", "/api/v1/audit")
        self.assertEqual(status, 200, everything)
        self.assertIn("share_change", [r["action"] for r in everything])
        # Combined with the other filters.
        self.assertEqual(len(self.looks(house, "&user=desk@village1&camera=door")), 3)
        self.assertEqual(self.looks(house, "&user=admin"), [])
        self.assertEqual([r["action"] for r in self.looks(house, "&limit=1")], ["live_stop"])
        after = urllib.parse.quote(start["at"])
        self.assertEqual([r["action"] for r in self.looks(house, f"&start={after}")], ["live_stop", "live_start"])
        status, body = house.api("GET", "/api/v1/audit?remote=yes")
        self.assertEqual(status, 400, body)

        # A viewer of the household granted the door reads the same looks
        # at it, without client addresses (design/AUDIT.md "Who looked at
        # my cameras").
        viewer = self.session(house, "kid", "viewer", ["door"])
        status, _, body = raw_get(viewer, "/api/v1/audit?remote=true")
        self.assertEqual(status, 200, body)
        rows = json.loads(body)
        self.assertEqual([r["action"] for r in rows], ["live_stop", "live_start", "refused"])
        self.assertTrue(all(r["camera"] == "door" and r["client"] == "" for r in rows), rows)


if __name__ == "__main__":
    unittest.main()

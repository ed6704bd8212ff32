"""The catalog across four real `vigil serve` processes on loopback, a
household under a village under a township under a county (design/LINK.md,
"Catalog"): each tier lists exactly what the household shares with it,
under `<child-id>.….<camera-id>`; a revoked share and a child's link going
down take the entries away upward."""
import time
import unittest

from link_test import LINK_UP, NodesTestCase, wait_until
from vigil_testlib import start_testcam

# Loose: the issue asks for 2 s on a healthy link; sanitized builds on a
# shared machine are slower.
PROPAGATION = 10


def remote(node):
    status, cameras = node.api("GET", "/api/v1/cameras")
    assert status == 200, cameras
    return {c["id"]: c for c in cameras if c.get("remote")}


class CatalogTest(NodesTestCase):
    @classmethod
    def setUpClass(cls):
        cls.cam, cls.base = start_testcam("--size", "320x240", "--fps", "10", "--gop", "10", "--loop-seconds", "2")

    @classmethod
    def tearDownClass(cls):
        cls.cam.stop()

    def share(self, node, camera, shares):
        status, body = node.api("PUT", f"/api/v1/cameras/{camera}/shares", shares)
        self.assertEqual(status, 200, body)
        return time.monotonic()

    def test_four_tiers_list_what_the_household_shares_with_each(self):
        county = self.node("county1", "county")
        township = self.node("township1", "township")
        village = self.node("village1", "village")
        house = self.node("house1", "household", cameras=("door", "yard", "shed"), camera_url=f"{self.base}/cam/0")
        self.linked(county, township, village, house)

        # The door for the county only, the yard for the village only, the shed for no one.
        shared_at = self.share(house, "door", [{"tier": "county", "rights": ["live", "snapshot"]}])
        self.share(house, "yard", [{"tier": "village", "rights": ["playback", "live"]}])
        door, took = wait_until("the county lists the door",
                                lambda: remote(county).get("township1.village1.house1.door"), LINK_UP)
        print(f"\ncatalog: a share reached the county (3 hops) in {time.monotonic() - shared_at:.2f} s")
        self.assertEqual(door["node_path"], ["township1", "village1", "house1"])
        self.assertEqual(door["owner"], "Node house1")
        self.assertEqual(door["name"], "The door")
        self.assertEqual(sorted(door["rights"]), ["live", "snapshot"])
        self.assertIn(door["state"], ("connecting", "streaming", "retrying"))
        self.assertTrue(door["remote"])
        wait_until("the village lists the yard", lambda: "house1.yard" in remote(village), PROPAGATION)
        yard = remote(village)["house1.yard"]
        self.assertEqual(sorted(yard["rights"]), ["live", "playback"])
        self.assertEqual(yard["node_path"], ["house1"])
        self.assertEqual(list(remote(village)), ["house1.yard"])  # not the door: shared with the county only
        self.assertEqual(remote(township), {})
        self.assertEqual(list(remote(county)), ["township1.village1.house1.door"])
        # The gate knows a listed remote camera, and only that one.
        status, _ = county.api("GET", "/api/v1/cameras/township1.village1.house1.yard/shares")
        self.assertEqual(status, 404)
        # Once streaming, the door says so at the top (a state change goes up too).
        door, _ = wait_until("the door streams, seen at the county",
                             lambda: (d := remote(county).get("township1.village1.house1.door")) and
                             d["state"] == "streaming" and d, LINK_UP)
        self.assertEqual((door["codec"], door["width"], door["height"]), ("h264", 320, 240))

        # Revoked: gone from the county.
        revoked_at = self.share(house, "door", [])
        wait_until("the door leaves the county", lambda: "township1.village1.house1.door" not in remote(county),
                   PROPAGATION)
        took = time.monotonic() - revoked_at
        print(f"catalog: a revocation reached the county (3 hops) in {took:.2f} s")
        self.assertLess(took, PROPAGATION)

        # A link going down takes the entries below it away upward.
        self.share(house, "door", [{"tier": "township", "rights": ["export"]}])
        wait_until("the township lists the door", lambda: "village1.house1.door" in remote(township), PROPAGATION)
        village.stop()
        _, took = wait_until("the township drops the village's cameras", lambda: remote(township) == {},
                             PROPAGATION)
        print(f"catalog: a child's link down cleared its entries in {took:.2f} s")


if __name__ == "__main__":
    unittest.main()

"""The overview of a village (design/UPTIME.md, "Overview") between real
`vigil serve` processes on loopback: three households under a village,
their cameras fed by one real test camera. House A shares its door with
the village, house B shares no camera but lets its totals go up (the
default), house C turns even its totals off. The village's overview
counts each as its owner allows and names no camera of B or C; killing
the test camera moves the counts."""
import csv
import io
import ssl
import unittest
import urllib.request

from health_test import SEEN, TestCamera
from link_test import LINK_UP, NodesTestCase, wait_until


class OverviewTest(NodesTestCase):
    def setUp(self):
        super().setUp()
        self.cam = TestCamera()
        self.cam.start()

    def tearDown(self):
        super().tearDown()
        self.cam.stop()

    def overview(self, village, query=""):
        status, body = village.api("GET", "/api/v1/overview" + query)
        self.assertEqual(status, 200, body)
        return body

    def row(self, village, node_id):
        return next((n for n in self.overview(village)["nodes"] if n["id"] == node_id), None)

    def csv_rows(self, village):
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        req = urllib.request.Request(village.url + "/api/v1/overview.csv")
        req.add_header("Authorization", "Bearer " + village.token)
        with urllib.request.urlopen(req, context=ctx, timeout=30) as r:
            self.assertTrue(r.headers["Content-Type"].startswith("text/csv"))
            self.assertIn("attachment", r.headers["Content-Disposition"])
            return list(csv.DictReader(io.StringIO(r.read().decode())))

    def test_each_household_counts_as_its_owner_allows_and_unshared_cameras_are_never_named(self):
        village = self.node("village1", "village")
        house_a = self.node("house-a", "household", cameras=("door", "shed"), camera_url=self.cam.url)
        house_b = self.node("house-b", "household", cameras=("gate",), camera_url=self.cam.url)
        house_c = self.node("house-c", "household", cameras=("barn",), camera_url=self.cam.url)
        village.start()
        for house in (house_a, house_b, house_c):
            r = house.join(village, village.invite())
            self.assertEqual(r.returncode, 0, r.stderr)
            house.start()
        for house in (house_a, house_b, house_c):
            wait_until(f"the village sees {house.id}",
                       lambda: (c := village.child(house.id)) and c["state"] == "connected", LINK_UP)
        status, body = house_a.api("PUT", "/api/v1/cameras/door/shares", [{"tier": "village", "rights": ["live"]}])
        self.assertEqual(status, 200, body)
        # House C's owner turns its totals off: what the village kept of them goes.
        self.assertTrue(house_c.link()["node"]["shares_totals"])
        wait_until("the village has house C's totals", lambda: (r := self.row(village, "house-c")) and
                   r["cameras_total"] == 1, SEEN)
        status, body = house_c.api("PUT", "/api/v1/link/totals", {"shared": False})
        self.assertEqual((status, body), (200, {"shares_totals": False}))
        self.assertFalse(house_c.link()["node"]["shares_totals"])
        status, _ = house_c.api("PUT", "/api/v1/link/totals", {"shared": "no"})
        self.assertEqual(status, 400)

        def all_online():
            o = self.overview(village)
            rows = {n["id"]: n for n in o["nodes"]}
            ok = (rows["house-a"]["cameras_online"] == 2 and rows["house-b"]["cameras_online"] == 1 and
                  rows["house-c"]["totals_shared"] is False and
                  any(c["id"] == "house-a.door" and c["online"] for c in o["cameras"]))
            return ok and o
        o, _ = wait_until("the village counts every shared camera online", all_online, SEEN)
        rows = {n["id"]: n for n in o["nodes"]}
        print(f"\noverview: {[(n['id'], n['link'], n['cameras_total'], n['cameras_online']) for n in o['nodes']]}")
        self.assertEqual([n["id"] for n in o["nodes"]], ["", "house-a", "house-b", "house-c"])
        self.assertEqual(rows[""]["link"], "self")
        self.assertEqual((rows["house-a"]["cameras_total"], rows["house-a"]["cameras_named"]), (2, 1))
        self.assertEqual((rows["house-b"]["cameras_total"], rows["house-b"]["cameras_named"]), (1, 0))
        for key in ("cameras_total", "cameras_online", "cameras_recording", "online_rate_7d", "storage_used_bytes",
                    "alarms_open", "days_forecast"):
            self.assertIsNone(rows["house-c"][key], key)
        self.assertEqual(rows["house-c"]["link"], "connected")  # the village's own knowledge: its link
        self.assertEqual(rows["house-c"]["cameras_named"], 0)
        # Only the shared door is named; nothing of B's gate, C's barn or A's shed.
        self.assertEqual([c["id"] for c in o["cameras"]], ["house-a.door"])
        self.assertEqual((o["totals"]["nodes"], o["totals"]["cameras_total"], o["totals"]["cameras_online"]), (4, 3, 3))
        self.assertEqual(len(o["daily"]), 30)
        self.assertNotIn("barn", str(o))
        self.assertNotIn("shed", str(o))
        # One household, by its id.
        under = self.overview(village, "?under=house-a")
        self.assertEqual([n["id"] for n in under["nodes"]], ["house-a"])
        self.assertEqual([c["id"] for c in under["cameras"]], ["house-a.door"])
        status, _ = village.api("GET", "/api/v1/overview?under=house-z")
        self.assertEqual(status, 404)
        # The same as CSV.
        lines = self.csv_rows(village)
        self.assertEqual([(r["kind"], r["id"]) for r in lines],
                         [("node", ""), ("node", "house-a"), ("node", "house-b"), ("node", "house-c"),
                          ("camera", "house-a.door")])
        self.assertEqual(lines[1]["cameras_total"], "2")
        self.assertEqual(lines[3]["cameras_total"], "")

        # The camera is killed: every count moves, C's still says nothing.
        self.cam.stop()

        def all_offline():
            o = self.overview(village)
            rows = {n["id"]: n for n in o["nodes"]}
            ok = (rows["house-a"]["cameras_online"] == 0 and rows["house-b"]["cameras_online"] == 0 and
                  not next(c for c in o["cameras"] if c["id"] == "house-a.door")["online"])
            return ok and o
        o, _ = wait_until("the village counts the cameras offline", all_offline, SEEN)
        self.assertEqual(o["totals"]["cameras_online"], 0)
        self.assertIsNone({n["id"]: n for n in o["nodes"]}["house-c"]["cameras_online"])
        self.assertEqual(o["worst_cameras"][0]["id"], "house-a.door")


if __name__ == "__main__":
    unittest.main()

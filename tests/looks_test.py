"""Looks across tiers (issue 14, items 6 and 7; design/LINK.md "Looks")
between real `vigil serve` processes on loopback: a county, a township, a
village and a household with a synthetic camera. The county watches the
household's camera live through three hops only once the household shares
it with the county; the household's own audit log names the county's user,
their node path and tier; a village look at a camera not shared with the
village is refused at the source; revoking the share ends the county's
live view within about a second."""
import asyncio
import json
import ssl
import time
import unittest
import urllib.error
import urllib.request

import websockets

from link_test import LINK_UP, NodesTestCase, wait_until
from vigil_testlib import start_testcam

REVOKED = 5  # loose: the issue asks for 1 s; the figure is printed


def tls():
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def raw_get(node, path):
    req = urllib.request.Request(node.url + path)
    req.add_header("Authorization", "Bearer " + node.token)
    try:
        with urllib.request.urlopen(req, context=tls(), timeout=30) as r:
            return r.status, r.headers.get("Content-Type"), r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type"), e.read()


def live_socket(node, camera, query=""):
    """The live WebSocket of `camera` at `node`, as its admin (async with)."""
    url = node.url.replace("https://", "wss://") + f"/api/v1/cameras/{camera}/live{query}"
    return websockets.connect(url, ssl=tls(), extra_headers={"Authorization": "Bearer " + node.token},
                              open_timeout=30, ping_interval=None, max_size=1 << 24)


async def watch(node, camera, state, ready, fragments=3, limit=90):
    """Watches a live WebSocket until it closes or `limit` seconds pass;
    sets `ready` after `fragments` media fragments."""
    try:
        async with live_socket(node, camera) as ws:
            deadline = time.monotonic() + limit
            while time.monotonic() < deadline:
                m = await asyncio.wait_for(ws.recv(), 30)
                if isinstance(m, str):
                    state["init"] = json.loads(m)
                else:
                    state["fragments"] = state.get("fragments", 0) + 1
                    if state["fragments"] >= fragments:
                        ready.set()
    except websockets.exceptions.ConnectionClosed as e:
        state["code"], state["reason"], state["closed_at"] = e.code, e.reason, time.monotonic()
    except websockets.exceptions.InvalidStatusCode as e:
        state["status"] = e.status_code
    ready.set()


class LooksTest(NodesTestCase):
    def setUp(self):
        super().setUp()
        self.cam, self.cam_base = start_testcam()

    def tearDown(self):
        super().tearDown()
        self.cam.stop()

    @staticmethod
    def listed(node):
        status, cameras = node.api("GET", "/api/v1/cameras")
        assert status == 200, cameras
        return [c["id"] for c in cameras]

    def house_audit(self, house, action):
        status, rows = house.api("GET", "/api/v1/audit?camera=door")
        self.assertEqual(status, 200, rows)
        return [r for r in rows if r["action"] == action]

    def test_a_county_watches_what_a_household_shares_and_nothing_else(self):
        county = self.node("county-1", "county")
        township = self.node("township-1", "township")
        village = self.node("village-1", "village")
        house = self.node("house-1", "household", cameras=["door"], camera_url=f"{self.cam_base}/cam/0")
        self.linked(county, township, village, house)
        remote = "township-1.village-1.house-1.door"

        # Nothing is shared by default: the county does not even list it.
        status, _, body = raw_get(county, f"/api/v1/cameras/{remote}/snapshot.jpg")
        self.assertEqual(status, 404, body)

        # Live only: listed at the county; a snapshot is refused at the
        # source, which logs the refusal naming who asked.
        status, shares = house.api("PUT", "/api/v1/cameras/door/shares", [{"tier": "county", "rights": ["live"]}])
        self.assertEqual(status, 200, shares)
        wait_until("the county lists the door", lambda: remote in self.listed(county), LINK_UP)
        status, _, body = raw_get(county, f"/api/v1/cameras/{remote}/snapshot.jpg")
        self.assertEqual(status, 403, body)
        self.assertIn("snapshot not shared with the county", json.loads(body)["error"])
        refused = self.house_audit(house, "refused")
        self.assertEqual(len(refused), 1, refused)
        self.assertEqual(refused[0]["user"], "admin@county-1")
        self.assertEqual(refused[0]["detail"]["tier"], "county")
        self.assertEqual(refused[0]["detail"]["via"], ["county-1", "township-1", "village-1"])

        status, shares = house.api("PUT", "/api/v1/cameras/door/shares",
                                   [{"tier": "county", "rights": ["live", "snapshot"]}])
        self.assertEqual(status, 200, shares)
        # The village is not the county: not listed there, not seen.
        status, _, body = raw_get(village, "/api/v1/cameras/house-1.door/snapshot.jpg")
        self.assertEqual(status, 404, body)
        # Recordings are decided at the source too (remote_media_test.py has the rest).
        status, _, body = raw_get(county, f"/api/v1/cameras/{remote}/recordings"
                                          "?start=2026-01-01T00:00:00Z&end=2026-01-01T01:00:00Z")
        self.assertEqual(status, 403, body)
        self.assertIn("playback not shared with the county", json.loads(body)["error"])

        # A snapshot, then two live viewers at the county, through three hops.
        status, ctype, jpeg = raw_get(county, f"/api/v1/cameras/{remote}/snapshot.jpg")
        self.assertEqual((status, ctype), (200, "image/jpeg"), jpeg[:200])
        self.assertEqual(jpeg[:2], b"\xff\xd8")

        async def two_viewers_then_revoke():
            states = [{}, {}]
            readies = [asyncio.Event(), asyncio.Event()]
            tasks = [asyncio.create_task(watch(county, remote, s, r)) for s, r in zip(states, readies)]
            for r in readies:
                await asyncio.wait_for(r.wait(), 90)
            for s in states:
                self.assertNotIn("status", s, s)
                self.assertGreaterEqual(s.get("fragments", 0), 3, s)
                self.assertEqual(s["init"]["type"], "init")
            # One stream per camera per hop: the household serves one feed.
            revoked_at = time.monotonic()
            status, _ = house.api("PUT", "/api/v1/cameras/door/shares", [])
            self.assertEqual(status, 200)
            await asyncio.wait_for(asyncio.gather(*tasks), 60)
            return states, revoked_at

        states, revoked_at = asyncio.run(two_viewers_then_revoke())
        for s in states:
            self.assertEqual(s.get("code"), 1008, s)
            self.assertIn("revoked", s.get("reason", ""), s)
            took = s["closed_at"] - revoked_at
            print(f"revocation ended the county's live view after {took * 1000:.0f} ms")
            self.assertLess(took, REVOKED)

        starts = self.house_audit(house, "live_start")
        self.assertEqual(len(starts), 2, starts)
        self.assertTrue(all(r["user"] == "admin@county-1" for r in starts), starts)
        stops, _ = wait_until("the household logs both looks ended",
                              lambda: len(rows := self.house_audit(house, "live_stop")) == 2 and rows, 10)
        for row in stops:
            detail = row["detail"]
            self.assertTrue(detail["reason"].startswith("revoked"), detail)
        snaps = self.house_audit(house, "snapshot")
        self.assertEqual(len(snaps), 1, snaps)

    def test_a_village_that_claims_the_county_tier_is_refused_at_the_source(self):
        """A compromised village box (here: its config edited to say "county"
        after it enrolled as a village) asks in its own name with its own
        key, claiming the county's tier: the household checks the ask
        against the key and tier pinned for the village, refuses it with
        403 and writes a `refused` row. Before, the household took the
        claimed tier at the village's word and showed what it shares only
        with the county."""
        village = self.node("village-1", "village")
        house = self.node("house-1", "household", cameras=["door"], camera_url=f"{self.cam_base}/cam/0")
        self.linked(village, house)
        # The village vouched for the household and handed its chain down.
        house.proc.wait_for_line(r"link\.chain_pinned", stream="stderr", timeout=LINK_UP)

        # Honest, a signed ask of the village is taken for what it shares with the village.
        status, shares = house.api("PUT", "/api/v1/cameras/door/shares", [{"tier": "village", "rights": ["snapshot"]}])
        self.assertEqual(status, 200, shares)
        wait_until("the village lists the door", lambda: "house-1.door" in self.listed(village), LINK_UP)
        status, ctype, jpeg = raw_get(village, "/api/v1/cameras/house-1.door/snapshot.jpg")
        self.assertEqual((status, ctype), (200, "image/jpeg"), jpeg[:200])

        # Shared with the county only; the village's box now says it is the county.
        status, shares = house.api("PUT", "/api/v1/cameras/door/shares",
                                   [{"tier": "county", "rights": ["snapshot", "playback"]}])
        self.assertEqual(status, 200, shares)
        village.stop()
        with open(village.config) as f:
            text = f.read()
        with open(village.config, "w") as f:
            f.write(text.replace('tier = "village"', 'tier = "county"'))
        village.start()
        wait_until("the lying village lists the door", lambda: "house-1.door" in self.listed(village), LINK_UP)
        # Its chain (itself, now a county, at the root) is not the one pinned.
        house.proc.wait_for_line(r"link\.chain_refused", stream="stderr", timeout=LINK_UP)

        status, _, body = raw_get(village, "/api/v1/cameras/house-1.door/snapshot.jpg")
        self.assertEqual(status, 403, body)
        reason = "no node village-1 of the county tier is pinned above this node"
        self.assertIn(reason, json.loads(body)["error"])
        status, _, body = raw_get(village, "/api/v1/cameras/house-1.door/recordings"
                                           "?start=2026-01-01T00:00:00Z&end=2026-01-01T01:00:00Z")
        self.assertEqual(status, 403, body)
        self.assertIn(reason, json.loads(body)["error"])
        refused = self.house_audit(house, "refused")
        self.assertEqual(len(refused), 2, refused)
        for row in refused:
            self.assertEqual((row["user"], row["detail"]["tier"], row["detail"]["reason"]),
                             ("admin@village-1", "county", reason))
        snaps = self.house_audit(house, "snapshot")  # only the honest one
        self.assertEqual([(r["user"], r["detail"]["tier"]) for r in snaps], [("admin@village-1", "village")])


if __name__ == "__main__":
    unittest.main()

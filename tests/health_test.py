"""Health up the tiers between real `vigil serve` processes on loopback
(design/LINK.md, "Health"): a household's camera, fed by a real test
camera, goes offline and back (its source stopped and started); its
village keeps the transitions and gives an online rate. Then the same
while the village is down: the transitions wait in the household's
outbox and arrive once it is back, each once, in order. A camera the
household does not share is never named at the village."""
import re
import time
import unittest

from link_test import LINK_UP, NodesTestCase, wait_until
from vigil_testlib import VIGIL, Process, free_port

# Loose: sanitized builds on a shared machine are slow; a camera's source
# coming back is probed every 1 to 2 s.
SEEN = 60


class TestCamera:
    """`vigil testcam` on a fixed port, so it can stop and come back."""

    def __init__(self, prefix=()):
        self.prefix = list(prefix)  # e.g. ["ip", "netns", "exec", NS]
        self.port = free_port()
        self.url = f"rtsp://127.0.0.1:{self.port}/cam/0"
        self.proc = None

    def start(self):
        self.proc = Process([*self.prefix, VIGIL, "testcam", "--listen", f"127.0.0.1:{self.port}", "--size", "320x240",
                             "--fps", "10", "--gop", "10", "--loop-seconds", "2", "--bitrate", "300"])
        self.proc.wait_for_line(r"at rtsp://127\.0\.0\.1:\d+/cam/0", timeout=120)

    def stop(self):
        if self.proc:
            self.proc.stop()
            self.proc = None


def queued(lines, camera):
    """The states the household queued for `camera`, in order, from its log."""
    return [m.group(1) for line in lines
            if (m := re.search(rf"link\.health_queued .*camera={camera} .*state=(\w+)", line))]


class HealthTest(NodesTestCase):
    def setUp(self):
        super().setUp()
        self.cam = TestCamera()
        self.cam.start()

    def tearDown(self):
        super().tearDown()
        self.cam.stop()

    def health(self, village):
        status, body = village.api("GET", "/api/v1/link/children/house1/health")
        self.assertEqual(status, 200, body)
        return body

    def door(self, village):
        return next((c for c in self.health(village)["cameras"] if c["camera"] == "door"), None)

    def door_is(self, village, online):
        return lambda: (d := self.door(village)) and d["online"] is online and d

    def house_door_streams(self, house, streaming):
        status, cameras = house.api("GET", "/api/v1/cameras")
        self.assertEqual(status, 200, cameras)
        door = next(c for c in cameras if c["id"] == "door")
        return (door["state"] == "streaming") == streaming

    def test_a_camera_offline_and_back_reaches_the_village_once_each_even_across_link_loss(self):
        village = self.node("village1", "village")
        house = self.node("house1", "household", cameras=("door", "shed"), camera_url=self.cam.url)
        self.linked(village, house)
        status, body = house.api("PUT", "/api/v1/cameras/door/shares", [{"tier": "village", "rights": ["live"]}])
        self.assertEqual(status, 200, body)
        wait_until("the village sees the door online", self.door_is(village, True), LINK_UP)

        # Offline and back with the link up.
        self.cam.stop()
        wait_until("the village sees the door offline", self.door_is(village, False), SEEN)
        self.cam.start()
        wait_until("the village sees the door online again", self.door_is(village, True), SEEN)

        # Offline and back while the village is down: queued at the household.
        before = len(self.door(village)["transitions"])
        flips = len(queued(house.proc.stderr_lines, "door"))
        village.stop()
        self.cam.stop()
        wait_until("the household's door stops", lambda: self.house_door_streams(house, False), SEEN)
        # The reporter looks every second: an outage shorter than that may
        # go unseen, so the camera comes back only once the flip is queued.
        wait_until("the household queues the door's flip",
                   lambda: len(queued(house.proc.stderr_lines, "door")) > flips, SEEN)
        self.cam.start()
        wait_until("the household's door streams again", lambda: self.house_door_streams(house, True), SEEN)
        wait_until("the household queues the door's return",
                   lambda: len(queued(house.proc.stderr_lines, "door")) > flips + 1, SEEN)
        self.assertGreater(house.link()["parent"]["outbox_pending"], 0)
        village.start()
        wait_until("the household's outbox empties",
                   lambda: (p := house.link()["parent"]) and p["state"] == "connected" and p["outbox_pending"] == 0,
                   LINK_UP)

        door = self.door(village)
        states = [t["state"] for t in door["transitions"]]
        online = [t["online"] for t in door["transitions"]]
        at = [t["at"] for t in door["transitions"]]
        print(f"\nhealth: door transitions at the village: {list(zip(states, at))}")
        print(f"health: door online {door['online_seconds']:.1f} s of {door['known_seconds']:.1f} s, "
              f"rate {door['online_rate']:.3f}")
        # Each flip once, in order, the two made while the link was down included.
        self.assertEqual(len(door["transitions"]), before + 2)
        self.assertEqual(online[-2:], [False, True])
        self.assertTrue(all(a != b for a, b in zip(online, online[1:])), online)
        self.assertEqual(at, sorted(at))
        # What the household queued, no more, no less (its log says what).
        house_lines = list(house.proc.stderr_lines)
        self.assertEqual(queued(house_lines, "door"), states)
        self.assertGreaterEqual(online.count(False), 2)
        self.assertTrue(door["online"])
        self.assertLess(0, door["online_rate"])
        self.assertLess(door["online_rate"], 1)
        self.assertLessEqual(door["online_seconds"], door["known_seconds"])

        # Not shared, never named: only the node-level counts speak of the shed.
        self.assertEqual([c["camera"] for c in self.health(village)["cameras"]], ["door"])
        self.assertEqual(queued(house_lines, "shed"), [])
        row, _ = wait_until("the summary counts both cameras",
                            lambda: (c := village.child("house1")) and c["health"] and
                            c["health"]["cameras_total"] == 2 and c["health"]["cameras_online"] == 2 and c, SEEN)
        self.assertEqual((row["health"]["cameras_reported"], row["health"]["cameras_reported_online"]), (1, 1))

        # A range before any report knows nothing; a bad range is refused.
        status, body = village.api("GET", "/api/v1/link/children/house1/health?from=2020-01-01T00:00:00Z"
                                          "&to=2020-01-02T00:00:00Z")
        self.assertEqual(status, 200, body)
        self.assertEqual([(c["online_rate"], c["transitions"]) for c in body["cameras"]], [(None, [])])
        status, _ = village.api("GET", "/api/v1/link/children/house1/health?from=2020-01-02T00:00:00Z"
                                       "&to=2020-01-01T00:00:00Z")
        self.assertEqual(status, 400)
        status, _ = village.api("GET", "/api/v1/link/children/house9/health")
        self.assertEqual(status, 404)


if __name__ == "__main__":
    unittest.main()

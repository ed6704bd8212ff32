"""`vigil demo`'s village: the demo household is linked, over the real tier
link, to a village that the demo starts as a second `vigil serve`; the
village desk sees what the household shares with it (its first camera to
start with), the household's demo alarm, the village's demo notice, and the household's log names
the desk's looks. A second start
on the same data keeps the enrolment and links again."""
import json
import re
import ssl
import time
import unittest
import urllib.error
import urllib.request

from vigil_testlib import VIGIL, Process, temp_dir

START = 300  # the demo encodes its cameras first: minutes in a sanitized build
LINK_UP = 90


def api(base, path, token=None, body=None):
    ctx = ssl._create_unverified_context()  # the village's certificate is self-signed, as the demo says
    req = urllib.request.Request(base + path, method="POST" if body is not None else "GET",
                                 data=json.dumps(body).encode() if body is not None else None)
    if token:
        req.add_header("Authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(req, timeout=30, context=ctx) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def login(base, password):
    status, body = api(base, "/api/v1/login", body={"user": "admin", "password": password})
    assert status == 200, body
    return json.loads(body)["token"]


def wait_until(what, predicate, timeout):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(0.2)
    raise AssertionError(f"{what}: not within {timeout} s (last: {last})")


class DemoVillage(unittest.TestCase):
    def setUp(self):
        self.data = temp_dir()
        self.demo = None

    def tearDown(self):
        if self.demo:
            self.demo.stop()
        self.data.cleanup()

    def start(self):
        self.demo = Process([VIGIL, "demo", "--data", self.data.name, "--listen", "127.0.0.1:0", "--cameras", "2"])
        house = self.demo.wait_for_line(r"URL:\s+(http://\S+)/", timeout=START).group(1)
        house_token = login(house, self.demo.wait_for_line(r"admin password: (\S+)").group(1))
        village = self.demo.wait_for_line(r"village URL:\s+(https://\S+)/").group(1)
        village_token = login(village, self.demo.wait_for_line(r"village password: (\S+)").group(1))
        return house, house_token, village, village_token

    def remote_cameras(self, village, token):
        status, body = api(village, "/api/v1/cameras", token)
        self.assertEqual(status, 200, body)
        return {c["id"]: c for c in json.loads(body) if c.get("remote")}

    def test_the_village_desk_sees_what_the_household_shares_and_the_household_sees_the_look(self):
        house, house_token, village, village_token = self.start()
        # Only the shared camera reaches the village, with the household's name.
        remote = wait_until("the village lists the household's shared camera",
                            lambda: self.remote_cameras(village, village_token), LINK_UP)
        self.assertEqual(set(remote), {"house1.cam-1"})
        self.assertEqual(remote["house1.cam-1"]["owner"], "Demo household")
        self.assertIn("live", remote["house1.cam-1"]["rights"])
        # The household's demo alarm waits at the village's desk, once.
        alarms = wait_until("the demo alarm at the village's desk",
                            lambda: json.loads(api(village, "/api/v1/alarms?state=open", village_token)[1])["alarms"],
                            LINK_UP)
        self.assertEqual([(a["node"], a["kind"], a["cameras"]) for a in alarms], [("house1", "other", ["cam-1"])])
        # The village's demo notice reaches the household, and its receipt the village.
        notices = wait_until("the demo notice at the household",
                             lambda: json.loads(api(house, "/api/v1/broadcasts", house_token)[1]), LINK_UP)
        self.assertEqual([(n["from"], n["direction"], n["priority"]) for n in notices],
                         [("village1", "received", "normal")])
        self.assertIn("停水", notices[0]["text"])
        wait_until("its receipt at the village", lambda: json.loads(
            api(village, "/api/v1/broadcasts", village_token)[1])[0]["receipts"]["delivered"] == 1, LINK_UP)
        # The desk takes a snapshot across the link; the household's log names it.
        status, jpeg = wait_until("a snapshot through the link",
                                  lambda: (r := api(village, "/api/v1/cameras/house1.cam-1/snapshot.jpg",
                                                    village_token))[0] == 200 and r, LINK_UP)
        self.assertEqual(jpeg[:2], b"\xff\xd8")
        status, body = api(house, "/api/v1/audit?limit=100", house_token)
        self.assertEqual(status, 200, body)
        self.assertIn("snapshot", [r["action"] for r in json.loads(body) if r["user"] == "admin@village1"],
                      "the household's log names the village desk's look")
        # A camera the household did not share stays out of the village's reach.
        status, _ = api(village, "/api/v1/cameras/house1.cam-2/snapshot.jpg", village_token)
        self.assertIn(status, (403, 404))

    def test_a_second_start_links_again_without_a_new_invitation(self):
        _, _, village, token = self.start()
        wait_until("the first link", lambda: self.remote_cameras(village, token), LINK_UP)
        self.assertEqual(self.demo.stop(), 0)
        _, _, village, token = self.start()
        wait_until("the link after a restart", lambda: self.remote_cameras(village, token), LINK_UP)
        status, body = api(village, "/api/v1/link", token)
        self.assertEqual(status, 200, body)
        children = json.loads(body)["children"]
        self.assertEqual([c["id"] for c in children], ["house1"])
        # The demo alarm is raised on the first run only.
        alarms = wait_until("the demo alarm at the village's desk",
                            lambda: json.loads(api(village, "/api/v1/alarms", token)[1])["alarms"], LINK_UP)
        self.assertEqual(len(alarms), 1, alarms)
        # And the demo notice is sent once.
        status, body = api(village, "/api/v1/broadcasts", token)
        self.assertEqual((status, len(json.loads(body))), (200, 1), body)
        out = "\n".join(self.demo.stdout_lines)
        self.assertNotRegex(out, re.compile("did not start"))


if __name__ == "__main__":
    unittest.main()

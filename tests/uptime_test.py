"""A camera's online history on the node that owns it and at its parent
(design/UPTIME.md), between real `vigil serve` processes on loopback:
outages produced for real (the test camera stopped and started again, a
camera with the wrong password, the node stopped and killed) appear in
GET /api/v1/cameras/{id}/health with the right reason and a duration
within what the test saw, the online rate matches the outages to the
second, the history survives a restart and a kill -9, the parent answers
for a camera its child shares, a user the camera is not granted to gets
404, and a real Prometheus scrapes /metrics with a metrics token."""
import datetime
import json
import os
import shutil
import signal
import ssl
import subprocess
import time
import unittest
import urllib.parse
import urllib.request

from health_test import SEEN, TestCamera
from link_test import LINK_UP, NodesTestCase, wait_until
from vigil_testlib import Process, free_port

HERE = os.path.dirname(os.path.abspath(__file__))
GST_SERVER = os.path.join(HERE, "peers", "gst_rtsp_server.py")


def rfc3339(t):
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def seconds(text):
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def as_user(node, token, method, path, body=None):
    saved, node.token = node.token, token
    try:
        return node.api(method, path, body)
    finally:
        node.token = saved


class UptimeTest(NodesTestCase):
    def setUp(self):
        super().setUp()
        self.t0 = time.time()
        self.cam = TestCamera()
        self.cam.start()
        self.locked = None

    def tearDown(self):
        super().tearDown()
        self.cam.stop()
        if self.locked:
            self.locked.stop()

    def health(self, node, camera):
        status, body = node.api("GET", f"/api/v1/cameras/{camera}/health?start={urllib.parse.quote(rfc3339(self.t0))}"
                                       f"&end={urllib.parse.quote(rfc3339(time.time() + 3600))}")
        self.assertEqual(status, 200, body)
        return body

    def assert_rate_matches_outages(self, h):
        """online = counted - the outages, to the second and better; the rate is their ratio."""
        down = sum(seconds(o["end"]) - seconds(o["start"]) for o in h["outages"])
        self.assertAlmostEqual(h["online_seconds"], h["counted_seconds"] - down, places=3)
        self.assertAlmostEqual(h["online_rate"], h["online_seconds"] / h["counted_seconds"], places=6)

    def streams(self, node, camera, streaming=True):
        status, cameras = node.api("GET", "/api/v1/cameras")
        return status == 200 and any(c["id"] == camera and (c["state"] == "streaming") == streaming for c in cameras)

    def outage(self, node, camera, reason, ongoing):
        return lambda: next((o for o in self.health(node, camera)["outages"]
                             if o["reason"] == reason and o["ongoing"] == ongoing), None)

    def test_outages_on_the_owner_have_their_reason_and_duration_and_survive_a_restart_and_a_kill(self):
        self.locked = Process(["/usr/bin/python3", GST_SERVER, "--port", "0", "--user", "owner",
                               "--password", "the right one"])
        locked_url = self.locked.wait_for_line(r"READY (rtsp://\S+)", timeout=120).group(1)
        house = self.node("house1", "household", cameras=("door",), camera_url=self.cam.url)
        with open(house.config, "a") as f:
            f.write(f'\n[[camera]]\nid = "locked"\nname = "Locked"\nurl = "{locked_url}"\n'
                    f'username = "owner"\npassword = "a wrong one"\nrecord = "off"\n')
        house.start()
        wait_until("the door streams", lambda: self.streams(house, "door"), SEEN)

        # The camera killed, and back.
        before_kill = time.time()
        self.cam.stop()
        wait_until("the door's outage opens", self.outage(house, "door", "camera_unreachable", True), SEEN)
        seen_down = time.time()
        time.sleep(2)  # an outage of a few seconds
        restarted = time.time()
        self.cam.start()
        wait_until("the door streams again", lambda: self.streams(house, "door"), SEEN)
        seen_up = time.time()
        unreachable, _ = wait_until("the door's outage closes", self.outage(house, "door", "camera_unreachable", False),
                                    SEEN)
        start, end = seconds(unreachable["start"]), seconds(unreachable["end"])
        print(f"\nuptime: door unreachable {end - start:.1f} s (camera down from {before_kill - self.t0:.1f} s "
              f"to {restarted - self.t0:.1f} s after the test's start; outage {start - self.t0:.1f} s to "
              f"{end - self.t0:.1f} s)")
        # Within what the test saw: it began after the kill, before the test saw it,
        # and ended after the camera came back, before the test saw it stream.
        self.assertTrue(before_kill <= start <= seen_down, (before_kill, start, seen_down))
        self.assertTrue(restarted <= end <= seen_up + 1, (restarted, end, seen_up))

        # The wrong password: auth_failed, ongoing.
        wait_until("the locked camera's auth failure", self.outage(house, "locked", "auth_failed", True), SEEN)
        door, locked = self.health(house, "door"), self.health(house, "locked")
        self.assert_rate_matches_outages(door)
        self.assert_rate_matches_outages(locked)
        self.assertEqual((locked["online_rate"], locked["online_seconds"]), (0, 0))  # never streamed

        # Metrics say the same.
        metrics = self.scrape(house, house.token)
        self.assertIn('vigil_camera_online{camera="door"} 1\n', metrics)
        self.assertIn('vigil_camera_online{camera="locked"} 0\n', metrics)
        self.assertIn('vigil_camera_outages_total{camera="door",reason="camera_unreachable"} 1\n', metrics)
        self.assertIn('vigil_camera_outages_total{camera="locked",reason="auth_failed"} 1\n', metrics)

        # A viewer granted only the locked camera: the door's health is 404, as its live view.
        status, body = house.api("POST", "/api/v1/users", {"id": "vera", "role": "viewer",
                                                           "password": "password for tests", "cameras": ["locked"]})
        self.assertEqual(status, 201, body)
        vera = house.api("POST", "/api/v1/login", {"user": "vera", "password": "password for tests"})[1]["token"]
        self.assertEqual(as_user(house, vera, "GET", "/api/v1/cameras/door/health")[0], 404)
        self.assertEqual(as_user(house, vera, "GET", "/api/v1/cameras/door/snapshot.jpg")[0], 404)
        self.assertEqual(as_user(house, vera, "GET", "/api/v1/cameras/locked/health")[0], 200)
        self.assertEqual(as_user(house, None, "GET", "/api/v1/cameras/locked/health")[0], 401)

        # A clean stop: the history stays; the time down is node_down until the door streams again.
        stopped = time.time()
        house.stop()
        time.sleep(1)
        started = time.time()
        house.start()
        wait_until("the door streams after the restart", lambda: self.streams(house, "door"), SEEN)
        seen_up = time.time()
        down, _ = wait_until("the node_down outage closes", self.outage(house, "door", "node_down", False), SEEN)
        self.assertIn(unreachable, self.health(house, "door")["outages"])
        start, end = seconds(down["start"]), seconds(down["end"])
        self.assertTrue(stopped <= start <= started, (stopped, start, started))
        self.assertTrue(started <= end <= seen_up + 1, (started, end, seen_up))
        # What was open at the stop (the auth failure) ended there, and node_down followed.
        locked = self.health(house, "locked")["outages"]
        failures = [o for o in locked if o["reason"] == "auth_failed"]
        self.assertGreaterEqual(len(failures), 1)
        self.assertTrue(stopped <= seconds(failures[0]["end"]) <= started, failures)

        # A kill -9: what was open ends at the last heartbeat (the start, here:
        # less than a minute ago), and the node is down from there.
        killed = time.time()
        house.proc.proc.send_signal(signal.SIGKILL)
        house.stop()
        restarted = time.time()
        house.start()
        wait_until("the door streams after the kill", lambda: self.streams(house, "door"), SEEN)
        crash = [o for o in self.health(house, "door")["outages"] if o["reason"] == "node_down"][-1]
        self.assertTrue(started <= seconds(crash["start"]) <= killed, (started, crash, killed))
        self.assertGreaterEqual(seconds(crash["end"]), restarted)
        door = self.health(house, "door")
        self.assertIn(unreachable, door["outages"])
        self.assertIn(down, door["outages"])
        self.assert_rate_matches_outages(door)
        self.assert_rate_matches_outages(self.health(house, "locked"))
        print(f"uptime: door online rate {door['online_rate']:.3f} over {door['counted_seconds']:.1f} s, "
              f"outages {[(o['reason'], round(seconds(o['end']) - seconds(o['start']), 1)) for o in door['outages']]}")

    def scrape(self, node, token):
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        req = urllib.request.Request(node.url + "/metrics", headers={"Authorization": "Bearer " + token})
        with urllib.request.urlopen(req, context=ctx, timeout=30) as r:
            return r.read().decode()

    def test_the_parent_answers_for_a_shared_camera_and_prometheus_scrapes_with_a_metrics_token(self):
        village = self.node("village1", "village")
        house = self.node("house1", "household", cameras=("door",), camera_url=self.cam.url)
        self.linked(village, house)
        status, body = house.api("PUT", "/api/v1/cameras/door/shares", [{"tier": "village", "rights": ["live"]}])
        self.assertEqual(status, 200, body)
        # Listed in the village's catalog (404 until then), then reported online.
        wait_until("the village sees the door online",
                   lambda: (r := village.api("GET", "/api/v1/cameras/house1.door/health"))[0] == 200 and
                   r[1]["online_rate"] == 1 and r, LINK_UP)
        self.cam.stop()
        wait_until("the village sees the door's outage", self.outage(village, "house1.door", "offline", True), SEEN)
        self.cam.start()
        offline, _ = wait_until("the outage ends at the village", self.outage(village, "house1.door", "offline", False),
                                SEEN)
        at_village = self.health(village, "house1.door")
        self.assert_rate_matches_outages(at_village)
        # The owner's own outage of the same camera: the same stretch, as the
        # child reported it (within its poll of a second).
        owned = [o for o in self.health(house, "door")["outages"] if o["reason"] == "camera_unreachable"]
        self.assertEqual(len(owned), 1)
        self.assertAlmostEqual(seconds(owned[0]["start"]), seconds(offline["start"]), delta=1.5)
        self.assertAlmostEqual(seconds(owned[0]["end"]), seconds(offline["end"]), delta=1.5)
        print(f"\nuptime: at the village house1.door offline {seconds(offline['end']) - seconds(offline['start']):.1f} s, "
              f"at the household {seconds(owned[0]['end']) - seconds(owned[0]['start']):.1f} s")
        # A village viewer not granted the camera: 404; granted: 200.
        for cameras, expected in (([], 404), (["house1.door"], 200)):
            name = f"viewer{len(cameras)}"
            status, body = village.api("POST", "/api/v1/users", {"id": name, "role": "viewer",
                                                                 "password": "password for tests", "cameras": cameras})
            self.assertEqual(status, 201, body)
            token = village.api("POST", "/api/v1/login", {"user": name, "password": "password for tests"})[1]["token"]
            self.assertEqual(as_user(village, token, "GET", "/api/v1/cameras/house1.door/health")[0], expected)
        self.assertEqual(village.api("GET", "/api/v1/cameras/house1.attic/health")[0], 404)

        self.prometheus_scrapes(house)

    def prometheus_scrapes(self, node):
        """A real Prometheus scrapes the node with a metrics token; promtool
        checks the text against the exposition format and its conventions."""
        if not shutil.which("prometheus"):
            self.skipTest("prometheus is not installed (scripts/bootstrap installs it)")
        status, made = node.api("POST", "/api/v1/tokens",
                                {"name": "prometheus", "scope": "metrics", "password": node.password})
        self.assertEqual(status, 201, made)
        token = made["token"]
        self.assertEqual(as_user(node, token, "GET", "/api/v1/cameras")[0], 403)  # /metrics and nothing else
        text = self.scrape(node, token)
        lint = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True, text=True, timeout=60)
        self.assertEqual((lint.returncode, lint.stdout + lint.stderr), (0, ""))

        port = free_port()
        config = os.path.join(self.tmp.name, "prometheus.yml")
        with open(config, "w") as f:
            f.write(f"""global:
  scrape_interval: 1s
scrape_configs:
  - job_name: vigil
    scheme: https
    tls_config:
      insecure_skip_verify: true
    authorization:
      credentials: {token}
    static_configs:
      - targets: ["127.0.0.1:{node.port}"]
""")
        prom = Process(["prometheus", f"--config.file={config}", f"--web.listen-address=127.0.0.1:{port}",
                        f"--storage.tsdb.path={os.path.join(self.tmp.name, 'tsdb')}"])
        try:
            def query(q):
                url = f"http://127.0.0.1:{port}/api/v1/query?query=" + urllib.parse.quote(q)
                try:
                    with urllib.request.urlopen(url, timeout=10) as r:
                        return json.loads(r.read())["data"]["result"]
                except OSError:
                    return None
            result, took = wait_until("Prometheus has scraped the door online",
                                      lambda: query('vigil_camera_online{camera="door"}'), SEEN)
            self.assertEqual(result[0]["value"][1], "1")
            up = query('up{job="vigil"}')
            self.assertEqual(up[0]["value"][1], "1")
            outages = query('vigil_camera_outages_total{camera="door"}')
            self.assertEqual({r["metric"]["reason"]: r["value"][1] for r in outages},
                             {"connecting": "1", "camera_unreachable": "1"})
            print(f"uptime: Prometheus scraped the node with a metrics token within {took:.1f} s")
        finally:
            prom.stop()


if __name__ == "__main__":
    unittest.main()

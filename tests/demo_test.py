"""`vigil demo`: synthetic cameras ingested through the real RTSP client,
served over HTTP to the admin who logs in with the password it prints; its
front door (camera 1) has a person walking in, found by detection; camera 2
has sound, the last (of 3 or more) is H.265 with an H.264 sub stream; a
simulated ONVIF camera is found by discovery and added from the API; the
public register is open with camera 1 listed."""
import json
import os
import time
import unittest
import urllib.error
import urllib.request

from vigil_testlib import VIGIL, Process, exchange_raw, run, temp_dir


def get(url, token=None):
    req = urllib.request.Request(url)
    if token:
        req.add_header("Authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.headers, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read().decode()


class Demo(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.data = temp_dir()
        # A web root of our own, so the test knows every file in it.
        cls.web = os.path.join(cls.data.name, "web")
        os.makedirs(os.path.join(cls.web, "assets"))
        for name, text in (("index.html", "<!doctype html><title>vigil app</title>"),
                           ("assets/app-1a2b3c.js", "console.log('app')")):
            with open(os.path.join(cls.web, name), "w") as f:
                f.write(text)
        with open(os.path.join(cls.data.name, "outside.txt"), "w") as f:
            f.write("outside the root")
        cls.demo = Process([VIGIL, "demo", "--data", cls.data.name, "--listen", "127.0.0.1:0", "--cameras", "3",
                            "--web-root", cls.web])
        cls.url = cls.demo.wait_for_line(r"URL:\s+(http://\S+/)", timeout=240).group(1)
        cls.password = cls.demo.wait_for_line(r"admin password: (\S+)").group(1)
        cls.port = int(cls.url.rsplit(":", 1)[1].strip("/"))
        login = urllib.request.Request(cls.url + "api/v1/login", method="POST",
                                       data=json.dumps({"user": "admin", "password": cls.password}).encode())
        with urllib.request.urlopen(login, timeout=30) as r:
            cls.token = json.loads(r.read())["token"]

    @classmethod
    def tearDownClass(cls):
        code = cls.demo.stop()
        cls.data.cleanup()
        assert code == 0, "\n".join(cls.demo.stderr_lines[-20:])

    def test_prints_url_and_a_strong_password(self):
        self.assertRegex(self.password, r"^[A-Za-z0-9]{16}$")

    def test_healthz_is_public(self):
        status, _, body = get(self.url + "healthz")
        self.assertEqual((status, body), (200, "ok\n"))

    def test_everything_else_needs_a_session(self):
        for path in ("status", "api/v1/cameras"):
            status, _, body = get(self.url + path)
            self.assertEqual(status, 401, path)
            self.assertEqual(json.loads(body), {"error": "authentication required"})
            status, _, _ = get(self.url + path, "0" * 64)
            self.assertEqual(status, 401)

    def test_the_web_ui_is_public_and_stays_inside_its_root(self):
        status, headers, page = get(self.url)
        self.assertEqual((status, page), (200, "<!doctype html><title>vigil app</title>"))
        self.assertEqual(headers["Content-Type"], "text/html; charset=utf-8")
        self.assertEqual(headers["Cache-Control"], "no-cache")
        status, headers, _ = get(self.url + "assets/app-1a2b3c.js")
        self.assertEqual(status, 200)
        self.assertEqual(headers["Cache-Control"], "public, max-age=31536000, immutable")
        # A client-side route is the app's; the API and missing files are not.
        self.assertEqual(get(self.url + "cameras/cam-1")[2], page)
        self.assertEqual(get(self.url + "api/v1/nothing")[0], 404)
        self.assertEqual(get(self.url + "missing.png")[0], 404)
        # curl sends these as they are (--path-as-is); none reaches the file beside the root.
        for attempt in ("../outside.txt", "%2e%2e/outside.txt", "assets/..%2f..%2foutside.txt", "..%5coutside.txt",
                        "assets/%2e%2e/%2e%2e/outside.txt", "index.html%00"):
            r = run(["curl", "-sS", "--path-as-is", "-o", "/dev/null", "-w", "%{http_code}", self.url + attempt])
            self.assertEqual(r.stdout, "404", attempt)

    def api(self, method, path, body=None):
        req = urllib.request.Request(self.url + path, method=method,
                                     data=None if body is None else json.dumps(body).encode())
        req.add_header("Authorization", "Bearer " + self.token)
        req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return r.status, json.loads(r.read() or b"null")
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"null")

    def cameras_when(self, ready, seconds=60):
        """GET /api/v1/cameras until `ready` of it, for at most `seconds`."""
        deadline = time.monotonic() + seconds
        while True:
            status, cameras = self.api("GET", "api/v1/cameras")
            self.assertEqual(status, 200)
            if ready(cameras) or time.monotonic() > deadline:
                return cameras
            time.sleep(0.5)

    def test_cameras_stream_through_the_rtsp_client(self):
        cameras = self.cameras_when(lambda cs: all(c["online"] and c["fps"] > 20 for c in cs))
        cameras = [c for c in cameras if c["id"].startswith("cam-")]  # not one another test added
        self.assertEqual([c["id"] for c in cameras], ["cam-1", "cam-2", "cam-3"])
        for c, codec in zip(cameras, ("h264", "h264", "h265")):
            self.assertTrue(c["online"], c)
            self.assertEqual((c["codec"], c["width"], c["height"]), (codec, 1280, 720))
            self.assertAlmostEqual(c["fps"], 25, delta=5)
            self.assertRegex(c["last_frame_at"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")
        status, headers, page = get(self.url + "status", self.token)
        self.assertEqual(status, 200)
        self.assertIn("text/html", headers["Content-Type"])
        self.assertIn("Demo camera 2", page)
        # Their history: online since the first frame, connecting before (design/UPTIME.md).
        status, _, body = get(self.url + "api/v1/cameras/cam-1/health", self.token)
        self.assertEqual(status, 200, body)
        health = json.loads(body)
        self.assertEqual([(o["reason"], o["ongoing"]) for o in health["outages"]], [("connecting", False)])
        self.assertGreater(health["online_rate"], 0)

    def test_a_person_at_the_front_door_is_an_event_with_a_snapshot(self):
        # Camera 1 is the front door: testcam slides the person photo in
        # every 30 s, and detection is on. The bound is loose for sanitized builds.
        deadline = time.monotonic() + 120
        while True:
            status, _, body = get(self.url + "api/v1/events?camera=cam-1&label=person", self.token)
            self.assertEqual(status, 200, body)
            events = json.loads(body)
            if events or time.monotonic() > deadline:
                break
            time.sleep(1)
        self.assertTrue(events, "no person event at the front door")
        event = events[-1]  # the first
        self.assertEqual((event["camera"], event["label"]), ("cam-1", "person"))
        self.assertGreaterEqual(event["score"], 0.35)
        req = urllib.request.Request(self.url + event["snapshot"].lstrip("/"))
        req.add_header("Authorization", "Bearer " + self.token)
        with urllib.request.urlopen(req, timeout=10) as r:
            self.assertEqual(r.headers["Content-Type"], "image/jpeg")
            self.assertEqual(r.read(2), b"\xff\xd8")
        # Camera 2 shows the test pattern and detects nothing.
        self.assertEqual(json.loads(get(self.url + "api/v1/events?camera=cam-2", self.token)[2]), [])

    def test_the_demo_shows_sound_h265_discovery_and_the_register(self):
        cameras = {c["id"]: c for c in self.cameras_when(
            lambda cs: all(c["online"] and c.get("sub", {}).get("state") == "streaming" for c in cs))}
        # Camera 2 sends sound; the last is H.265, watched in browsers through its H.264 sub stream.
        self.assertEqual([cameras[c]["audio"] for c in ("cam-1", "cam-2", "cam-3")], [None, "aac", None])
        self.assertEqual((cameras["cam-3"]["name"], cameras["cam-3"]["codec"]), ("Demo H.265 camera", "h265"))
        self.assertEqual(cameras["cam-3"]["sub"]["codec"], "h264", cameras["cam-3"])

        # The simulated ONVIF camera: found, read with the printed user and
        # password, and added from the API (as the Cameras page does).
        onvif = self.demo.wait_for_line(r"ONVIF camera at (\S+) \(user (\S+), password (\S+)\)")
        status, body = self.api("POST", "api/v1/onvif/discover", {"timeout_ms": 1000})
        self.assertEqual(status, 200, body)
        self.assertEqual([d["address"] for d in body["devices"]], [onvif.group(1)])
        status, device = self.api("POST", "api/v1/onvif/probe",
                                  {"address": onvif.group(1), "user": onvif.group(2), "password": onvif.group(3)})
        self.assertEqual(status, 200, device)
        self.assertRegex(device["main_url"], r"^rtsp://127\.0\.0\.1:\d+/cam/3$")
        status, body = self.api("POST", "api/v1/cameras",
                                {"id": "porch", "name": "Porch", "url": device["main_url"], "sub_url": device["sub_url"],
                                 "username": onvif.group(2), "password": onvif.group(3)})
        self.assertEqual(status, 201, body)
        try:
            porch = self.cameras_when(lambda cs: any(c["id"] == "porch" and c["online"] for c in cs))
            porch = next(c for c in porch if c["id"] == "porch")
            self.assertTrue(porch["online"], porch)
            self.assertEqual((porch["managed_by"], porch["width"], porch["height"]), ("ui", 640, 360))
        finally:
            self.assertIn(self.api("DELETE", "api/v1/cameras/porch?recordings=delete")[0], (200, 204))

        # The public register answers anyone, camera 1 listed.
        status, _, body = get(self.url + "api/v1/register")
        self.assertEqual(status, 200, body)
        listed = json.loads(body)["cameras"]
        self.assertEqual([c["covers"] for c in listed], ["The lane in front of the demo house"], body)

    def test_http_errors(self):
        self.assertTrue(exchange_raw(self.port, b"NOT HTTP AT ALL\r\n\r\n").startswith(b"HTTP/1.1 400"))
        big = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX: " + b"a" * 40000 + b"\r\n\r\n"
        self.assertTrue(exchange_raw(self.port, big).startswith(b"HTTP/1.1 431"))
        self.assertEqual(get(self.url + "api/v1/nope")[0], 404)  # extension-less paths outside /api/ are the app's
        reply = exchange_raw(self.port, b"POST /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        self.assertTrue(reply.startswith(b"HTTP/1.1 405"), reply[:40])

    def test_keep_alive_serves_several_requests_on_one_connection(self):
        reply = exchange_raw(self.port, b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
                               b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        self.assertEqual(reply.count(b"HTTP/1.1 200 OK"), 2)


if __name__ == "__main__":
    unittest.main()

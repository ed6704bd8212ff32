"""`vigil demo`: synthetic cameras ingested through the real RTSP client,
served over HTTP to the admin who logs in with the password it prints; its
front door (camera 1) has a person walking in, found by detection."""
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
        cls.demo = Process([VIGIL, "demo", "--data", cls.data.name, "--listen", "127.0.0.1:0", "--cameras", "2",
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

    def test_cameras_stream_through_the_rtsp_client(self):
        deadline = time.monotonic() + 60
        while True:
            status, _, body = get(self.url + "api/v1/cameras", self.token)
            self.assertEqual(status, 200)
            cameras = json.loads(body)
            if all(c["online"] and c["fps"] > 20 for c in cameras) or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        self.assertEqual([c["id"] for c in cameras], ["cam-1", "cam-2"])
        for c in cameras:
            self.assertTrue(c["online"], c)
            self.assertEqual((c["codec"], c["width"], c["height"]), ("h264", 1280, 720))
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

"""vigil against testcam's ONVIF simulator (issue 17 item 2; design/ONVIF.md
"The API"): discovered by a WS-Discovery Probe (sent to the simulator's
unicast address through [onvif] discovery: multicast on loopback needs a
namespace), profiles and stream URIs read with a UsernameToken digest, PTZ
commands arriving at the simulator with the right bodies, a wrong password
said so, and PTZ allowed to exactly those who may watch the camera. A
camera added from the API with its device's address and login is turned
too, its ONVIF password sealed and never answered nor logged."""
import glob
import json
import os
import socket
import unittest
import urllib.request

from access_test import call
from vigil_testlib import VIGIL, Process, serve_logged_in, temp_dir


PASSWORD = "Onvif-S3cret-4417"  # the simulator's (and the door's)


def free_udp_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Onvif(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = temp_dir()
        discovery = free_udp_port()
        cls.cam = Process([VIGIL, "testcam", "--listen", "127.0.0.1:0", "--size", "320x240", "--loop-seconds", "2",
                           "--onvif-port", "0", "--onvif-password", PASSWORD,
                           "--onvif-discovery", f"127.0.0.1:{discovery}"])
        cls.rtsp = cls.cam.wait_for_line(r"at (rtsp://127\.0\.0\.1:\d+)/cam/0", timeout=120).group(1)
        m = cls.cam.wait_for_line(r"ONVIF device at (http://127\.0\.0\.1:(\d+)/onvif/device_service) "
                                  r"\(WS-Discovery: (\S+)\)")
        cls.device, cls.device_port = m.group(1), int(m.group(2))
        assert m.group(3) == f"127.0.0.1:{discovery}", m.group(0)
        config = os.path.join(cls.tmp.name, "vigil.toml")
        with open(config, "w") as f:
            f.write(f'[node]\nid = "house-1"\nname = "House 1"\ntier = "household"\n'
                    f'data_dir = "{cls.tmp.name}/data"\n[http]\nlisten = "127.0.0.1:0"\n'
                    f'[onvif]\ndiscovery = "127.0.0.1:{discovery}"\n'
                    f'[[camera]]\nid = "door"\nurl = "{cls.rtsp}/cam/0"\nonvif = "{cls.device}"\n'
                    f'username = "admin"\npassword = "{PASSWORD}"\n'
                    f'[[camera]]\nid = "gate"\nurl = "{cls.rtsp}/cam/0"\nonvif = "{cls.device}"\n'
                    f'username = "admin"\npassword = "wrong"\n'
                    f'[[camera]]\nid = "yard"\nurl = "{cls.rtsp}/cam/0"\n')
        cls.serve, cls.url, _, cls.admin = serve_logged_in(config)
        for user, cameras in (("kid", ["door", "gate"]), ("guest", [])):
            status, _, body = call(cls.url, "POST", "/api/v1/users",
                                   {"id": user, "role": "viewer", "password": "long enough password",
                                    "cameras": cameras}, token=cls.admin)
            assert status in (200, 201), body
        cls.kid = cls.login("kid", "long enough password")
        cls.guest = cls.login("guest", "long enough password")

    @classmethod
    def login(cls, user, password):
        status, _, body = call(cls.url, "POST", "/api/v1/login", {"user": user, "password": password})
        assert status == 200, body
        return body["token"]

    @classmethod
    def tearDownClass(cls):
        cls.serve.stop()
        cls.cam.stop()
        cls.tmp.cleanup()

    def api(self, method, path, body=None, token=None):
        return call(self.url, method, path, body, token=token or self.admin)

    def ptz_seen(self):
        with urllib.request.urlopen(f"http://127.0.0.1:{self.device_port}/debug/ptz", timeout=10) as r:
            return json.loads(r.read())

    def test_discovery_finds_the_simulator_and_reads_it_with_credentials(self):
        status, _, body = self.api("POST", "/api/v1/onvif/discover", {"timeout_ms": 1000})
        self.assertEqual(status, 200, body)
        self.assertEqual(len(body["devices"]), 1, body)
        device = body["devices"][0]
        self.assertEqual((device["address"], device["name"]), (self.device, "vigil_testcam"))
        self.assertNotIn("model", device, "no credentials: nothing read but the Probe's answer")

        status, _, body = self.api("POST", "/api/v1/onvif/discover",
                                   {"timeout_ms": 1000, "user": "admin", "password": PASSWORD})
        self.assertEqual(status, 200, body)
        device = body["devices"][0]
        self.assertEqual(device["model"], "vigil testcam 0")
        self.assertEqual(device["main_url"], f"{self.rtsp}/cam/0")
        self.assertEqual(device["profiles"][0]["width"], 320)
        self.assertTrue(device["ptz"])

        status, _, body = self.api("POST", "/api/v1/onvif/discover",
                                   {"timeout_ms": 1000, "user": "admin", "password": "nope"})
        self.assertEqual((status, body["devices"][0]["reason"]), (200, "wrong_password"), body)
        self.assertIn("wrong user name or password", body["devices"][0]["error"])

        status, _, _ = self.api("POST", "/api/v1/onvif/discover", {}, token=self.kid)
        self.assertEqual(status, 403, "admins only")

    def test_probe_by_address(self):
        status, _, body = self.api("POST", "/api/v1/onvif/probe",
                                   {"address": self.device, "user": "admin", "password": PASSWORD})
        self.assertEqual(status, 200, body)
        self.assertEqual((body["manufacturer"], body["main_url"]), ("vigil", f"{self.rtsp}/cam/0"))
        self.assertIn("/snapshot/main.jpg", body["snapshot_url"])

        status, _, body = self.api("POST", "/api/v1/onvif/probe",
                                   {"address": self.device, "user": "admin", "password": "nope"})
        self.assertEqual((status, body["reason"]), (422, "wrong_password"), body)
        self.assertIn("wrong user name or password", body["error"])
        status, _, body = self.api("POST", "/api/v1/onvif/probe", {"address": "rtsp://x/"})
        self.assertEqual(status, 400, body)
        status, _, body = self.api("POST", "/api/v1/onvif/probe",
                                   {"address": "http://127.0.0.1:1/onvif/device_service"})
        self.assertEqual((status, body["reason"]), (502, "unreachable"), body)

    def test_ptz_commands_reach_the_camera_for_those_who_may_watch_it(self):
        before = len(self.ptz_seen())
        status, _, body = self.api("POST", "/api/v1/cameras/door/ptz",
                                   {"action": "move", "pan": 0.5, "tilt": -0.25}, token=self.kid)
        self.assertEqual(status, 200, body)
        self.assertEqual(self.api("POST", "/api/v1/cameras/door/ptz", {"action": "stop"})[0], 200)
        status, _, body = self.api("POST", "/api/v1/cameras/door/ptz", {"action": "set_preset", "name": "gate"})
        self.assertEqual(status, 200, body)
        preset = body["preset"]
        status, _, body = self.api("POST", "/api/v1/cameras/door/ptz", {"action": "goto", "preset": preset})
        self.assertEqual(status, 200, body)
        status, _, body = self.api("GET", "/api/v1/cameras/door/ptz", token=self.kid)
        self.assertEqual((status, body["presets"]), (200, [{"token": preset, "name": "gate"}]))

        seen = self.ptz_seen()[before:]
        self.assertEqual([c["call"] for c in seen], ["ContinuousMove", "Stop", "SetPreset", "GotoPreset", "GetPresets"])
        self.assertTrue(all(c["profile"] == "main" for c in seen), seen)
        self.assertIn('<tt:PanTilt x="0.500" y="-0.250"', seen[0]["body"])
        self.assertIn('<tt:Zoom x="0.000"', seen[0]["body"])
        self.assertIn("<tptz:PresetName>gate</tptz:PresetName>", seen[2]["body"])
        self.assertIn(f"<tptz:PresetToken>{preset}</tptz:PresetToken>", seen[3]["body"])

        # Who may not watch it cannot turn it, nor learn that it exists.
        self.assertEqual(self.api("POST", "/api/v1/cameras/door/ptz", {"action": "stop"}, token=self.guest)[0], 404)
        self.assertEqual(len(self.ptz_seen()), before + 5)
        # Bad bodies are refused before the camera hears anything.
        for bad in ({"action": "spin"}, {"action": "move", "pan": 2}, {"action": "goto"}, {"action": "move", "x": 1}):
            status, _, body = self.api("POST", "/api/v1/cameras/door/ptz", bad)
            self.assertEqual(status, 400, (bad, body))
        self.assertEqual(len(self.ptz_seen()), before + 5)

        status, _, rows = self.api("GET", "/api/v1/audit?camera=door")
        moves = [r for r in rows if r["action"] == "ptz"]
        self.assertEqual(len(moves), 4, rows)
        self.assertIn("kid", {r["user"] for r in moves})

    def test_a_camera_added_from_the_api_is_turned_with_its_own_login(self):
        # Its RTSP login is not the device's: only onvif_username and
        # onvif_password pass the simulator's UsernameToken check.
        table = {"id": "porch", "url": f"{self.rtsp}/cam/0", "username": "viewer", "password": "rtsp-only",
                 "onvif": self.device, "onvif_username": "admin", "onvif_password": PASSWORD, "record": "off"}
        for address, message in (
                ("rtsp://127.0.0.1/onvif", "onvif: must be an http:// URL"),
                ("https://127.0.0.1/onvif/device_service", "onvif: must be an http:// URL (https:// is not supported yet)"),
                ("http://admin:pw@127.0.0.1/onvif", "onvif: must not hold a user or password: give them apart"),
                ("http:///onvif/device_service", "onvif: has no host"),
                ("http://127.0.0.1:70000/onvif", "onvif: has a bad port"),
                ("", "onvif: must be an http:// URL")):
            status, _, body = self.api("POST", "/api/v1/cameras", {**table, "onvif": address})
            self.assertEqual((status, body["error"]), (400, message), address)
        status, _, body = self.api("POST", "/api/v1/cameras", {k: v for k, v in table.items() if k != "onvif"})
        self.assertEqual((status, body["error"]), (400, "onvif_username: needs onvif, the device's address"))
        status, _, body = self.api("GET", "/api/v1/cameras/porch")
        self.assertEqual(status, 404, "nothing kept from a refused body")

        status, _, added = self.api("POST", "/api/v1/cameras", table)
        self.assertEqual(status, 201, added)
        status, _, shown = self.api("GET", "/api/v1/cameras/porch")
        self.assertEqual(status, 200, shown)
        for answer in (added, shown):
            self.assertNotIn(PASSWORD, json.dumps(answer))
            self.assertNotIn("onvif_password", answer)
            self.assertEqual((answer["onvif"], answer["onvif_username"], answer["has_onvif_password"]),
                             (self.device, "admin", True), answer)

        before = len(self.ptz_seen())
        status, _, body = self.api("POST", "/api/v1/cameras/porch/ptz", {"action": "move", "pan": -0.5})
        self.assertEqual(status, 200, body)
        self.assertEqual(self.api("POST", "/api/v1/cameras/porch/ptz", {"action": "stop"})[0], 200)
        seen = self.ptz_seen()[before:]
        self.assertEqual([c["call"] for c in seen], ["ContinuousMove", "Stop"])
        self.assertIn('<tt:PanTilt x="-0.500" y="0.000"', seen[0]["body"])

        # Edited without its password: kept. With a wrong one: refused by
        # the device at the next command, no restart needed.
        edit = {k: v for k, v in shown.items() if k not in ("has_password", "has_onvif_password", "managed_by")}
        status, _, body = self.api("PUT", "/api/v1/cameras/porch", {**edit, "name": "The porch"})
        self.assertEqual(status, 200, body)
        self.assertEqual(self.api("POST", "/api/v1/cameras/porch/ptz", {"action": "stop"})[0], 200)
        status, _, body = self.api("PUT", "/api/v1/cameras/porch", {**edit, "onvif_password": "nope"})
        self.assertEqual(status, 200, body)
        status, _, body = self.api("POST", "/api/v1/cameras/porch/ptz", {"action": "stop"})
        self.assertEqual((status, body["reason"]), (422, "wrong_password"), body)
        # Its address taken out: its login goes with it, and PTZ with them.
        without = {k: v for k, v in edit.items() if not k.startswith("onvif")}
        status, _, body = self.api("PUT", "/api/v1/cameras/porch", without)
        self.assertEqual(status, 200, body)
        self.assertFalse([k for k in body if "onvif" in k], body)
        status, _, body = self.api("POST", "/api/v1/cameras/porch/ptz", {"action": "stop"})
        self.assertEqual((status, body["reason"]), (409, "no_onvif"), body)

        # Every change an audit row naming the keys changed, never a value.
        status, _, rows = self.api("GET", "/api/v1/audit?camera=porch")
        changes = [r for r in rows if r["action"] == "camera_change"]
        self.assertEqual(len(changes), 4, rows)
        self.assertIn("onvif_password", [k for r in changes for k in r["detail"].get("changed", [])], changes)
        self.assertNotIn(PASSWORD, json.dumps(rows))
        self.assertNotIn("nope", json.dumps(rows))
        # Sealed at rest, and in no log line.
        for name in glob.glob(os.path.join(self.tmp.name, "data", "cameras.db*")):
            with open(name, "rb") as f:
                self.assertNotIn(PASSWORD.encode(), f.read(), name)
        self.assertFalse([line for line in self.serve.stdout_lines + self.serve.stderr_lines if PASSWORD in line])
        self.assertEqual(self.api("DELETE", "/api/v1/cameras/porch?recordings=delete")[0], 200)

    def test_wrong_password_and_no_onvif_are_clear(self):
        status, _, body = self.api("POST", "/api/v1/cameras/gate/ptz", {"action": "stop"}, token=self.kid)
        self.assertEqual((status, body["reason"]), (422, "wrong_password"), body)
        self.assertIn("wrong user name or password", body["error"])
        status, _, body = self.api("POST", "/api/v1/cameras/yard/ptz", {"action": "stop"})
        self.assertEqual((status, body["reason"]), (409, "no_onvif"), body)


if __name__ == "__main__":
    unittest.main()
